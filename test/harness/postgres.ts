// The PostgreSQL server the stacks keep their store of record on, as the tests and the benchmark
// reach it: through `psql` (on every machine that runs the server), so no database driver is
// needed beside Dapr's own. Each stack gets a database of its own, made before its sidecars
// start and dropped once it stops.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './root.js';

export interface PgServer {
  host: string;
  port: string;
  user: string;
}

/** The machine's server: HERALD_PG_HOST/PORT/USER, or the local default (127.0.0.1:5432, user postgres, trust auth). */
export const PG: PgServer = {
  host: process.env.HERALD_PG_HOST ?? '127.0.0.1',
  port: process.env.HERALD_PG_PORT ?? '5432',
  user: process.env.HERALD_PG_USER ?? 'postgres',
};

/** Runs SQL in `database`; resolves the rows, each a list of columns as text. */
export function psql(sql: string, database = 'postgres', server: PgServer = PG): string[][] {
  const out = execFileSync('psql', ['-h', server.host, '-p', server.port, '-U', server.user, '-d', database, '-v', 'ON_ERROR_STOP=1', '-qAtF', '\t', '-c', sql], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 60_000,
  });
  return out.split('\n').filter((line) => line !== '').map((line) => line.split('\t'));
}

/** A component connection string for `database` on that server. */
export function connectionString(database: string, server: PgServer = PG): string {
  return `host=${server.host} port=${server.port} user=${server.user} database=${database} sslmode=disable`;
}

/** Points every PostgreSQL component of a local component file at `database` on that server. */
export function withDatabase(yaml: string, database: string, server: PgServer = PG): string {
  return yaml.replace(/"host=[^"]*database=herald[^"]*"/g, `"${connectionString(database, server)}"`);
}

/** A new database, with the state components' bookkeeping tables made before any sidecar races to (scripts/metadata-tables.sql). */
export function createDatabase(name: string, server: PgServer = PG): void {
  psql(`CREATE DATABASE ${name}`, 'postgres', server);
  psql(readFileSync(join(ROOT, 'scripts/metadata-tables.sql'), 'utf8'), name, server);
}

export function dropDatabase(name: string, server: PgServer = PG): void {
  psql(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`, 'postgres', server);
}
