import { describe, expect, it } from '@jest/globals';
import { dueAt, floodPlan, outagePlan, plannedCount, rampPlan, rampRates, steadyPlan, streamCount, truncatePlan } from './schedule.js';

describe('steady', () => {
  it('splits the offered rate into bulk and a critical share, over the whole run', () => {
    const plan = steadyPlan({ ratePerSec: 1000, durationMs: 60_000, criticalShare: 0.05 });
    expect(plan.streams).toEqual([
      { label: 'steady', lane: 'bulk', ratePerSec: 950, startMs: 0, endMs: 60_000 },
      { label: 'steady', lane: 'critical', ratePerSec: 50, startMs: 0, endMs: 60_000 },
    ]);
    expect(plannedCount(plan)).toBe(60_000);
  });

  it('has no critical stream when the share is 0', () => {
    expect(steadyPlan({ ratePerSec: 100, durationMs: 1_000, criticalShare: 0 }).streams.map((s) => s.lane)).toEqual(['bulk']);
  });
});

describe('open-loop pacing', () => {
  const stream = { label: 's', lane: 'bulk' as const, ratePerSec: 300, startMs: 2_000, endMs: 3_000 };

  it('spaces notifications evenly from the start, none at the end', () => {
    expect(streamCount(stream)).toBe(300);
    expect(dueAt(stream, 0)).toBe(2_000);
    expect(dueAt(stream, 150)).toBeCloseTo(2_500, 9);
    expect(dueAt(stream, streamCount(stream) - 1)).toBeLessThan(3_000);
  });

  it('rounds a fractional count up (a 2.5/s stream for 1 s offers at 0 and 400 ms and 800 ms)', () => {
    expect(streamCount({ ...stream, ratePerSec: 2.5, startMs: 0, endMs: 1_000 })).toBe(3);
  });

  it('offers nothing from an empty or rateless stream', () => {
    expect(streamCount({ ...stream, ratePerSec: 0 })).toBe(0);
    expect(streamCount({ ...stream, endMs: stream.startMs })).toBe(0);
  });
});

describe('ramp', () => {
  it('rises geometrically from the first rate to the last', () => {
    expect(rampRates(100, 2000, 8)).toEqual([100, 153, 235, 361, 554, 850, 1304, 2000]);
    expect(rampRates(100, 400, 3)).toEqual([100, 200, 400]);
    expect(rampRates(250, 1000, 1)).toEqual([250]);
  });

  it('gives each step a phase of its own, back to back', () => {
    const plan = rampPlan({ fromPerSec: 100, toPerSec: 400, steps: 3, stepMs: 10_000, criticalShare: 0 });
    expect(plan.phases.map((p) => [p.label, p.startMs, p.endMs])).toEqual([
      ['100/s', 0, 10_000],
      ['200/s', 10_000, 20_000],
      ['400/s', 20_000, 30_000],
    ]);
    expect(plan.durationMs).toBe(30_000);
    expect(plannedCount(plan)).toBe(7_000);
  });
});

describe('flood', () => {
  it('runs critical alone, then critical beside bulk at factor × the sustainable rate', () => {
    const plan = floodPlan({ criticalPerSec: 20, idleMs: 15_000, floodMs: 30_000, sustainablePerSec: 300, factor: 10 });
    expect(plan.streams).toEqual([
      { label: 'critical', lane: 'critical', ratePerSec: 20, startMs: 0, endMs: 45_000 },
      { label: 'flood', lane: 'bulk', ratePerSec: 3000, startMs: 15_000, endMs: 45_000 },
    ]);
    expect(plan.phases.map((p) => [p.label, p.startMs, p.endMs, p.ratePerSec])).toEqual([
      ['idle', 0, 15_000, 20],
      ['flood', 15_000, 45_000, 3020],
    ]);
  });
});

describe('outage', () => {
  it('marks the outage inside a steady run', () => {
    const plan = outagePlan({ ratePerSec: 200, durationMs: 60_000, criticalShare: 0, outageStartMs: 20_000, outageMs: 20_000 });
    expect(plan.outage).toEqual({ startMs: 20_000, endMs: 40_000 });
    expect(plan.phases.map((p) => p.label)).toEqual(['before', 'outage', 'after']);
  });

  it('refuses an outage that outlasts the run', () => {
    expect(() => outagePlan({ ratePerSec: 200, durationMs: 30_000, criticalShare: 0, outageStartMs: 20_000, outageMs: 20_000 })).toThrow(/before the run does/);
  });
});

describe('a plan cut short', () => {
  it('keeps what ran: steps before the cut whole, the step it fell in up to the cut, nothing after', () => {
    const plan = rampPlan({ fromPerSec: 100, toPerSec: 400, steps: 3, stepMs: 10_000, criticalShare: 0 });
    const cut = truncatePlan(plan, 15_000);
    expect(cut.phases.map((p) => [p.label, p.startMs, p.endMs])).toEqual([
      ['100/s', 0, 10_000],
      ['200/s', 10_000, 15_000],
    ]);
    expect(cut.durationMs).toBe(15_000);
    expect(plannedCount(cut)).toBe(2_000);
  });
});
