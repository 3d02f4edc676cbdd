// The arithmetic of a run, kept pure for tests: percentiles, per-second series, ramp verdicts,
// the flood comparison and the outage's drain. Every time is ms from the start of the run.
import { percentile } from './counters.js';
import type { Lane, Phase } from './schedule.js';

/** One request the generator made, and (once read back) what became of its notification. */
export interface Trace {
  lane: Lane;
  channel: string;
  dueMs: number;
  startMs: number;
  /** When intake's answer arrived. */
  endMs: number;
  /** Intake's HTTP status; 0 when the request itself failed (connection refused, timeout). */
  status: number;
  /** The machine-readable code of a refusal (`{error:{code}}`), e.g. lane_overloaded. */
  code?: string;
  id?: string;
  /** From the notification's timeline, when it was read back. */
  acceptedAtMs?: number;
  /** The first dispatch to a channel: the dispatcher's part of accept→sent ends here. */
  dispatchedAtMs?: number;
  sentAtMs?: number;
  /** The notification's status when it was last read (missing: never read, or not found). */
  finalStatus?: string;
  /** Ended without being sent (failed, expired, …): the reason its timeline gives. */
  endReason?: string;
}

export interface Summary {
  n: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

export function summarize(values: readonly number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  return {
    n,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: n ? (sorted[n - 1] ?? NaN) : NaN,
    mean: n ? sorted.reduce((a, b) => a + b, 0) / n : NaN,
  };
}

export const isAccepted = (t: Trace): boolean => t.status === 202;
export const isShed = (t: Trace): boolean => t.status === 429;
export const isCompleted = (t: Trace): t is Trace & { sentAtMs: number } => t.sentAtMs !== undefined;
export const acceptMs = (t: Trace): number => t.endMs - t.startMs;
/** From one point of a notification's timeline to a later one, when both are known. */
const span = (from: number | undefined, to: number | undefined): number | undefined => (from !== undefined && to !== undefined ? to - from : undefined);
/** Accept→sent from the notification's own timeline (both ends written by Herald's clock). */
export const sentLatencyMs = (t: Trace): number | undefined => span(t.acceptedAtMs, t.sentAtMs);

/** How many of `times` fall in each `bucketMs` bucket of [0, lengthMs). */
export function countPerBucket(times: readonly number[], bucketMs: number, lengthMs: number): number[] {
  const out = new Array<number>(Math.max(1, Math.ceil(lengthMs / bucketMs))).fill(0);
  for (const t of times) {
    const i = Math.floor(t / bucketMs);
    if (i >= 0 && i < out.length) out[i] = (out[i] ?? 0) + 1;
  }
  return out;
}

export interface LatencyPoint {
  n: number;
  p50: number;
  p99: number;
}

/** Percentiles of the values in each bucket (by `atMs`); an empty bucket is undefined. */
export function latencyPerBucket(points: ReadonlyArray<{ atMs: number; ms: number }>, bucketMs: number, lengthMs: number): Array<LatencyPoint | undefined> {
  const buckets: number[][] = Array.from({ length: Math.max(1, Math.ceil(lengthMs / bucketMs)) }, () => []);
  for (const { atMs, ms } of points) buckets[Math.floor(atMs / bucketMs)]?.push(ms);
  return buckets.map((b) => {
    if (b.length === 0) return undefined;
    b.sort((x, y) => x - y);
    return { n: b.length, p50: percentile(b, 50), p99: percentile(b, 99) };
  });
}

/** Traces whose request was made in [startMs, endMs). */
export function within(traces: readonly Trace[], startMs: number, endMs: number): Trace[] {
  return traces.filter((t) => t.startMs >= startMs && t.startMs < endMs);
}

export interface LaneStats {
  offered: number;
  accepted: number;
  shed: number;
  /** Neither accepted nor shed: 4xx/5xx other than 429, or no answer at all. */
  errors: number;
  completed: number;
  accept: Summary;
  sent: Summary;
  /**
   * accept→sent in two parts: accept→dispatched (the lane's stream, the dispatcher, the actor's
   * first turn) and dispatched→sent (the channel queue, the channel app, the provider, the report
   * back to the actor). Says where a lane's time goes.
   */
  toDispatched: Summary;
  dispatchedToSent: Summary;
}

const defined = (v: number | undefined): v is number => v !== undefined;

export function laneStats(traces: readonly Trace[]): LaneStats {
  const accepted = traces.filter(isAccepted);
  return {
    offered: traces.length,
    accepted: accepted.length,
    shed: traces.filter(isShed).length,
    errors: traces.filter((t) => !isAccepted(t) && !isShed(t)).length,
    completed: accepted.filter(isCompleted).length,
    accept: summarize(accepted.map(acceptMs)),
    sent: summarize(accepted.map(sentLatencyMs).filter(defined)),
    toDispatched: summarize(accepted.map((t) => span(t.acceptedAtMs, t.dispatchedAtMs)).filter(defined)),
    dispatchedToSent: summarize(accepted.map((t) => span(t.dispatchedAtMs, t.sentAtMs)).filter(defined)),
  };
}

export interface StepVerdict {
  label: string;
  offeredPerSec: number;
  /** What the generator managed to send per second (it shares the machine with the stack). */
  madePerSec: number;
  acceptedPerSec: number;
  completedPerSec: number;
  sentP99Ms: number;
  errorShare: number;
  keptUp: boolean;
  why: string;
}

export interface RampRules {
  /** Completions in a step must reach this share of the step's acceptances. */
  completionShare: number;
  /** accept→sent p99 of the step's notifications must stay at or under this. */
  latencyBoundMs: number;
  /** Refused or failed requests must stay at or under this share. */
  maxErrorShare: number;
  /** Below this share of the offered rate, the generator, not the stack, was the limit. */
  minMadeShare: number;
}

export const DEFAULT_RAMP_RULES: RampRules = { completionShare: 0.95, latencyBoundMs: 1_000, maxErrorShare: 0.01, minMadeShare: 0.9 };

/** Whether the stack kept up with each step of a ramp, and why not when it did not. */
export function rampVerdicts(phases: readonly Phase[], traces: readonly Trace[], rules: RampRules = DEFAULT_RAMP_RULES): StepVerdict[] {
  return phases.map((ph) => {
    const seconds = (ph.endMs - ph.startMs) / 1000;
    const made = within(traces, ph.startMs, ph.endMs);
    const accepted = traces.filter((t) => isAccepted(t) && t.endMs >= ph.startMs && t.endMs < ph.endMs).length;
    const completed = traces.filter((t) => t.sentAtMs !== undefined && t.sentAtMs >= ph.startMs && t.sentAtMs < ph.endMs).length;
    const stepAccepted = made.filter(isAccepted);
    const sent = summarize(stepAccepted.map(sentLatencyMs).filter((v): v is number => v !== undefined));
    const unfinished = stepAccepted.filter((t) => !isCompleted(t)).length;
    const errorShare = made.length ? made.filter((t) => !isAccepted(t)).length / made.length : 0;
    const reasons: string[] = [];
    if (made.length < rules.minMadeShare * ph.ratePerSec * seconds) reasons.push('generator could not offer the rate');
    if (completed < rules.completionShare * accepted) reasons.push(`completed ${completed} of ${accepted} accepted in the step`);
    if (!(sent.p99 <= rules.latencyBoundMs)) reasons.push(`accept→sent p99 ${Number.isFinite(sent.p99) ? Math.round(sent.p99) : 'n/a'} ms > ${rules.latencyBoundMs} ms`);
    if (unfinished > 0) reasons.push(`${unfinished} never completed`);
    if (errorShare > rules.maxErrorShare) reasons.push(`${(errorShare * 100).toFixed(1)}% refused or failed`);
    return {
      label: ph.label,
      offeredPerSec: ph.ratePerSec,
      madePerSec: made.length / seconds,
      acceptedPerSec: accepted / seconds,
      completedPerSec: completed / seconds,
      sentP99Ms: sent.p99,
      errorShare,
      keptUp: reasons.length === 0,
      why: reasons.join('; ') || 'kept up',
    };
  });
}

/** The knee: the highest offered rate up to which every step kept up (undefined: not even the first). */
export function kneeOf(verdicts: readonly StepVerdict[]): number | undefined {
  let knee: number | undefined;
  for (const v of verdicts) {
    if (!v.keptUp) break;
    knee = v.offeredPerSec;
  }
  return knee;
}

export interface FloodComparison {
  idleSentP99Ms: number;
  floodSentP99Ms: number;
  /** flood / idle: the target is at most 1.2. */
  ratio: number;
  idle: LaneStats;
  flood: LaneStats;
}

/** Critical accept→sent in the idle phase against the flood phase (by when the request was made). */
export function compareFlood(traces: readonly Trace[], idle: Phase, flood: Phase): FloodComparison {
  const critical = traces.filter((t) => t.lane === 'critical');
  const idleStats = laneStats(within(critical, idle.startMs, idle.endMs));
  const floodStats = laneStats(within(critical, flood.startMs, flood.endMs));
  return { idleSentP99Ms: idleStats.sent.p99, floodSentP99Ms: floodStats.sent.p99, ratio: floodStats.sent.p99 / idleStats.sent.p99, idle: idleStats, flood: floodStats };
}

export interface Drain {
  /** Notifications accepted before the outage ended. */
  caughtInOutage: number;
  /** ms from the outage's end until the last of them was sent; undefined if some never were. */
  drainMs?: number;
  unfinished: number;
}

/** How long after the outage the work accepted up to its end took to be sent. */
export function drainAfter(traces: readonly Trace[], outageEndMs: number): Drain {
  const before = traces.filter((t) => isAccepted(t) && t.startMs < outageEndMs);
  const unfinished = before.filter((t) => !isCompleted(t)).length;
  const last = before.reduce((m, t) => Math.max(m, t.sentAtMs ?? m), outageEndMs);
  return { caughtInOutage: before.length, unfinished, ...(unfinished === 0 ? { drainMs: last - outageEndMs } : {}) };
}

export interface Reconciliation {
  accepted: number;
  completed: number;
  /** Ended in a state other than sent/delivered (failed, expired, …) or unknown to Herald. */
  lost: number;
  /** Still on their way when the deadline passed (accepted, dispatched, retrying, scheduled). */
  unfinished: number;
  /**
   * Successful sends the provider counted beyond one per completed notification:
   * providerSends − completed (never below 0). Null while work is unfinished: the provider's
   * count and the timelines are then read at different moments of a moving backlog.
   */
  duplicates: number | null;
  byStatus: Record<string, number>;
}

const IN_FLIGHT = new Set(['accepted', 'scheduled', 'dispatched', 'retrying']);

/** Accepted, and ended in a status other than sent or delivered (failed, expired, suppressed, canceled). */
export function endedUnsent(t: Trace): boolean {
  return isAccepted(t) && !isCompleted(t) && t.finalStatus !== undefined && t.finalStatus !== 'unknown' && !IN_FLIGHT.has(t.finalStatus);
}

/**
 * Joins what the provider counted with what each accepted notification's timeline says. A
 * notification Herald does not know yet (status `unknown`: its accepted event has not reached
 * its actor) is unfinished while events still wait on the lane topics (`eventsWaiting`), lost
 * once nothing does.
 */
export function reconcile(traces: readonly Trace[], providerSends: number, eventsWaiting = false): Reconciliation {
  const accepted = traces.filter(isAccepted);
  const byStatus: Record<string, number> = {};
  let lost = 0;
  let unfinished = 0;
  for (const t of accepted) {
    const status = t.finalStatus ?? 'unknown';
    byStatus[status] = (byStatus[status] ?? 0) + 1;
    if (isCompleted(t)) continue;
    if (IN_FLIGHT.has(status) || (status === 'unknown' && eventsWaiting)) unfinished++;
    else lost++;
  }
  const completed = accepted.filter(isCompleted).length;
  const duplicates = unfinished > 0 ? null : Math.max(0, providerSends - completed);
  return { accepted: accepted.length, completed, lost, unfinished, duplicates, byStatus };
}
