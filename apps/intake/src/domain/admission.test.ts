import type { Priority } from '@herald/contracts';
import { admitLane, bulkLimit, channelWithoutQueue, checkQuota, peakDrain, secondsToUtcMidnight, sustainedRate, thresholdsFor, withWaitLimit } from './admission.js';

const lane = (streamLag: number, drainPerSecond = 100) => ({ streamLag, streamPending: 0, queued: 0, drainPerSecond });
const NOW = new Date('2026-11-25T23:59:58.500Z');

describe('admitLane', () => {
  const t = thresholdsFor(1_000);

  it('admits below the threshold and sheds from it', () => {
    expect(admitLane('bulk', 'admitting', lane(999), t).state).toBe('admitting');
    expect(admitLane('bulk', 'admitting', lane(1_000), t)).toMatchObject({ state: 'shedding', backlog: 1_000 });
  });

  it('counts the stream, the dispatcher\'s hands, the channel queues and the channel apps\' hands', () => {
    expect(admitLane('bulk', 'admitting', { streamLag: 400, streamPending: 300, queued: 300, drainPerSecond: 1 }, t).state).toBe('shedding');
    const held = { streamLag: 400, streamPending: 300, queued: 200, drainPerSecond: 1 };
    expect(admitLane('bulk', 'admitting', held, t).state).toBe('admitting');
    expect(admitLane('bulk', 'admitting', { ...held, inHand: 100 }, t)).toMatchObject({ state: 'shedding', backlog: 1_000 });
  });

  it('resumes only below 80% of the threshold', () => {
    expect(admitLane('bulk', 'shedding', lane(900), t).state).toBe('shedding');
    expect(admitLane('bulk', 'shedding', lane(800), t).state).toBe('shedding');
    expect(admitLane('bulk', 'shedding', lane(799), t).state).toBe('admitting');
  });

  it('asks callers to come back when the backlog should have drained to the resume level', () => {
    expect(admitLane('bulk', 'admitting', lane(1_500, 100), t).retryAfterSeconds).toBe(8); // 701 at 100/s
    expect(admitLane('bulk', 'admitting', lane(1_000, 10_000), t).retryAfterSeconds).toBe(1);
    expect(admitLane('bulk', 'admitting', lane(100_000, 10), t).retryAfterSeconds).toBe(60);
    // Nothing draining at all: the longest wait.
    expect(admitLane('bulk', 'admitting', lane(1_000, 0), t).retryAfterSeconds).toBe(60);
  });

  it('names the channels it cannot take yet, whatever its backlog, and which of a request\'s channels that hits', () => {
    const decided = admitLane('bulk', 'admitting', { ...lane(0), channelsWithoutQueue: ['sms', 'push'] }, t);
    expect(decided).toMatchObject({ state: 'admitting', channelsWithoutQueue: ['sms', 'push'] });
    expect(channelWithoutQueue(decided, ['email', 'push'])).toBe('push');
    expect(channelWithoutQueue(decided, ['email'])).toBeUndefined();
    expect(channelWithoutQueue(admitLane('bulk', 'admitting', lane(0), t), ['email', 'sms', 'push'])).toBeUndefined();
  });
});

describe('withWaitLimit', () => {
  const fixed = thresholdsFor(20_000);
  const limit = { seconds: 120, floor: 1_000 };

  it('sheds once the backlog would wait longer than the limit at the measured drain', () => {
    // 130/s for 120 s: 15,600 waiting is two minutes' work.
    expect(withWaitLimit(fixed, 130, limit)).toEqual({ shedAt: 15_600, resumeBelow: 12_480 });
    expect(admitLane('bulk', 'admitting', lane(15_600, 130), withWaitLimit(fixed, 130, limit)).state).toBe('shedding');
  });

  it('keeps the fixed level when it is the lower, and never goes below the floor', () => {
    expect(withWaitLimit(fixed, 1_000, limit)).toBe(fixed);
    expect(withWaitLimit(fixed, 2, limit)).toEqual(thresholdsFor(1_000));
  });

  it('says nothing without a drain rate or a limit', () => {
    expect(withWaitLimit(fixed, 0, limit)).toBe(fixed);
    expect(withWaitLimit(fixed, 130, undefined)).toBe(fixed);
    expect(withWaitLimit(fixed, 130, { seconds: 0, floor: 1_000 })).toBe(fixed);
  });
});

describe('peakDrain', () => {
  it('remembers the fastest drain, halving every five minutes, and takes any faster one at once', () => {
    expect(peakDrain(0, 130, 500)).toBe(130);
    expect(peakDrain(130, 0.05, 500)).toBeCloseTo(130, 0); // a quiet lane keeps what it showed it can do
    expect(peakDrain(130, 0, 5 * 60_000)).toBeCloseTo(65);
    expect(peakDrain(130, 200, 500)).toBe(200);
  });

  it('lets a campaign that lands on a quiet lane wait in proportion to what the lane can drain', () => {
    // Idle for a minute after draining 130/s: the limit is still ~two minutes of that, not the floor.
    const peak = peakDrain(130, 0.05, 60_000);
    expect(withWaitLimit(thresholdsFor(20_000), peak, { seconds: 120, floor: 1_000 }).shedAt).toBeGreaterThan(13_000);
  });
});

