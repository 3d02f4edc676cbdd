// How every process's data-key cache forgets an erased customer's key within seconds, so that
// the cache may keep keys for minutes (a miss is a sidecar read; a hit is free).
//
// One Redis pub/sub channel per region (nothing is stored: Redis only relays). An erasure
// announces the destroyed key there; each process drops it from its cache on hearing it. A
// process that might have missed an announcement must not trust its cache, so each one also
// sends itself a heartbeat through the same channel every `boundMs / 4`, stamped with its own
// clock, and trusts its cache only while the last heartbeat it heard back was sent within
// `boundMs`, and not at all from the moment its subscription's connection drops until a
// heartbeat comes back over the new one (whatever was announced in between is lost). Redis
// delivers a channel's messages to a subscriber in the order it took them, so a heartbeat sent
// after an announcement arrives after it: `boundMs` after an announcement (plus clock skew
// between hosts), every process has either heard it or stopped trusting its cache. When a lapse
// ends, the cache starts empty (onResume).
import { randomBytes } from 'node:crypto';
import type { Redis } from '../client.js';

/** How long a process may go without hearing its own heartbeat before it stops trusting its cache. */
export const KEY_DROP_BOUND_MS = 10_000;
/** Added to the bound for the clocks of the announcing and the hearing host, which differ a little. */
export const KEY_DROP_SKEW_MS = 2_000;

export interface KeyDrops {
  /** True while this process is known to hear every announcement (its heartbeat came back in time). */
  live(): boolean;
  /** Tells every process to drop a cached key. True when Redis took the announcement. */
  announce(key: string): Promise<boolean>;
  /** Called with every key announced, this process's own announcements included. */
  onDrop(fn: (key: string) => void): void;
  /** Called when a lapse ends (and at the first heartbeat): whatever was cached before may be stale. */
  onResume(fn: () => void): void;
  /** After an announcement Redis took, every process has forgotten the key within this long. */
  readonly forgottenWithinMs: number;
  close(): Promise<void>;
}

export interface KeyDropsOptions {
  redis: Redis;
  /** The pub/sub channel (redisKeys().keyDrops()). */
  channel: string;
  boundMs?: number;
  now?: () => number;
}

const DROP = 'd ';
const BEAT = 'h ';

export async function createKeyDrops(opts: KeyDropsOptions): Promise<KeyDrops> {
  const bound = opts.boundMs ?? KEY_DROP_BOUND_MS;
  const now = opts.now ?? Date.now;
  const self = randomBytes(9).toString('base64url');
  const drops: Array<(key: string) => void> = [];
  const resumes: Array<() => void> = [];
  let lastHeard = -Infinity;
  const live = (): boolean => now() - lastHeard <= bound;

  function heard(message: string): void {
    if (message.startsWith(DROP)) {
      const key = message.slice(DROP.length);
      for (const fn of drops) fn(key);
    } else if (message.startsWith(BEAT)) {
      const [from, sentAt] = message.slice(BEAT.length).split(' ');
      const at = Number(sentAt);
      if (from !== self || !Number.isFinite(at) || at <= lastHeard) return;
      // Before trusting again: anything announced during the lapse may have been missed.
      if (!live()) for (const fn of resumes) fn();
      lastHeard = at;
    }
  }

  const subscriber = opts.redis.duplicate();
  const lapse = (): void => void (lastHeard = -Infinity);
  subscriber.on('error', lapse);
  subscriber.on('end', lapse);
  subscriber.on('reconnecting', lapse);
  await subscriber.connect();
  // From now on, a ready connection is a new one: it heard nothing while it was away.
  subscriber.on('ready', lapse);
  // node-redis subscribes again by itself after a reconnect; the heartbeat says when that worked.
  await subscriber.subscribe(opts.channel, heard);

  const beat = (): void => void opts.redis.publish(opts.channel, `${BEAT}${self} ${now()}`).catch(() => undefined);
  const timer = setInterval(beat, Math.max(1, Math.floor(bound / 4)));
  timer.unref();
  beat();

  return {
    live,
    async announce(key) {
      try {
        await opts.redis.publish(opts.channel, `${DROP}${key}`);
        return true;
      } catch {
        return false;
      }
    },
    onDrop: (fn) => void drops.push(fn),
    onResume: (fn) => void resumes.push(fn),
    forgottenWithinMs: bound + KEY_DROP_SKEW_MS,
    async close() {
      clearInterval(timer);
      await subscriber.unsubscribe(opts.channel).catch(() => undefined);
      subscriber.destroy();
    },
  };
}
