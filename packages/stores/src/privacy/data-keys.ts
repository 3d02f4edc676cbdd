// The customers' data keys in the store of record (component `datakeys`), wrapped under the
// region's KEK, with an in-memory cache of the unwrapped keys. The cache is the only place a
// data key is ever in the clear. It forgets a destroyed key when the destruction is announced
// (key-drops.ts: within seconds, in every process), and every key after `cacheTtlMs` whatever
// happens; with no announcements to trust (none configured, or Redis unreachable) it keeps
// nothing beyond that TTL.
import { StateConflict, type StatePort } from '@herald/dapr';
import { setBounded } from '@herald/service';
import { newDataKey, sealedKeyId, Undecryptable, type DataKey, type SealContext } from './envelope.js';
import type { KeyDrops } from './key-drops.js';
import { WrappedDataKeySchema, type KeyRing, type WrappedDataKey } from './key-ring.js';
import { openMetadata } from './sealing.js';

/** The state component that keeps the wrapped data keys (datakeys.yaml). */
export const KEY_STORE = 'datakeys';
export const dataKeyKey = (tenantId: string, customerId: string) => `dek|${tenantId}|${customerId}`;
/**
 * How long an unwrapped data key stays in memory at most. Minutes, so that a customer who gets a
 * notification every few minutes costs no key read per notification; an erasure does not wait
 * for it unless its announcement could not be sent.
 */
export const DATA_KEY_CACHE_TTL_MS = 600_000;

export interface DataKeys {
  /** The customer's data key, made (and stored, wrapped) if they have none yet. */
  forSealing(tenantId: string, customerId: string): Promise<DataKey>;
  /**
   * The data key with this id, or undefined when the customer's key is gone or is another one
   * (erased, perhaps made again since): what it sealed can never be opened again. Throws
   * Undecryptable when the wrapped key itself does not open (a KEK missing from the ring).
   */
  forOpening(tenantId: string, customerId: string, keyId: string): Promise<DataKey | undefined>;
  /** Deletes the wrapped key (crypto-shredding) and forgets it here and, announced, everywhere. True if there was one. */
  destroy(tenantId: string, customerId: string): Promise<boolean>;
  /**
   * Announces again that the customer's key is gone, and answers how long from now until no
   * process can still hold it: the announcement's bound, or the cache TTL when it could not be sent.
   */
  forgetEverywhere(tenantId: string, customerId: string): Promise<number>;
  /** Wraps a stored key anew under the primary KEK, if it is under another. True if it changed. */
  rewrap(tenantId: string, customerId: string): Promise<boolean>;
  /** Drops every cached key (tests, and an app told its keys changed). */
  forget(): void;
}

export interface DataKeysOptions {
  state: StatePort;
  ring: KeyRing;
  store?: string;
  cacheTtlMs?: number;
  /** Announcements of destroyed keys; without them nothing is forgotten before the TTL elsewhere. */
  drops?: KeyDrops;
  /** Keys held at most (about 64 bytes each, plus the map's own). */
  maxCached?: number;
  now?: () => number;
}

/** A read of a wrapped key in flight (see `reading`). */
interface Read {
  answer: Promise<DataKey | undefined>;
  dropped: boolean;
  lapsed: boolean;
}

