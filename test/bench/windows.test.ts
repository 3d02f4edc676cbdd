import { describe, expect, it } from '@jest/globals';
import type { Phase } from './schedule.js';
import {
  endedUnsent,
  compareFlood,
  countPerBucket,
  drainAfter,
  kneeOf,
  laneStats,
  latencyPerBucket,
  rampVerdicts,
  reconcile,
  summarize,
  type StepVerdict,
  type Trace,
} from './windows.js';

/** An accepted notification made at `startMs`, answered 5 ms later, sent `sentAfter` ms after acceptance. */
function accepted(startMs: number, sentAfter: number | undefined, extra: Partial<Trace> = {}): Trace {
  return {
    lane: 'bulk',
    channel: 'email',
    dueMs: startMs,
    startMs,
    endMs: startMs + 5,
    status: 202,
    id: `n${startMs}`,
    acceptedAtMs: startMs + 2,
    ...(sentAfter !== undefined ? { sentAtMs: startMs + 2 + sentAfter, finalStatus: 'sent' } : { finalStatus: 'dispatched' }),
    ...extra,
  };
}

describe('summarize', () => {
  it('takes nearest-rank percentiles of unsorted values', () => {
    const values = Array.from({ length: 100 }, (_, i) => 100 - i); // 100 … 1
    expect(summarize(values)).toMatchObject({ n: 100, p50: 50, p95: 95, p99: 99, max: 100, mean: 50.5 });
  });

  it('answers NaN for no values', () => {
    expect(summarize([]).p99).toBeNaN();
  });
});

describe('per-second windows', () => {
  it('counts events per bucket, ignoring those outside the run', () => {
    expect(countPerBucket([0, 999, 1000, 2500, -1, 5000], 1000, 3000)).toEqual([2, 1, 1]);
  });

  it('takes percentiles per bucket and leaves empty buckets empty', () => {
    const points = [
      ...Array.from({ length: 100 }, (_, i) => ({ atMs: 100, ms: i + 1 })),
      { atMs: 2500, ms: 7 },
    ];
    expect(latencyPerBucket(points, 1000, 3000)).toEqual([{ n: 100, p50: 50, p99: 99 }, undefined, { n: 1, p50: 7, p99: 7 }]);
  });
});

describe('lane statistics', () => {
  it('counts accepted, shed and failed requests apart, and latencies of accepted ones only', () => {
    const traces: Trace[] = [
      accepted(0, 40),
      accepted(10, 60),
      { lane: 'bulk', channel: 'sms', dueMs: 20, startMs: 20, endMs: 21, status: 429, code: 'lane_overloaded' },
      { lane: 'bulk', channel: 'sms', dueMs: 30, startMs: 30, endMs: 31, status: 0, code: 'ECONNRESET' },
    ];
    const s = laneStats(traces);
    expect(s).toMatchObject({ offered: 4, accepted: 2, shed: 1, errors: 1, completed: 2 });
    expect(s.sent.p99).toBe(60);
    expect(s.accept.max).toBe(5);
  });

  it('splits accept→sent at the first dispatch, counting only notifications whose timeline has both ends', () => {
    const traces: Trace[] = [
      accepted(0, 40, { dispatchedAtMs: 12 }),
      accepted(100, 90, { dispatchedAtMs: 172 }),
      accepted(200, undefined, { dispatchedAtMs: 230 }),
      accepted(300, 50),
    ];
    const s = laneStats(traces);
    expect([s.toDispatched.n, s.toDispatched.p50, s.toDispatched.max]).toEqual([3, 28, 70]);
    expect([s.dispatchedToSent.n, s.dispatchedToSent.p50, s.dispatchedToSent.max]).toEqual([2, 20, 30]);
  });
});

