// The open-loop load generator: follows a plan's streams to the millisecond, never waits for
// an answer before sending the next request (a slow intake does not slow the offered load
// down), and caps what is in flight per lane so a saturated bulk lane cannot starve the
// critical stream of connections. Refusals (429) are recorded as shed and never retried.
import { Agent, request } from 'undici';
import { dueAt, streamCount, type Lane, type Plan, type Stream } from './schedule.js';
import type { Trace } from './windows.js';

export const CHANNELS = [
  { channel: 'email', to: { email: 'bench@example.com' }, content: { subject: 'Bench', text: 'Hello' } },
  { channel: 'sms', to: { phone: '+14155550100' }, content: { text: 'Hello' } },
  { channel: 'push', to: { deviceToken: 'bench-device-token-0123456789' }, content: { title: 'Bench', text: 'Hello' } },
] as const;

export interface LoadOptions {
  intake: string;
  apiKey: string;
  /** Most requests in flight per lane. */
  concurrency: number;
  /** ms since the run's start (the same clock every trace uses). */
  now: () => number;
}

export interface LoadCounts {
  made: number;
  accepted: number;
  shed: number;
  errors: number;
  /** Requests due but not yet sent because the lane's in-flight cap was reached. */
  waiting: number;
}

export interface Generator {
  readonly traces: Trace[];
  readonly counts: LoadCounts;
  /** Sends everything `plan` offers; resolves when every answer is in. */
  run(plan: Plan): Promise<void>;
  /** Sends `n` notifications as fast as the cap allows (warm-up, outside any measurement). */
  burst(n: number, lane: Lane): Promise<Trace[]>;
  /** Zeroes the counts (the measured run starts; the warm-up is not part of it). */
  resetCounts(): void;
  /** Offers nothing more (a ramp past its knee); what is in flight still completes. */
  stop(): void;
  close(): Promise<void>;
}

/** The load's customers, each sent to in turn, on each channel in turn. */
export const BENCH_CUSTOMERS = 1000;
/** Enough notifications for every customer to have had one on every channel: the default warm-up. */
export const EVERY_CUSTOMER_ON_EVERY_CHANNEL = BENCH_CUSTOMERS * CHANNELS.length;

export function createGenerator(opts: LoadOptions): Generator {
  const agent = new Agent({ connections: opts.concurrency * 2 + 8, keepAliveTimeout: 60_000, headersTimeout: 30_000, bodyTimeout: 30_000 });
  const url = `${opts.intake}/v1/notifications`;
  const headers = { authorization: `Bearer ${opts.apiKey}`, 'content-type': 'application/json' };
  const traces: Trace[] = [];
  const counts: LoadCounts = { made: 0, accepted: 0, shed: 0, errors: 0, waiting: 0 };
  const inFlight: Record<Lane, number> = { critical: 0, bulk: 0 };
  let seq = 0;
  let stopped = false;

  async function send(lane: Lane, dueMs: number, record: boolean): Promise<Trace> {
    const i = seq++;
    const mix = CHANNELS[i % CHANNELS.length]!;
    const body = JSON.stringify({ customerId: `bench-${i % BENCH_CUSTOMERS}`, priority: lane, ...mix });
    const trace: Trace = { lane, channel: mix.channel, dueMs, startMs: opts.now(), endMs: NaN, status: 0 };
    if (record) traces.push(trace);
    counts.made++;
    inFlight[lane]++;
    try {
      const res = await request(url, { method: 'POST', headers, body, dispatcher: agent });
      const text = await res.body.text();
      trace.status = res.statusCode;
      const json = parse(text);
      if (res.statusCode === 202 && typeof json?.id === 'string') trace.id = json.id;
      else if (typeof json?.error?.code === 'string') trace.code = json.error.code;
    } catch (err) {
      trace.code = err instanceof Error ? (err as Error & { code?: string }).code ?? err.name : 'request_failed';
    } finally {
      trace.endMs = opts.now();
      inFlight[lane]--;
      if (trace.id) counts.accepted++;
      else if (trace.status === 429) counts.shed++;
      else counts.errors++;
    }
    return trace;
  }

  async function follow(stream: Stream, pending: Set<Promise<Trace>>): Promise<void> {
    const n = streamCount(stream);
    for (let k = 0; k < n && !stopped; k++) {
      const due = dueAt(stream, k);
      let wait = due - opts.now();
      // Timers are coarse (about 1 ms); sleeping in slices of at most 20 ms keeps the error small.
      while (wait > 0 && !stopped) {
        await sleep(Math.min(wait, 20));
        wait = due - opts.now();
      }
      if (stopped) break;
      if (inFlight[stream.lane] >= opts.concurrency) {
        counts.waiting++;
        while (inFlight[stream.lane] >= opts.concurrency) await sleep(1);
        counts.waiting--;
      }
      const p = send(stream.lane, due, true);
      pending.add(p);
      void p.finally(() => pending.delete(p));
    }
  }

  return {
    traces,
    counts,
    async run(plan) {
      const pending = new Set<Promise<Trace>>();
      await Promise.all(plan.streams.map((s) => follow(s, pending)));
      await Promise.all([...pending]);
    },
    async burst(n, lane) {
      const out: Trace[] = [];
      let next = 0;
      await Promise.all(
        Array.from({ length: Math.min(opts.concurrency, n) }, async () => {
          while (next < n) {
            next++;
            out.push(await send(lane, opts.now(), false));
          }
        }),
      );
      return out;
    },
    stop() {
      stopped = true;
    },
    resetCounts() {
      Object.assign(counts, { made: 0, accepted: 0, shed: 0, errors: 0, waiting: 0 });
    },
    close: () => agent.close(),
  };
}

function parse(text: string): { id?: unknown; error?: { code?: unknown } } | undefined {
  try {
    return JSON.parse(text) as { id?: unknown; error?: { code?: unknown } };
  } catch {
    return undefined;
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
