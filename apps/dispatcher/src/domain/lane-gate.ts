// Lane priority inside the dispatcher: a bulk flood must not delay password resets (a failure
// of the earlier design, docs/design.md, "Why Herald looks like this").
// Each lane's subscription hands its entries to actors through this gate: critical entries
// start as soon as one of their own slots is free; a bulk entry starts only while no critical
// entry is waiting and critical work in flight is at most a small share. Entries already
// running are never interrupted: the gate decides only what starts next.
import type { Priority } from '@herald/contracts';

export interface LaneGateLimits {
  /** Critical entries in flight at once. */
  critical: number;
  /** Bulk entries in flight at once, while critical work leaves room. */
  bulk: number;
  /** Critical entries in flight that bulk still starts beside; above this, bulk waits. */
  bulkYieldAbove: number;
}

export interface LaneGate {
  /** Resolves when an entry of `lane` may start, with the function to call (once) when it ends. */
  acquire(lane: Priority): Promise<() => void>;
  /** Runs `work` under the gate: it starts when the lane's turn comes; the slot is freed however it ends. */
  run<T>(lane: Priority, work: () => Promise<T>): Promise<T>;
  snapshot(): { inFlight: Record<Priority, number>; waiting: Record<Priority, number> };
}

export function createLaneGate(limits: LaneGateLimits): LaneGate {
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isInteger(value) || value < (name === 'bulkYieldAbove' ? 0 : 1)) throw new RangeError(`lane gate: ${name} must be a whole number (got ${value})`);
  }
  const inFlight: Record<Priority, number> = { critical: 0, bulk: 0 };
  const waiting: Record<Priority, Array<() => void>> = { critical: [], bulk: [] };

  const mayStart = (lane: Priority): boolean =>
    lane === 'critical'
      ? inFlight.critical < limits.critical
      : inFlight.bulk < limits.bulk && waiting.critical.length === 0 && inFlight.critical <= limits.bulkYieldAbove;

  const releaser = (lane: Priority): (() => void) => {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      inFlight[lane]--;
      pump();
    };
  };

  // Critical first: a bulk entry is considered only once no critical entry is left waiting.
  function pump(): void {
    for (const lane of ['critical', 'bulk'] as const) {
      while (waiting[lane].length > 0 && mayStart(lane)) {
        inFlight[lane]++;
        waiting[lane].shift()?.();
      }
    }
  }

  const gate: LaneGate = {
    acquire(lane) {
      if (waiting[lane].length === 0 && mayStart(lane)) {
        inFlight[lane]++;
        return Promise.resolve(releaser(lane));
      }
      return new Promise((resolve) => waiting[lane].push(() => resolve(releaser(lane))));
    },
    async run(lane, work) {
      const release = await gate.acquire(lane);
      try {
        return await work();
      } finally {
        release();
      }
    },
    snapshot() {
      return { inFlight: { ...inFlight }, waiting: { critical: waiting.critical.length, bulk: waiting.bulk.length } };
    },
  };
  return gate;
}
