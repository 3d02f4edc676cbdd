import type { Channel, Priority } from '@herald/contracts';

// Admission control: whether intake takes a new notification now, and if not, when to come
// back. Pure: the backlog figures and the clock come in as arguments.

/** What is waiting in one lane, in notifications, as last observed. */
export interface LaneBacklog {
  /** Accepted but not yet taken by the dispatcher (the lane stream's consumer-group lag). */
  streamLag: number;
  /** Taken by the dispatcher, not yet acknowledged (in its hands right now). */
  streamPending: number;
  /** Dispatched to the channels' queues in this lane, not yet taken by a channel app. */
  queued: number;
  /** `queued` by channel, for each channel whose queue is declared. */
  queuedByChannel?: Partial<Record<Channel, number>>;
  /** How long the lane stream's oldest entry not yet acknowledged by the dispatcher has waited (ms). */
  oldestWaitingMs?: number;
  /**
   * Taken by the channel apps and not yet settled: waiting for a provider token, being sent
   * (RabbitMQ's unacknowledged messages, as the apps count them). Absent: not known.
   */
  inHand?: number;
  /**
   * How fast the lane's backlog has been going (per second, smoothed): dispatches the channel
   * apps finished, end to end; where no channel app reports, how fast the dispatcher took them.
   */
  drainPerSecond: number;
  /**
   * The drain rate averaged over about ten seconds (see sustainedRate): what the lane keeps up,
   * where drainPerSecond follows every burst.
   */
  sustainedDrainPerSecond?: number;
  /**
   * The fastest it has sustained lately (decaying: see peakDrain): what the lane can do, where
   * drainPerSecond is what it did. A quiet lane drains nothing, and a campaign landing on it
   * must not be judged by that.
   */
  peakDrainPerSecond?: number;
  /**
   * Channels whose queue in this lane is not declared yet: their channel app has never
   * subscribed. The broker drops a dispatch sent to such a channel, so none is accepted for it.
   */
  channelsWithoutQueue?: Channel[];
}

/** Time constant of the sustained drain rate. */
export const SUSTAINED_DRAIN_TIME_CONSTANT_MS = 10_000;

/**
 * The sustained rate after an interval of `elapsedMs` at `rate`: an exponential average over
 * time (not over readings, so a late reading weighs as much as the time it covers). The peak is
 * taken of this, not of the burst-following rate: a peak of 5-second bursts, faster than a
 * saturated stack keeps up, let bulk admit 2 minutes' work that then took longer than that
 * (docs/performance.md, "The lanes").
 */
export function sustainedRate(previous: number | undefined, rate: number, elapsedMs: number, timeConstantMs = SUSTAINED_DRAIN_TIME_CONSTANT_MS): number {
  if (previous === undefined) return rate;
  const weight = 1 - Math.exp(-Math.max(0, elapsedMs) / timeConstantMs);
  return previous + (rate - previous) * weight;
}

/** Half-life of the remembered peak drain rate: a stack that got slower is believed within minutes. */
export const PEAK_DRAIN_HALF_LIFE_MS = 5 * 60_000;

/** The peak drain rate after an interval of `elapsedMs` in which the lane drained at `rate`. */
export function peakDrain(previousPeak: number, rate: number, elapsedMs: number, halfLifeMs = PEAK_DRAIN_HALF_LIFE_MS): number {
  const decayed = previousPeak * 0.5 ** (Math.max(0, elapsedMs) / halfLifeMs);
  return Math.max(rate, decayed);
}

export interface LaneThresholds {
  /** Shed new notifications once the backlog reaches this. */
  shedAt: number;
  /** ...and admit again once it has fallen below this (hysteresis: no flapping at the edge). */
  resumeBelow: number;
}

export type LaneState = 'admitting' | 'shedding';

export interface LaneAdmission {
  lane: Priority;
  state: LaneState;
  backlog: number;
  thresholds: LaneThresholds;
  drainPerSecond: number;
  /** When shedding: how long until the backlog is expected below `resumeBelow`. */
  retryAfterSeconds?: number;
  /** Channels this lane cannot take a notification for yet (their queue is not declared). */
  channelsWithoutQueue?: Channel[];
}

/** How long a caller waits before asking again for a channel whose queue is not declared yet. */
export const NO_QUEUE_RETRY_AFTER_SECONDS = 2;

/** The first of `channels` the lane cannot take yet, if any (see LaneBacklog.channelsWithoutQueue). */
export function channelWithoutQueue(admission: Pick<LaneAdmission, 'channelsWithoutQueue'>, channels: readonly Channel[]): Channel | undefined {
  return channels.find((channel) => admission.channelsWithoutQueue?.includes(channel));
}

const MAX_RETRY_AFTER_SECONDS = 60;

export function totalBacklog(b: LaneBacklog): number {
  return b.streamLag + b.streamPending + b.queued + (b.inHand ?? 0);
}

/**
 * The lane's state after observing `backlog`, given the state it was in. A lane sheds from
 * `shedAt` up and admits again only below `resumeBelow`. The Retry-After a shed caller gets is
 * the time the backlog needs to drain to `resumeBelow` at the measured rate (at least 1 s, at
 * most a minute): the honest answer, and it spreads retries out instead of synchronising them.
 */
