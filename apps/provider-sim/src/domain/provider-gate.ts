import type { ProviderBehaviour } from './sim-config.js';
import { createSlidingWindow } from './sliding-window.js';

/** What the simulated provider does with an authenticated request before looking at it. */
export type Gate =
  | { kind: 'outage' }
  | { kind: 'throttled'; limit: number; retryAfterMs: number }
  | { kind: 'fault'; status: 500 | 503 }
  | { kind: 'pass' };

export interface ProviderGate {
  /** `random` is a draw in [0, 1), used only when an error rate is set. */
  decide(behaviour: ProviderBehaviour, now: number, random: () => number): Gate;
  /** Forgets the requests counted against the rate limit. */
  clear(): void;
}

const ONE_SECOND_MS = 1_000;

/**
 * Outage first (the provider is down, nothing is counted), then the rate limit (a sliding
 * one-second log: at most `ratePerSec` requests in any one-second window, so a client's
 * limiter that is right is never throttled and one that bursts is), then the error rate.
 */
export function createProviderGate(): ProviderGate {
  const admitted = createSlidingWindow(ONE_SECOND_MS);
  return {
    decide(behaviour, now, random) {
      if (behaviour.outage) return { kind: 'outage' };
      if (behaviour.ratePerSec > 0) {
        if (admitted.count(now) >= behaviour.ratePerSec) {
          const oldest = admitted.oldest(now) ?? now;
          return { kind: 'throttled', limit: behaviour.ratePerSec, retryAfterMs: Math.max(1, oldest + ONE_SECOND_MS - now) };
        }
        admitted.add(now);
      }
      if (behaviour.errorRate > 0) {
        const draw = random();
        // One draw picks both whether and which: the lower half of the error band is a 500.
        if (draw < behaviour.errorRate) return { kind: 'fault', status: draw < behaviour.errorRate / 2 ? 500 : 503 };
      }
      return { kind: 'pass' };
    },
    clear: () => admitted.clear(),
  };
}
