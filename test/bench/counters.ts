// Costs read from the systems' own counters, never from Herald's bookkeeping:
// Redis INFO commandstats, RabbitMQ's global counters, and /proc CPU times.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Redis } from '@herald/stores';

export async function redisCommandCalls(redis: Redis): Promise<Record<string, number>> {
  const info = String(await redis.info('commandstats'));
  const calls: Record<string, number> = {};
  for (const line of info.split('\n')) {
    const m = /^cmdstat_([^:]+):calls=(\d+)/.exec(line.trim());
    if (m?.[1] && m[2]) calls[m[1]] = Number(m[2]);
  }
  return calls;
}

/** Messages RabbitMQ received from publishers (AMQP 0-9-1), from its global counters. */
export function rabbitMessagesReceived(): number | undefined {
  try {
    const out = execFileSync('rabbitmqctl', ['eval', 'maps:get(messages_received_total, maps:get([{protocol,amqp091}], rabbit_global_counters:overview())).'], {
      encoding: 'utf8',
      timeout: 30_000,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const n = Number(out.trim());
    return Number.isFinite(n) ? n : undefined;
  } catch {
    return undefined; // rabbitmqctl needs the broker's Erlang cookie (root, or the rabbitmq user)
  }
}

const TICK_MS = 10; // USER_HZ is 100 on Linux

/** /proc/<pid>/stat from field 3 (state) on: fields[i] is field i + 3 of proc(5). */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** CPU milliseconds (user + system) a process has used so far. */
export function cpuMs(pid: number): number | undefined {
  const fields = statFields(pid);
  // utime and stime are fields 14 and 15
  return fields ? (Number(fields[11]) + Number(fields[12])) * TICK_MS : undefined;
}

/**
 * CPU milliseconds the machine's PostgreSQL server has used so far, undefined when none runs
 * here. Its backends come and go (one per connection), so this is every process named
 * `postgres` (utime + stime) plus the postmaster's cutime + cstime (fields 16 and 17: the CPU of
 * the children it has reaped), so a backend that exits between two readings still counts. The
 * postmaster is the `postgres` process whose parent is not one.
 *
 * It counts the WHOLE server: every database's backends (other stacks' included, such as an
 * integration run's beside the bench) and the shared processes (WAL writer, checkpointer,
 * background writer). See postgresBackendsCpu for the part a single database's connections use.
 */
export function postgresCpuMs(): number | undefined {
  const pids = pidsOf('postgres');
  const server = new Set(pids);
  let total = 0;
  let found = false;
  for (const pid of pids) {
    const fields = statFields(pid);
    if (!fields) continue; // exited since pgrep: its CPU is in the postmaster's cutime/cstime
    found = true;
    total += (Number(fields[11]) + Number(fields[12])) * TICK_MS;
    if (!server.has(Number(fields[1]))) total += (Number(fields[13]) + Number(fields[14])) * TICK_MS;
  }
  return found ? total : undefined;
}

/**
 * CPU milliseconds so far of each PostgreSQL backend serving `database` (its process title is
 * `postgres: [cluster:] <user> <database> <host(port)> <activity>`), by pid. Only the backends
 * alive at the reading: a connection closed in between takes its CPU with it, so the difference
 * of two readings is a lower bound of what the database's connections used.
 */
export function postgresBackendsCpu(database: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const pid of pidsOf('postgres')) {
    let title: string;
    try {
      title = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
    } catch {
      continue;
    }
    if (!title.split(' ').includes(database)) continue;
    const ms = cpuMs(pid);
    if (ms !== undefined) out[String(pid)] = ms;
  }
  return out;
}

export function pidsOf(processName: string): number[] {
  try {
    return execFileSync('pgrep', ['-x', processName], { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

export function diff(after: Record<string, number>, before: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(after)) {
    const d = v - (before[k] ?? 0);
    if (d) out[k] = d;
  }
  return out;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] ?? NaN;
}