describe('sustainedRate', () => {
  it('averages over time, so a burst moves it a little and a steady rate wins it over', () => {
    expect(sustainedRate(undefined, 90, 500)).toBe(90);
    // Half a second at 140/s against a sustained 100/s: the burst barely shows.
    expect(sustainedRate(100, 140, 500)).toBeCloseTo(101.95, 1);
    // One time constant at 140/s: 63% of the way there, however the readings were spaced.
    let r = 100;
    for (let t = 0; t < 20; t++) r = sustainedRate(r, 140, 500);
    expect(r).toBeCloseTo(100 + 40 * (1 - Math.exp(-1)), 1);
    expect(sustainedRate(100, 140, 10_000)).toBeCloseTo(r, 6);
    expect(sustainedRate(100, 140, 0)).toBe(100);
  });

  it('keeps the bulk wait limit near what a saturated lane keeps up, not its bursts', () => {
    // Saturated: 5-second bursts at 140/s between stretches at 95/s (the bench's pattern).
    let sustained: number | undefined;
    let peak = 0;
    const reading = (rate: number) => {
      sustained = sustainedRate(sustained, rate, 500);
      peak = peakDrain(peak, sustained, 500);
    };
    for (let cycle = 0; cycle < 12; cycle++) {
      for (let i = 0; i < 10; i++) reading(140);
      for (let i = 0; i < 30; i++) reading(95);
    }
    const mean = (140 * 10 + 95 * 30) / 40;
    expect(peak).toBeLessThan(mean * 1.15);
    expect(peak).toBeGreaterThan(mean * 0.95);
  });
});

describe('checkQuota', () => {
  const quota = { requestsPerSecond: 10, notificationsPerDay: 100, criticalReserve: 0 };

  it('admits within both limits', () => {
    expect(checkQuota(quota, { requestsThisSecond: 9, notificationsToday: 99 }, ['bulk'], NOW)).toEqual({ ok: true });
  });

  it('limits requests per second, whatever they carry', () => {
    expect(checkQuota(quota, { requestsThisSecond: 10, notificationsToday: 0 }, ['bulk'], NOW)).toMatchObject({ ok: false, code: 'tenant_rate_limited', retryAfterSeconds: 1 });
  });

  it('limits notifications per UTC day, and says when the day starts again', () => {
    expect(checkQuota(quota, { requestsThisSecond: 0, notificationsToday: 95 }, Array<Priority>(6).fill('bulk'), NOW)).toMatchObject({
      ok: false,
      code: 'daily_quota_exceeded',
      retryAfterSeconds: 2,
    });
    expect(checkQuota(quota, { requestsThisSecond: 0, notificationsToday: 95 }, Array<Priority>(5).fill('bulk'), NOW)).toEqual({ ok: true });
  });

  describe('with a share kept for critical', () => {
    const reserved = { ...quota, criticalReserve: 0.2 };

    it('stops bulk requests short of the limit and lets critical ones use the rest', () => {
      expect(checkQuota(reserved, { requestsThisSecond: 7, notificationsToday: 0 }, ['bulk'], NOW)).toEqual({ ok: true });
      const bulk = checkQuota(reserved, { requestsThisSecond: 8, notificationsToday: 0 }, ['bulk'], NOW);
      expect(bulk).toMatchObject({ ok: false, code: 'tenant_rate_limited', retryAfterSeconds: 1 });
      expect(bulk.ok || bulk.message).toBe('this tenant may make 8 bulk requests per second (of 10: the rest is kept for critical notifications)');
      expect(checkQuota(reserved, { requestsThisSecond: 9, notificationsToday: 0 }, ['critical'], NOW)).toEqual({ ok: true });
      expect(checkQuota(reserved, { requestsThisSecond: 10, notificationsToday: 0 }, ['critical'], NOW)).toMatchObject({ ok: false, code: 'tenant_rate_limited' });
    });

    it('counts a request carrying any bulk notification as bulk', () => {
      expect(checkQuota(reserved, { requestsThisSecond: 8, notificationsToday: 0 }, ['critical', 'bulk', 'critical'], NOW)).toMatchObject({ ok: false, code: 'tenant_rate_limited' });
      expect(checkQuota(reserved, { requestsThisSecond: 8, notificationsToday: 0 }, ['critical', 'critical'], NOW)).toEqual({ ok: true });
    });

    it('keeps the same share of the daily volume', () => {
      const bulk = checkQuota(reserved, { requestsThisSecond: 0, notificationsToday: 75 }, Array<Priority>(6).fill('bulk'), NOW);
      expect(bulk).toMatchObject({ ok: false, code: 'daily_quota_exceeded', retryAfterSeconds: 2 });
      expect(bulk.ok || bulk.message).toBe('this tenant may send 80 bulk notifications per UTC day (of 100: the rest is kept for critical notifications); 5 left today');
      expect(checkQuota(reserved, { requestsThisSecond: 0, notificationsToday: 75 }, Array<Priority>(5).fill('bulk'), NOW)).toEqual({ ok: true });
      expect(checkQuota(reserved, { requestsThisSecond: 0, notificationsToday: 95 }, Array<Priority>(5).fill('critical'), NOW)).toEqual({ ok: true });
    });

    it('lets bulk make at least one request of a limit too small to split', () => {
      expect(bulkLimit(1, 0.5)).toBe(1);
      expect(bulkLimit(2, 0.5)).toBe(1);
      expect(bulkLimit(2_000, 0.1)).toBe(1_800);
      expect(bulkLimit(2_000, 0)).toBe(2_000);
    });
  });

  it('counts seconds to midnight UTC, at least one', () => {
    expect(secondsToUtcMidnight(new Date('2026-11-25T00:00:00Z'))).toBe(86_400);
    expect(secondsToUtcMidnight(new Date('2026-11-25T23:59:59.999Z'))).toBe(1);
  });
});
