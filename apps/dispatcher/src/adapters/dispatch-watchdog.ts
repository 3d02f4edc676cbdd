import { errMessage, type Logger } from '@herald/service';
import { NOTIFICATION_ACTOR, type ActorPort } from '@herald/dapr';
import { redisScript, type Redis, type RedisKeys } from '@herald/stores';
import type { DeadlineList, WatchList } from './notification-actor.js';

// The watchdog for every notification's deadline (domain/dispatch-deadline.ts). A notification
// actor puts itself on one Redis sorted set, scored by when its deadline passes, before it saves
// a dispatch, and takes itself off once the dispatch is answered: two commands per notification,
// where a Dapr reminder per dispatch would cost a sidecar request and a scheduler write to set
// and another to fire or delete (docs/reliability.md). Each dispatcher replica looks at the set
// every few seconds, leases what has passed (re-scored a lease ahead, so no other replica takes
// it meanwhile, and so it comes round again if this one dies), and calls each actor's `overdue`
// method: the actor decides, and its decision puts it back on the set or takes it off.
//
// What the set holds is operational, not a record: the deadline itself is in the actor's state.

/** KEYS: the sets. ARGV: now (ms), how many at most, lease end (ms). Answers the leased ids. */
const CLAIM = `
local claimed = {}
for _, key in ipairs(KEYS) do
  local left = tonumber(ARGV[2]) - #claimed
  if left <= 0 then break end
  local ids = redis.call('ZRANGEBYSCORE', key, '-inf', ARGV[1], 'LIMIT', 0, left)
  for _, id in ipairs(ids) do
    redis.call('ZADD', key, ARGV[3], id)
    claimed[#claimed + 1] = id
  end
end
return claimed`;
const claimScript = redisScript(CLAIM);

/**
 * The watchdog's list, as two sorted sets: dispatches awaiting their channel's report, and
 * notifications waiting on a reminder, so each can be counted (`herald_reminders_pending`). A
 * notification is in one at most; one that moves between them (a retry's wait, then its dispatch)
 * leaves the other in the same round trip. An entry whose list is not known is taken out of both.
 */
export function createDeadlineList(redis: Redis, keys: RedisKeys): DeadlineList & { claim(now: number, limit: number, leaseEnd: number): Promise<string[]> } {
  const keyOf = (list: WatchList) => (list === 'wait' ? keys.waits() : keys.deadlines());
  return {
    async watch(id, atMs, list = 'dispatch', from) {
      if (from === undefined || from === list) {
        await redis.zAdd(keyOf(list), { score: atMs, value: id });
        return;
      }
      await redis.multi().zRem(keyOf(from), id).zAdd(keyOf(list), { score: atMs, value: id }).exec();
    },
    async unwatch(id, list) {
      if (list) await redis.zRem(keyOf(list), id);
      else await redis.multi().zRem(keys.deadlines(), id).zRem(keys.waits(), id).exec();
    },
    async claim(now, limit, leaseEnd) {
      const ids = await claimScript(redis, [keys.deadlines(), keys.waits()], [now, limit, leaseEnd]);
      return Array.isArray(ids) ? ids.map(String) : [];
    },
  };
}

export interface WatchdogOptions {
  list: Pick<ReturnType<typeof createDeadlineList>, 'claim'>;
  sidecar: ActorPort;
  log: Logger;
  /** How often to look for passed deadlines. */
  intervalMs: number;
  /** Passed deadlines handled per look, and how many actors are called at once. */
  batch?: number;
  concurrency?: number;
  /** How long a leased entry stays away from other looks (the actor call's own bound, and then some). */
  leaseMs?: number;
  now?: () => number;
}

export interface Watchdog {
  /** One look: calls the actor of every passed deadline; resolves with how many it called. */
  sweep(): Promise<number>;
  start(): void;
  stop(): Promise<void>;
}

export function createDispatchWatchdog(opts: WatchdogOptions): Watchdog {
  const now = opts.now ?? Date.now;
  const batch = opts.batch ?? 200;
  const concurrency = opts.concurrency ?? 16;
  const leaseMs = opts.leaseMs ?? 60_000;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();

  async function call(id: string): Promise<void> {
    try {
      await opts.sidecar.invokeActor(NOTIFICATION_ACTOR, id, 'overdue', {});
    } catch (err) {
      // Still leased: it comes round again when the lease ends.
      opts.log.warn({ notificationId: id, err: errMessage(err) }, 'overdue call failed; will look again');
    }
  }

  async function sweep(): Promise<number> {
    let called = 0;
    for (;;) {
      const t = now();
      const ids = await opts.list.claim(t, batch, t + leaseMs);
      for (let i = 0; i < ids.length; i += concurrency) await Promise.all(ids.slice(i, i + concurrency).map(call));
      called += ids.length;
      if (ids.length < batch) return called;
    }
  }

  function schedule(): void {
    timer = setTimeout(() => {
      running = sweep()
        .then((n) => n > 0 && opts.log.info({ overdue: n }, 'watchdog handed passed deadlines to their actors'))
        .catch((err: unknown) => opts.log.warn({ err: errMessage(err) }, 'watchdog look failed; next look as usual'))
        .finally(() => timer !== undefined && schedule());
    }, opts.intervalMs);
    timer.unref();
  }

  return {
    sweep,
    start() {
      if (timer === undefined) schedule();
    },
    async stop() {
      clearTimeout(timer);
      timer = undefined;
      await running;
    },
  };
}
