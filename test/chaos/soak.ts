// npm run chaos -- soak [--minutes M (30)] [--rate N (50)]: a steady load for a long while, with
// every process's memory, the stack's Redis's keys and memory, its PostgreSQL state table's rows
// and size, intake's answer time and the accept→sent time sampled each minute. What it looks for
// is a slope: memory, keys, bytes per row or latency that keep growing under a load that does not.
import { readFileSync } from 'node:fs';
import { createClient, stackRedis } from '../harness/client.js';
import { uniqueCustomer } from '../harness/ids.js';
import { psql } from '../harness/postgres.js';
import type { StackInfo } from '../harness/stack.js';
import { POSTGRES, stackProcesses } from '../bench/observe.js';

export interface SoakMinute {
  minute: number;
  accepted: number;
  /** intake's answer to a batch of a tenth of a second's notifications, p99. */
  answerP99Ms: number;
  /** From `accepted` to `sent` in the timeline, p99 over a sample of the minute's notifications. */
  sentP99Ms: number;
  notSent: number;
  rssMb: Record<string, number>;
  redisKeys: number;
  redisMb: number;
  /** Rows of the state table (the store of record: they grow with the load, kept for the retention). */
  pgStateRows: number;
  /** pg_total_relation_size of the state table (heap, indexes, TOAST; dead row versions until vacuumed). */
  pgStateMb: number;
}

const p99 = (xs: number[]): number => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))] ?? 0;
};

function rssMb(pid: number): number {
  try {
    const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Math.round(Number(kb) / 1024) : 0;
  } catch {
    return 0;
  }
}

function stateTable(database: string): { rows: number; bytes: number } {
  try {
    const [row] = psql("SELECT count(*), pg_total_relation_size('state') FROM state", database);
    return { rows: Number(row?.[0] ?? NaN), bytes: Number(row?.[1] ?? NaN) };
  } catch {
    return { rows: NaN, bytes: NaN };
  }
}

export async function soak(stack: StackInfo, opts: { minutes: number; rate: number }, report: (m: SoakMinute) => void): Promise<SoakMinute[]> {
  const api = createClient(stack);
  const redis = await stackRedis(stack);
  const perTick = Math.max(1, Math.round(opts.rate / 10));
  const minutes: SoakMinute[] = [];
  let sample: string[] = [];
  try {
    for (let minute = 1; minute <= opts.minutes; minute++) {
      const answers: number[] = [];
      const ids: string[] = [];
      const end = Date.now() + 60_000;
      while (Date.now() < end) {
        const tick = Date.now();
        const items = Array.from({ length: perTick }, () => ({ customerId: uniqueCustomer(), channel: 'sms', to: { phone: '+14155550100' }, content: { text: 'soak' } }));
        const res = await api.call('POST', '/v1/notifications/batch', { notifications: items }).catch(() => undefined);
        answers.push(Date.now() - tick);
        const first = (res?.body as { results?: Array<{ id?: string }> } | undefined)?.results?.[0]?.id;
        if (first) ids.push(first);
        await new Promise((r) => setTimeout(r, Math.max(0, 100 - (Date.now() - tick))));
      }
      // The previous minute's sample has had a minute to be sent.
      const latencies: number[] = [];
      let notSent = 0;
      for (const id of sample) {
        const view = (await api.status(id)).body as { timeline?: Array<{ status: string; at: string }> };
        const accepted = view.timeline?.find((e) => e.status === 'accepted');
        const sent = view.timeline?.find((e) => e.status === 'sent');
        if (accepted && sent) latencies.push(Date.parse(sent.at) - Date.parse(accepted.at));
        else notSent++;
      }
      sample = ids;
      const info = String(await redis.info('memory')).match(/used_memory:(\d+)/)?.[1];
      // PostgreSQL's backends share its buffers: their RSS summed counts that memory once per
      // backend, and they come and go. Its table is sampled instead.
      const { [POSTGRES]: _postgres, ...groups } = stackProcesses(stack.processes);
      const table = stateTable(stack.database);
      const m: SoakMinute = {
        minute,
        accepted: ids.length * perTick,
        answerP99Ms: p99(answers),
        sentP99Ms: p99(latencies),
        notSent,
        rssMb: Object.fromEntries(Object.entries(groups).map(([name, pids]) => [name, pids.reduce((s, p) => s + rssMb(p), 0)])),
        redisKeys: await redis.dbSize(),
        redisMb: Math.round(Number(info ?? 0) / 1048576),
        pgStateRows: table.rows,
        pgStateMb: Math.round(table.bytes / 104857.6) / 10,
      };
      minutes.push(m);
      report(m);
    }
  } finally {
    redis.destroy();
  }
  return minutes;
}

/** The growth of each figure from the first third of the run to the last, as a share (0.1: 10% more). */
export function slopes(minutes: SoakMinute[]): Record<string, number> {
  const third = Math.max(1, Math.floor(minutes.length / 3));
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  const growth = (pick: (m: SoakMinute) => number) => {
    const first = mean(minutes.slice(1, 1 + third).map(pick)); // minute 1 includes start-up
    const last = mean(minutes.slice(-third).map(pick));
    return first > 0 ? Number(((last - first) / first).toFixed(2)) : 0;
  };
  const out: Record<string, number> = {
    'intake answer p99': growth((m) => m.answerP99Ms),
    'accept→sent p99': growth((m) => m.sentP99Ms),
    'redis keys': growth((m) => m.redisKeys),
    'redis memory': growth((m) => m.redisMb),
    // Rows grow with the load by design (kept for the retention); bytes per row should not
    // (a bloat that no vacuum keeps up with would).
    'postgres state bytes per row': growth((m) => (m.pgStateRows > 0 ? m.pgStateMb / m.pgStateRows : 0)),
  };
  for (const name of Object.keys(minutes[0]?.rssMb ?? {})) out[`${name} memory`] = growth((m) => m.rssMb[name] ?? 0);
  return out;
}
