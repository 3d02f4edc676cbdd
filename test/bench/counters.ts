// Costs read from the systems' own counters, never from Herald's bookkeeping:
// Redis INFO commandstats, RabbitMQ's global counters, and /proc CPU times.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';

export async function redisCommandCalls(redis: Redis): Promise<Record<string, number>> {
  const info = await redis.info('commandstats');
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

/** CPU milliseconds (user + system) a process has used so far. */
export function cpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[0] is field 3 (state); utime and stime are fields 14 and 15
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
  } catch {
    return undefined;
  }
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
