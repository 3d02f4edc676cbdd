// The machine's PostgreSQL, as the tests and the benchmark reach it: through `psql` (on every
// machine that runs the server), so no database driver is needed beside Dapr's own. Each stack
// gets a database of its own, made before its sidecars start and dropped once it stops.
import { execFileSync } from 'node:child_process';

/** Where the server is: HERALD_PG_HOST/PORT/USER, or the local default (127.0.0.1:5432, user postgres, trust auth). */
export const PG = {
  host: process.env.HERALD_PG_HOST ?? '127.0.0.1',
  port: process.env.HERALD_PG_PORT ?? '5432',
  user: process.env.HERALD_PG_USER ?? 'postgres',
};

/** Runs SQL in `database`; resolves the rows, each a list of columns as text. */
export function psql(sql: string, database = 'postgres'): string[][] {
  const out = execFileSync('psql', ['-h', PG.host, '-p', PG.port, '-U', PG.user, '-d', database, '-v', 'ON_ERROR_STOP=1', '-qAtF', '\t', '-c', sql], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 60_000,
  });
  return out.split('\n').filter((line) => line !== '').map((line) => line.split('\t'));
}

/** A component connection string for `database` on that server. */
export function connectionString(database: string): string {
  return `host=${PG.host} port=${PG.port} user=${PG.user} database=${database} sslmode=disable`;
}

export function createDatabase(name: string): void {
  psql(`CREATE DATABASE ${name}`);
}

export function dropDatabase(name: string): void {
  psql(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
}
