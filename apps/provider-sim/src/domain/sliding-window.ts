/**
 * The timestamps (ms) of the events of the last `windowMs`, oldest first.
 *
 * One structure serves both the rate limit and the `maxPerSecond` statistic. The window that
 * ends at an event, (t - windowMs, t], holds every event that any window of that length can
 * hold together with it; so the largest count seen right after adding each event is the
 * largest count in any window, and a limit checked against that count holds in every window,
 * not only in aligned one-second buckets.
 *
 * Time must not go backwards (the server passes a monotonic clock); an earlier timestamp is
 * treated as the latest one so the window stays ordered.
 */
export interface SlidingWindow {
  /** Events in (now - windowMs, now]. */
  count(now: number): number;
  /** Records an event at `now`; answers the count of the window ending at it, this one included. */
  add(now: number): number;
  /** The oldest event still in the window at `now`, if any. */
  oldest(now: number): number | undefined;
  clear(): void;
}

export function createSlidingWindow(windowMs: number): SlidingWindow {
  let times: number[] = [];
  let head = 0;
  let latest = Number.NEGATIVE_INFINITY;

  const evict = (now: number): void => {
    while (head < times.length && (times[head] ?? now) <= now - windowMs) head++;
    // Drop the evicted prefix now and then rather than shifting on every event.
    if (head > 1_024 && head * 2 > times.length) {
      times = times.slice(head);
      head = 0;
    }
  };

  return {
    count(now) {
      evict(Math.max(now, latest));
      return times.length - head;
    },
    add(now) {
      latest = Math.max(now, latest);
      evict(latest);
      times.push(latest);
      return times.length - head;
    },
    oldest(now) {
      evict(Math.max(now, latest));
      return times[head];
    },
    clear() {
      times = [];
      head = 0;
      latest = Number.NEGATIVE_INFINITY;
    },
  };
}
