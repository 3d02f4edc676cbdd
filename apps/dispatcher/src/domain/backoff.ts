/** Retry policy for transient failures. */
export interface RetryPolicy {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

/**
 * Delay before the attempt after `failedAttempt`: exponential backoff with full jitter
 * (AWS Architecture Blog, "Exponential Backoff And Jitter"), so retries of many notifications
 * that failed together spread out instead of returning as one herd. A provider's Retry-After
 * is a floor: we never come back sooner than it asked.
 *
 * `random` is a number in [0, 1): time and randomness come in as arguments.
 */
export function retryDelayMs(policy: RetryPolicy, failedAttempt: number, random: number, retryAfterMs?: number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, failedAttempt - 1));
  const jittered = Math.floor(random * ceiling);
  return Math.max(jittered, retryAfterMs ?? 0);
}