export function createDataKeys(opts: DataKeysOptions): DataKeys {
  const store = opts.store ?? KEY_STORE;
  const ttl = opts.cacheTtlMs ?? DATA_KEY_CACHE_TTL_MS;
  const maxCached = opts.maxCached ?? 50_000;
  const now = opts.now ?? Date.now;
  const cache = new Map<string, { key: DataKey; until: number }>();
  /**
   * Reads of the same key in flight share one sidecar request. A read the key's destruction
   * overtakes (`dropped`) answers that the key is gone; one a lapse of the announcements
   * overtakes (`lapsed`) may hold a key destroyed in the lapse: it is used once, not kept.
   */
  const reading = new Map<string, Read>();
  const owner = (tenantId: string, customerId: string) => `${tenantId}|${customerId}`;
  const drops = opts.drops;
  const trusted = (): boolean => drops === undefined || drops.live();

  function forgetHere(k: string): void {
    const r = reading.get(k);
    if (r) r.dropped = true;
    reading.delete(k);
    cache.delete(k);
  }
  drops?.onDrop(forgetHere);
  drops?.onResume(() => {
    for (const r of reading.values()) r.lapsed = true;
    reading.clear();
    cache.clear();
  });

  function cached(k: string): DataKey | undefined {
    if (!trusted()) {
      // Announcements may be missed now: nothing cached is used, or kept.
      if (cache.size > 0) cache.clear();
      return undefined;
    }
    const hit = cache.get(k);
    if (!hit) return undefined;
    if (hit.until <= now()) {
      cache.delete(k);
      return undefined;
    }
    return hit.key;
  }

  function remember(k: string, key: DataKey): void {
    if (!trusted()) return;
    setBounded(cache, k, { key, until: now() + ttl }, maxCached);
  }

  async function read(tenantId: string, customerId: string): Promise<DataKey | undefined> {
    const k = dataKeyKey(tenantId, customerId);
    const hit = cached(k);
    if (hit) return hit;
    const inFlight = reading.get(k);
    if (inFlight) return inFlight.answer;
    const r: Read = { answer: Promise.resolve(undefined), dropped: false, lapsed: false };
    r.answer = (async () => {
      const entry = await opts.state.getState<unknown>(store, k);
      if (entry === undefined || r.dropped) return undefined;
      const key = opts.ring.unwrap(WrappedDataKeySchema.parse(entry.value), owner(tenantId, customerId));
      if (!r.lapsed) remember(k, key);
      return key;
    })().finally(() => {
      if (reading.get(k) === r) reading.delete(k);
    });
    reading.set(k, r);
    return r.answer;
  }

  return {
    async forSealing(tenantId, customerId) {
      const existing = await read(tenantId, customerId);
      if (existing) return existing;
      const fresh = newDataKey();
      try {
        // First write wins: two replicas making a key for the same new customer keep one.
        await opts.state.saveState(store, dataKeyKey(tenantId, customerId), opts.ring.wrap(fresh, owner(tenantId, customerId)), { onlyIfAbsent: true });
        remember(dataKeyKey(tenantId, customerId), fresh);
        return fresh;
      } catch (err) {
        if (!(err instanceof StateConflict)) throw err;
        const winner = await read(tenantId, customerId);
        if (!winner) throw new Error('data key vanished while being made', { cause: err });
        return winner;
      }
    },

    async forOpening(tenantId, customerId, keyId) {
      const key = await read(tenantId, customerId);
      return key?.id === keyId ? key : undefined;
    },

    async destroy(tenantId, customerId) {
      const k = dataKeyKey(tenantId, customerId);
      forgetHere(k);
      const existed = (await opts.state.getState(store, k)) !== undefined;
      if (existed) await opts.state.deleteState(store, k);
      forgetHere(k);
      await drops?.announce(k);
      return existed;
    },

    async forgetEverywhere(tenantId, customerId) {
      const k = dataKeyKey(tenantId, customerId);
      forgetHere(k);
      return drops && (await drops.announce(k)) ? drops.forgottenWithinMs : ttl;
    },

    async rewrap(tenantId, customerId) {
      const k = dataKeyKey(tenantId, customerId);
      for (let tries = 0; ; tries++) {
        const entry = await opts.state.getState<unknown>(store, k);
        if (entry === undefined) return false;
        const wrapped: WrappedDataKey = WrappedDataKeySchema.parse(entry.value);
        if (wrapped.kek === opts.ring.primary) return false;
        const key = opts.ring.unwrap(wrapped, owner(tenantId, customerId));
        const again = { ...opts.ring.wrap(key, owner(tenantId, customerId)), createdAt: wrapped.createdAt };
        try {
          // At the version read: an erasure in between must not be undone by writing the key back.
          await opts.state.saveState(store, k, again, { etag: entry.etag });
          return true;
        } catch (err) {
          if (!(err instanceof StateConflict) || tries >= 3) throw err;
        }
      }
    },

    forget() {
      cache.clear();
    },
  };
}

/**
 * A notification's metadata opened under its customer's data key (the one its values name), for
 * a status view or a webhook event; undefined when it will never open: the key is gone (the
 * customer was erased), or a value is altered, another customer's, or not sealed at all. Throws
 * when the key store cannot be read: an absent key and an unreadable one are not the same answer.
 */
export async function openStoredMetadata(keys: Pick<DataKeys, 'forOpening'>, ctx: SealContext, metadata: Record<string, string>): Promise<Record<string, string> | undefined> {
  const any = Object.values(metadata)[0];
  if (any === undefined) return metadata;
  try {
    // One request's values are all sealed under one key: any of them names it.
    const key = await keys.forOpening(ctx.tenantId, ctx.customerId, sealedKeyId(any));
    return key && openMetadata(key, ctx, metadata);
  } catch (err) {
    if (err instanceof Undecryptable) return undefined;
    throw err;
  }
}

export { Undecryptable };
