import { createProviderGate } from './provider-gate.js';
import { createStatsRecorder } from './provider-stats.js';
import { createSlidingWindow } from './sliding-window.js';
import { DEFAULT_BEHAVIOUR } from './sim-config.js';

/** The definition, by brute force: the most timestamps in any window [t, t + 1000). */
function bruteForceMax(times: number[]): number {
  return Math.max(0, ...times.map((start) => times.filter((t) => t >= start && t < start + 1_000).length));
}

/** A deterministic pseudo-random sequence (mulberry32), so a failure can be replayed. */
function seeded(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function maxPerSecondOf(times: number[]): number {
  const stats = createStatsRecorder();
  for (const t of times) stats.record(202, t);
  return stats.view().maxPerSecond;
}

describe('sliding window', () => {
  it('counts the events of (now - 1000, now]: one exactly 1000 ms old has left', () => {
    const window = createSlidingWindow(1_000);
    window.add(0);
    window.add(500);
    expect(window.count(999)).toBe(2);
    expect(window.count(1_000)).toBe(1);
    expect(window.oldest(1_000)).toBe(500);
    expect(window.count(1_500)).toBe(0);
    expect(window.oldest(1_500)).toBeUndefined();
  });

  it('keeps counting right after compacting a long history', () => {
    const window = createSlidingWindow(1_000);
    for (let t = 0; t < 5_000; t++) window.add(t);
    expect(window.count(4_999)).toBe(1_000);
    expect(window.oldest(4_999)).toBe(4_000);
  });

  it('treats a timestamp earlier than the latest as the latest, so the window stays ordered', () => {
    const window = createSlidingWindow(1_000);
    window.add(2_000);
    expect(window.add(1_000)).toBe(2);
    expect(window.count(2_999)).toBe(2);
  });
});

describe('maxPerSecond', () => {
  it('finds the busiest one-second window across a second boundary, not within aligned seconds', () => {
    // Aligned seconds hold at most 3 each ([0, 1000) and [1000, 2000)); [999, 1999) holds 4.
    const times = [0, 100, 999, 1_000, 1_500, 1_998, 1_999, 3_500];
    expect(maxPerSecondOf(times)).toBe(4);
    expect(bruteForceMax(times)).toBe(4);
  });

  it('does not count two events exactly one second apart as the same second', () => {
    expect(maxPerSecondOf([0, 1_000, 2_000, 3_000])).toBe(1);
    expect(maxPerSecondOf([0, 999.5])).toBe(2);
  });

  it('counts only accepted requests', () => {
    const stats = createStatsRecorder();
    [429, 503, 400, 201, 202, 429].forEach((status, i) => stats.record(status, i));
    expect(stats.view()).toEqual({ received: 6, accepted: 2, rejected429: 2, failed5xx: 1, rejected4xx: 1, maxPerSecond: 2 });
  });

  it('agrees with the brute-force definition on random bursty sequences', () => {
    const random = seeded(42);
    for (let run = 0; run < 200; run++) {
      let t = 0;
      const times = Array.from({ length: 60 }, () => (t += random() < 0.2 ? random() * 900 : random() * 40));
      expect(maxPerSecondOf(times)).toBe(bruteForceMax(times));
    }
  });

  it('never exceeds the rate limit, whatever the arrival pattern', () => {
    const random = seeded(7);
    const gate = createProviderGate();
    const stats = createStatsRecorder();
    const behaviour = { ...DEFAULT_BEHAVIOUR, ratePerSec: 20 };
    let t = 0;
    for (let i = 0; i < 5_000; i++) {
      t += random() < 0.05 ? random() * 1_500 : random() * 10;
      stats.record(gate.decide(behaviour, t, random).kind === 'pass' ? 202 : 429, t);
    }
    expect(stats.view().maxPerSecond).toBe(20);
  });
});