describe('ramp verdicts', () => {
  const phases: Phase[] = [
    { label: '10/s', startMs: 0, endMs: 1000, ratePerSec: 10 },
    { label: '20/s', startMs: 1000, endMs: 2000, ratePerSec: 20 },
  ];

  it('keeps up when everything offered is accepted and sent quickly within the step', () => {
    const traces = [...Array.from({ length: 10 }, (_, i) => accepted(i * 100, 50)), ...Array.from({ length: 20 }, (_, i) => accepted(1000 + i * 50, 50))];
    const v = rampVerdicts(phases, traces);
    expect(v.map((s) => s.keptUp)).toEqual([true, true]);
    expect(v[1]?.madePerSec).toBe(20);
    expect(kneeOf(v)).toBe(20);
  });

  it('fails a step whose accept→sent p99 passes the bound, and says why', () => {
    const traces = [...Array.from({ length: 10 }, (_, i) => accepted(i * 100, 50)), ...Array.from({ length: 20 }, (_, i) => accepted(1000 + i * 50, i < 10 ? 50 : 1500))];
    const v = rampVerdicts(phases, traces, { completionShare: 0, latencyBoundMs: 1000, maxErrorShare: 1, minMadeShare: 0 });
    expect(v[1]?.keptUp).toBe(false);
    expect(v[1]?.why).toMatch(/accept→sent p99 1500 ms > 1000 ms/);
    expect(kneeOf(v)).toBe(10);
  });

  it('fails a step whose completions fall behind its acceptances', () => {
    const traces = [...Array.from({ length: 10 }, (_, i) => accepted(i * 100, 50)), ...Array.from({ length: 20 }, (_, i) => accepted(1000 + i * 50, i < 5 ? 10 : undefined))];
    const v = rampVerdicts(phases, traces);
    expect(v[1]?.why).toMatch(/completed 5 of 20/);
    expect(v[1]?.why).toMatch(/15 never completed/);
  });

  it('blames the generator when it could not offer the rate', () => {
    const traces = [...Array.from({ length: 10 }, (_, i) => accepted(i * 100, 50)), ...Array.from({ length: 5 }, (_, i) => accepted(1000 + i * 50, 50))];
    expect(rampVerdicts(phases, traces)[1]?.why).toMatch(/generator could not offer the rate/);
  });

  it('has no knee when the first step already fails, and stops at the first failure', () => {
    const v = (keptUp: boolean[]): StepVerdict[] => keptUp.map((k, i) => ({ label: '', offeredPerSec: (i + 1) * 100, madePerSec: 0, acceptedPerSec: 0, completedPerSec: 0, sentP99Ms: 0, errorShare: 0, keptUp: k, why: '' }));
    expect(kneeOf(v([false, true]))).toBeUndefined();
    expect(kneeOf(v([true, false, true]))).toBe(100);
  });
});

describe('flood comparison', () => {
  it('compares critical accept→sent p99 in the idle phase with the flood phase', () => {
    const critical = (startMs: number, sentAfter: number) => accepted(startMs, sentAfter, { lane: 'critical' });
    const traces = [critical(0, 40), critical(500, 50), critical(1000, 55), critical(1500, 60), accepted(1200, 5000)];
    const c = compareFlood(traces, { label: 'idle', startMs: 0, endMs: 1000, ratePerSec: 2 }, { label: 'flood', startMs: 1000, endMs: 2000, ratePerSec: 3 });
    expect(c.idleSentP99Ms).toBe(50);
    expect(c.floodSentP99Ms).toBe(60);
    expect(c.ratio).toBeCloseTo(1.2, 9);
    expect(c.flood.offered).toBe(2); // the bulk one is not critical
  });
});

describe('drain after an outage', () => {
  it('measures from the outage end to the last sent of what was accepted before it', () => {
    const traces = [accepted(100, 30_000), accepted(5_000, 100), accepted(25_000, 50)];
    expect(drainAfter(traces, 20_000)).toEqual({ caughtInOutage: 2, unfinished: 0, drainMs: 100 + 2 + 30_000 - 20_000 });
  });

  it('gives no drain time while some of it was never sent', () => {
    expect(drainAfter([accepted(100, undefined)], 20_000)).toEqual({ caughtInOutage: 1, unfinished: 1 });
  });
});

describe('reconcile', () => {
  it('counts completed, lost (ended unsent) and unfinished (still on its way) apart', () => {
    const traces = [accepted(0, 10), accepted(1, 10), accepted(2, undefined), accepted(3, undefined, { finalStatus: 'failed' }), accepted(4, undefined, { finalStatus: 'retrying' })];
    const r = reconcile(traces, 2);
    expect(r).toMatchObject({ accepted: 5, completed: 2, lost: 1, unfinished: 2, duplicates: null });
    expect(r.byStatus).toEqual({ sent: 2, dispatched: 1, failed: 1, retrying: 1 });
  });

  it('counts provider sends beyond one per completed notification as duplicates', () => {
    expect(reconcile([accepted(0, 10), accepted(1, 10)], 3).duplicates).toBe(1);
    expect(reconcile([accepted(0, 10), accepted(1, 10)], 2).duplicates).toBe(0);
  });

  it('does not claim a duplicate count while work is unfinished (the two counts were read at different moments)', () => {
    expect(reconcile([accepted(0, 10), accepted(1, undefined)], 2).duplicates).toBeNull();
  });

  it('takes a notification Herald does not know as unfinished while events wait upstream, as lost once none do', () => {
    const traces = [accepted(0, undefined, { finalStatus: 'unknown' })];
    expect(reconcile(traces, 0, true)).toMatchObject({ lost: 0, unfinished: 1 });
    expect(reconcile(traces, 0, false)).toMatchObject({ lost: 1, unfinished: 0 });
  });

  it('tells the notifications that ended unsent from those sent or still on their way', () => {
    const traces = [accepted(0, 10), accepted(1, undefined, { finalStatus: 'failed', endReason: 'provider rejected' }), accepted(2, undefined, { finalStatus: 'retrying' }), accepted(3, undefined, { finalStatus: 'unknown' })];
    expect(traces.filter(endedUnsent).map((t) => t.endReason)).toEqual(['provider rejected']);
  });

  it('ignores requests that were not accepted', () => {
    const shed: Trace = { lane: 'bulk', channel: 'sms', dueMs: 0, startMs: 0, endMs: 1, status: 429 };
    expect(reconcile([shed], 0)).toMatchObject({ accepted: 0, lost: 0 });
  });
});
