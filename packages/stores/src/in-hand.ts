import type { Priority } from '@herald/contracts';
import type { Redis } from './client.js';
import type { RedisKeys } from './keys.js';

// How many dispatches the channel apps hold right now, per lane: delivered to them by the queue
// and not yet settled (waiting for a token, with the provider, reporting). RabbitMQ counts these
// as unacknowledged, not as ready, so the queue depth intake reads for admission does not see
// them, and a replica may hold its whole prefetch of a campaign (64 per lane) while the queue
// reads empty. Each replica writes its own count to one hash per lane; intake adds them up.
// Beside it goes how many the replica has finished with since it started: intake reads the lane's
// end-to-end drain rate from those totals (the dispatcher can run ahead of the channels, so how
// fast it takes work says little about how fast the backlog goes).

export interface InHandCounter {
  /** A dispatch of `lane` arrived. */
  begin(lane: Priority): void;
  /** ...and is answered: `done` when acknowledged (sent, failed, deferred), not when handed back to the queue. */
  end(lane: Priority, done: boolean): void;
  /** Removes this replica's counts and writes no more (the replica is leaving). */
  stop(): Promise<void>;
}

export interface InHandOptions {
  /** This replica's name in the hash (unique per process). */
  member: string;
  /** At most one write per lane this often after a change (ms). */
  flushMs?: number;
  /** A write this often even without a change, so a reader can tell a live count from a dead replica's. */
  heartbeatMs?: number;
  now?: () => number;
}

/** A count older than this is a replica that stopped writing: a reader ignores it. */
export const IN_HAND_STALE_MS = 10_000;
/** ...and removes it once it is this old. */
const IN_HAND_FORGET_MS = 3_600_000;

export function createInHandCounter(redis: Redis, keys: RedisKeys, opts: InHandOptions): InHandCounter {
  const flushMs = opts.flushMs ?? 100;
  const heartbeatMs = opts.heartbeatMs ?? 2_000;
  const now = opts.now ?? Date.now;
  const lanes = new Map<Priority, { count: number; done: number; flush?: NodeJS.Timeout | undefined; lastWrite: number }>();
  let stopped = false;
  const heartbeat = setInterval(() => {
    for (const [lane, l] of lanes) if (now() - l.lastWrite >= heartbeatMs) void write(lane);
  }, heartbeatMs);
  heartbeat.unref();

  function laneOf(lane: Priority) {
    let l = lanes.get(lane);
    if (!l) lanes.set(lane, (l = { count: 0, done: 0, lastWrite: 0 }));
    return l;
  }

  async function write(lane: Priority): Promise<void> {
    if (stopped) return;
    const l = laneOf(lane);
    l.lastWrite = now();
    // Best effort: a count that fails to reach Redis is written again on the next change or
    // heartbeat, and admission falls back to what it can see.
    await redis.hSet(keys.inHand(lane), opts.member, `${l.count}:${l.lastWrite}:${l.done}`).catch(() => undefined);
  }

  function changed(lane: Priority, by: number, done = false): void {
    const l = laneOf(lane);
    l.count = Math.max(0, l.count + by);
    if (done) l.done++;
    if (l.flush) return;
    l.flush = setTimeout(() => {
      l.flush = undefined;
      void write(lane);
    }, flushMs);
    l.flush.unref();
  }

  return {
    begin: (lane) => changed(lane, 1),
    end: (lane, done) => changed(lane, -1, done),
    async stop() {
      stopped = true;
      clearInterval(heartbeat);
      for (const [lane, l] of lanes) {
        clearTimeout(l.flush);
        await redis.hDel(keys.inHand(lane), opts.member).catch(() => undefined);
      }
    },
  };
}

export interface InHand {
  /** What the live replicas hold of the lane now. */
  total: number;
  /** Each live replica's count of dispatches finished since it started. */
  doneByMember: Record<string, number>;
}

/** The dispatches of `lane` every live channel replica holds, and has finished; forgets replicas long gone. */
export async function readInHand(redis: Redis, keys: RedisKeys, lane: Priority, nowMs: number): Promise<InHand> {
  const all = await redis.hGetAll(keys.inHand(lane));
  let total = 0;
  const doneByMember: Record<string, number> = {};
  const gone: string[] = [];
  for (const [member, value] of Object.entries(all)) {
    const [count, at, done] = value.split(':').map(Number);
    if (count === undefined || at === undefined || !Number.isFinite(count) || !Number.isFinite(at)) continue;
    if (nowMs - at <= IN_HAND_STALE_MS) {
      total += count;
      if (done !== undefined && Number.isFinite(done)) doneByMember[member] = done;
    } else if (nowMs - at > IN_HAND_FORGET_MS) gone.push(member);
  }
  if (gone.length > 0) await redis.hDel(keys.inHand(lane), gone);
  return { total, doneByMember };
}

/**
 * Dispatches finished between two readings: what each replica seen in both finished meanwhile.
 * A replica that restarted (its total went down) or is new counts from the next reading.
 */
export function doneBetween(previous: Record<string, number>, current: Record<string, number>): number {
  let done = 0;
  for (const [member, now] of Object.entries(current)) {
    const before = previous[member];
    if (before !== undefined && now >= before) done += now - before;
  }
  return done;
}
