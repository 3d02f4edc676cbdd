// Every dispatch has a deadline its actor owns. A notification handed to a channel queue waits
// for that channel's report; if none comes by `dueBy`, the actor hands the same attempt over
// again (the channel de-duplicates by notification and attempt, so a copy that did go out is
// reported, not sent twice), and after `maxHandoffs` hand-overs it records what it knows
// instead of waiting on. The actor's watchdog (adapters/dispatch-watchdog.ts) is what notices
// a deadline passing; this file only says when the deadlines are.

export interface DispatchPolicy {
  /** How long a dispatch may wait in its queue and with its provider before it is handed over again. */
  timeoutMs: number;
  /**
   * Hand-overs of one attempt that the queue took (the first included) and nothing answered,
   * before the actor stops waiting for its report. Hand-overs the queue refused do not count:
   * a broker outage holds the work, it does not fail it.
   */
  maxHandoffs: number;
}

/** A queue that did not take the hand-off is asked again soon: 1 s, 2 s, 4 s … up to a minute. */
const FAILED_HANDOFF_BASE_MS = 1_000;
const FAILED_HANDOFF_MAX_MS = 60_000;
/** A dispatch that went unanswered waits twice as long each time, up to an hour. */
const UNANSWERED_MAX_MS = 60 * 60_000;

/**
 * When the next hand-over of an attempt is due, after `count` hand-overs of this kind so far.
 * `failed`: the queue refused it, or did not say whether it took it (a broker outage passes
 * soon); otherwise it was taken and nothing came back (a backlog, a lost message).
 * Later hand-overs are jittered (half to all of the delay), so what failed together does not
 * return together; the first deadline of a dispatch is exact.
 */
export function nextHandoffDelayMs(policy: DispatchPolicy, count: number, failed: boolean, random: number): number {
  const ceiling = failed
    ? Math.min(FAILED_HANDOFF_MAX_MS, FAILED_HANDOFF_BASE_MS * 2 ** Math.max(0, count - 1))
    : Math.min(UNANSWERED_MAX_MS, policy.timeoutMs * 2 ** Math.max(0, count - 1));
  if (!failed && count <= 1) return ceiling;
  return Math.round(ceiling * (0.5 + random / 2));
}
