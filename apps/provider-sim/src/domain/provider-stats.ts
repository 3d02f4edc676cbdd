import { createSlidingWindow } from './sliding-window.js';

export interface ProviderStats {
  /** Every request to this provider's routes. */
  received: number;
  /** Answered 2xx. */
  accepted: number;
  rejected429: number;
  failed5xx: number;
  /** Answered 4xx other than 429 (auth, validation, invalid recipient, quota). */
  rejected4xx: number;
  /** The most accepted requests in any one-second window (sliding, not aligned to seconds). */
  maxPerSecond: number;
}

/** Notification Hubs' statistics: one request may reach many devices (a batch direct send). */
export interface PushStats extends ProviderStats {
  /** Device handles reached by accepted direct sends: one per single send, each live handle of a batch. */
  devices: number;
}

export interface StatsRecorder {
  /** Counts a request answered `status` at `now` (monotonic ms). */
  record(status: number, now: number): void;
  view(): ProviderStats;
  reset(): void;
}

const ONE_SECOND_MS = 1_000;

export function createStatsRecorder(): StatsRecorder {
  const accepted = createSlidingWindow(ONE_SECOND_MS);
  let stats = emptyStats();
  return {
    record(status, now) {
      stats.received++;
      if (status >= 200 && status < 300) {
        stats.accepted++;
        stats.maxPerSecond = Math.max(stats.maxPerSecond, accepted.add(now));
      } else if (status === 429) stats.rejected429++;
      else if (status >= 500) stats.failed5xx++;
      else if (status >= 400) stats.rejected4xx++;
    },
    view: () => ({ ...stats }),
    reset() {
      stats = emptyStats();
      accepted.clear();
    },
  };
}

function emptyStats(): ProviderStats {
  return { received: 0, accepted: 0, rejected429: 0, failed5xx: 0, rejected4xx: 0, maxPerSecond: 0 };
}
