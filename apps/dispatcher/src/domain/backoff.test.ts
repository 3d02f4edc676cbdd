import { retryDelayMs, type RetryPolicy } from './backoff.js';

const policy: RetryPolicy = { maxAttempts: 5, baseDelayMs: 1_000, maxDelayMs: 10_000 };

describe('retryDelayMs', () => {
  it('doubles the ceiling with each failed attempt, from the base', () => {
    expect(retryDelayMs(policy, 1, 0.999999)).toBe(999);
    expect(retryDelayMs(policy, 2, 0.999999)).toBe(1_999);
    expect(retryDelayMs(policy, 3, 0.999999)).toBe(3_999);
  });

  it('never exceeds the maximum delay however many attempts failed', () => {
    expect(retryDelayMs(policy, 30, 0.999999)).toBe(9_999);
  });

  it('spreads retries over the whole window (full jitter), down to zero', () => {
    expect(retryDelayMs(policy, 3, 0)).toBe(0);
    expect(retryDelayMs(policy, 3, 0.5)).toBe(2_000);
  });

  it("honours a provider's Retry-After as a floor", () => {
    expect(retryDelayMs(policy, 1, 0.1, 30_000)).toBe(30_000);
    expect(retryDelayMs(policy, 3, 0.9, 10)).toBe(3_600);
  });
});