export function admitLane(lane: Priority, previous: LaneState, backlog: LaneBacklog, thresholds: LaneThresholds): LaneAdmission {
  const total = totalBacklog(backlog);
  const shedding = previous === 'shedding' ? total >= thresholds.resumeBelow : total >= thresholds.shedAt;
  const base = {
    lane,
    backlog: total,
    thresholds,
    drainPerSecond: backlog.drainPerSecond,
    ...(backlog.channelsWithoutQueue?.length ? { channelsWithoutQueue: backlog.channelsWithoutQueue } : {}),
  };
  if (!shedding) return { ...base, state: 'admitting' };
  const excess = total - thresholds.resumeBelow + 1;
  const seconds = backlog.drainPerSecond > 0 ? Math.ceil(excess / backlog.drainPerSecond) : MAX_RETRY_AFTER_SECONDS;
  return { ...base, state: 'shedding', retryAfterSeconds: Math.min(MAX_RETRY_AFTER_SECONDS, Math.max(1, seconds)) };
}

/** Thresholds from a shed level: resume at 80% of it. */
export function thresholdsFor(shedAt: number): LaneThresholds {
  return { shedAt, resumeBelow: Math.floor(shedAt * 0.8) };
}

/** How long a newly accepted notification of the lane may expect to wait before it is taken. */
export interface WaitLimit {
  seconds: number;
  /** Never shed below this backlog by the wait limit: a quiet lane's drain rate says little. */
  floor: number;
}

/**
 * The lane's thresholds now: besides its fixed level, it sheds once its backlog would take longer
 * than the wait limit to drain at the rate the lane has shown it can drain (its recent peak). A
 * fixed count means minutes of waiting on a slow stack and seconds on a fast one; what a sender
 * cares about is how long its campaign sits.
 */
export function withWaitLimit(fixed: LaneThresholds, drainPerSecond: number, limit: WaitLimit | undefined): LaneThresholds {
  if (!limit || limit.seconds <= 0 || drainPerSecond <= 0) return fixed;
  const byWait = Math.max(limit.floor, Math.floor(drainPerSecond * limit.seconds));
  return byWait < fixed.shedAt ? thresholdsFor(byWait) : fixed;
}

/**
 * A tenant's limits: requests per second (a batch is one request) and notifications per UTC day.
 * Bulk may use each only up to `criticalReserve` short of it: the rest is kept for critical, so
 * a tenant's own campaign cannot use up the quota its password resets need.
 */
export interface TenantQuota {
  requestsPerSecond: number;
  notificationsPerDay: number;
  /** Share of each limit (0 to 0.5) that only requests carrying critical notifications alone may use. */
  criticalReserve: number;
}

export type QuotaVerdict =
  | { ok: true }
  | { ok: false; code: 'tenant_rate_limited' | 'daily_quota_exceeded'; message: string; retryAfterSeconds: number };

/** Seconds until the next UTC midnight, when the daily volume starts again (at least 1). */
export function secondsToUtcMidnight(now: Date): number {
  const next = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1);
  return Math.max(1, Math.ceil((next - now.getTime()) / 1000));
}

/** What bulk may use of `limit`: all but the critical reserve, and at least 1 (a limit of 1 keeps none). */
export function bulkLimit(limit: number, criticalReserve: number): number {
  return Math.max(1, Math.floor(limit * (1 - criticalReserve)));
}

/**
 * Whether one more request fits the tenant's quota, given what has been counted this second and
 * today (by every intake replica, as far as known). `lanes` holds the lane of each notification
 * the request carries: it may use the critical reserve only when every one of them is critical.
 */
export function checkQuota(
  quota: TenantQuota,
  usage: { requestsThisSecond: number; notificationsToday: number },
  lanes: readonly Priority[],
  now: Date,
): QuotaVerdict {
  const notifications = lanes.length;
  const critical = notifications > 0 && lanes.every((lane) => lane === 'critical');
  const perSecond = critical ? quota.requestsPerSecond : bulkLimit(quota.requestsPerSecond, quota.criticalReserve);
  const perDay = critical ? quota.notificationsPerDay : bulkLimit(quota.notificationsPerDay, quota.criticalReserve);
  const kept = (limit: number, usable: number) => (usable < limit ? ` (of ${limit}: the rest is kept for critical notifications)` : '');
  if (usage.requestsThisSecond + 1 > perSecond) {
    return {
      ok: false,
      code: 'tenant_rate_limited',
      message: `this tenant may make ${perSecond} ${critical ? '' : 'bulk '}requests per second${kept(quota.requestsPerSecond, perSecond)}`,
      retryAfterSeconds: 1,
    };
  }
  if (usage.notificationsToday + notifications > perDay) {
    const left = Math.max(0, perDay - usage.notificationsToday);
    return {
      ok: false,
      code: 'daily_quota_exceeded',
      message: `this tenant may send ${perDay} ${critical ? '' : 'bulk '}notifications per UTC day${kept(quota.notificationsPerDay, perDay)}; ${left} left today`,
      retryAfterSeconds: secondsToUtcMidnight(now),
    };
  }
  return { ok: true };
}
