import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSidecar, type Sidecar } from '@herald/dapr';
import { createDatabase, dropDatabase, psql, withDatabase } from '../harness/postgres.js';
import { daprBinaries, portOpen, ROOT, waitFor } from '../harness/stack.js';

export interface TestStateStore {
  /** A client of a real daprd serving the local `records`, `datakeys` and `statestore` components and the SQL binding, on a database of this file's own. */
  sidecar: Sidecar;
  database: string;
  /** Runs SQL in that database (to look at what the store keeps). */
  sql(statement: string): string[][];
}

/**
 * The real store of record for the unit tests of the stores built on Dapr's state API: a daprd
 * of its own (no app, no actors) with the local store components, pointed at a fresh
 * PostgreSQL database. After the file's tests the sidecar stops and the database is dropped.
 */
export async function useTestStateStore(): Promise<TestStateStore> {
  const id = `u${Date.now().toString(36)}${Math.floor(Math.random() * 46656).toString(36)}`;
  const database = `herald_${id}`;
  const dir = mkdtempSync(join(tmpdir(), `herald-${id}-`));
  // The stores and the SQL binding, on the file's database, for whichever app id asks.
  for (const file of ['records.yaml', 'datakeys.yaml', 'statestore.yaml', 'statestore-sql.yaml']) {
    const text = withDatabase(readFileSync(join(ROOT, 'components/local/resources', file), 'utf8'), database);
    writeFileSync(join(dir, file), text.replace(/\nscopes:[\s\S]*$/, '\n'));
  }
  createDatabase(database);
  // Ports from a range of their own per test file, away from the integration stack's.
  const port = 30_000 + Math.floor(Math.random() * 2_000) * 3;
  const daprd = spawn(daprBinaries().daprd, [
    '--app-id', `records-${id}`, '--dapr-http-port', String(port), '--dapr-grpc-port', String(port + 1), '--dapr-internal-grpc-port', String(port + 2),
    '--enable-metrics=false', '--resources-path', dir, '--log-level', 'warn',
  ], { stdio: 'ignore', detached: true });
  afterAll(async () => {
    if (daprd.pid) process.kill(-daprd.pid, 'SIGKILL');
    await waitFor('the records daprd to stop', async () => ((await portOpen(port)) ? undefined : true), 10_000, 50);
    dropDatabase(database);
    rmSync(dir, { recursive: true, force: true });
  });
  const sidecar = createSidecar('127.0.0.1', port);
  await waitFor('the records daprd', async () => {
    const res = await fetch(`http://127.0.0.1:${port}/v1.0/healthz/outbound`, { signal: AbortSignal.timeout(1000) });
    return res.ok ? true : undefined;
  }, 60_000, 100);
  return { sidecar, database, sql: (statement) => psql(statement, database) };
}
