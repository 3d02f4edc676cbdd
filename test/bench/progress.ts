// Samples the run once a second (provider sends, the stack's CPU, the lane topics' backlog)
// for the plot, and prints a progress line on stderr every two seconds.
import type { Redis } from '@herald/stores';
import type { Generator } from './load.js';
import { cpuSnapshot, laneBacklog, type ProviderCounter } from './observe.js';
import { NOT_HERALD } from './report.js';

export interface Sample {
  atMs: number;
  made: number;
  accepted: number;
  shed: number;
  errors: number;
  /** Provider sends since the run started. */
  providerSends: number;
  /** CPU-ms of the stack's processes so far (the simulator and the generator not counted). */
  stackCpuMs: number;
  /** Accepted events the dispatcher has not taken from the lane topics yet. */
  eventsWaiting: number;
}

export interface SamplerDeps {
  counter: ProviderCounter;
  providerBase: number;
  groups: Record<string, number[]>;
  generator: Generator;
  now: () => number;
  redis: Redis;
  topicPrefix: string;
  everyMs?: number;
  printEveryMs?: number;
}

export function createSampler(deps: SamplerDeps) {
  const samples: Sample[] = [];
  const everyMs = deps.everyMs ?? 1_000;
  const printEveryMs = deps.printEveryMs ?? 2_000;
  const herald = Object.fromEntries(Object.entries(deps.groups).filter(([name]) => !NOT_HERALD.has(name)));
  let timer: NodeJS.Timeout | undefined;
  let busy = false;
  let lastPrint: Sample | undefined;

  async function sample(): Promise<void> {
    if (busy) return; // a slow read (a saturated machine) skips a tick rather than piling up
    busy = true;
    try {
      const c = deps.generator.counts;
      const [sends, waiting] = await Promise.all([deps.counter.total().catch(() => NaN), laneBacklog(deps.redis, deps.topicPrefix).catch(() => ({ critical: NaN, bulk: NaN }))]);
      const s: Sample = {
        atMs: deps.now(),
        made: c.made,
        accepted: c.accepted,
        shed: c.shed,
        errors: c.errors,
        providerSends: sends - deps.providerBase,
        stackCpuMs: Object.values(cpuSnapshot(herald)).reduce((a, b) => a + b, 0),
        eventsWaiting: waiting.critical + waiting.bulk,
      };
      samples.push(s);
      if (!lastPrint || s.atMs - lastPrint.atMs >= printEveryMs - 50) {
        print(s, lastPrint ?? samples[0]);
        lastPrint = s;
      }
    } finally {
      busy = false;
    }
  }

  function print(s: Sample, prev: Sample | undefined): void {
    const dt = prev && s.atMs > prev.atMs ? (s.atMs - prev.atMs) / 1000 : NaN;
    const rate = (a: number, b: number | undefined) => (Number.isFinite(dt) && b !== undefined ? ((a - b) / dt).toFixed(0) : '-');
    const cores = prev && Number.isFinite(dt) ? ((s.stackCpuMs - prev.stackCpuMs) / (dt * 1000)).toFixed(2) : '-';
    process.stderr.write(
      `[${(s.atMs / 1000).toFixed(1).padStart(6)} s] offered ${rate(s.made, prev?.made).padStart(5)}/s  accepted ${rate(s.accepted, prev?.accepted).padStart(5)}/s  ` +
        `completed ${rate(s.providerSends, prev?.providerSends).padStart(5)}/s  429 ${s.shed}  errors ${s.errors}  ` +
        `backlog ${s.accepted - s.providerSends} (lane topics unacked ${Number.isFinite(s.eventsWaiting) ? s.eventsWaiting : "?"})  stack ${cores} cores\n`,
    );
  }

  return {
    samples,
    start() {
      void sample();
      timer = setInterval(() => void sample(), everyMs);
    },
    stop() {
      if (timer) clearInterval(timer);
    },
  };
}
