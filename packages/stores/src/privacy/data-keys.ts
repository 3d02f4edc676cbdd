// The customers' data keys in the store of record (component `datakeys`), wrapped under the
// region's KEK, with a short in-memory cache of the unwrapped keys. The cache is the only place
// a data key is ever in the clear, and it forgets within `cacheTtlMs`: an erasure is complete,
// everywhere, that long after the wrapped key is deleted.
import { StateConflict, type StatePort } from '@herald/dapr';
import { newDataKey, Undecryptable, type DataKey } from './envelope.js';
import { WrappedDataKeySchema, type KeyRing, type WrappedDataKey } from './key-ring.js';

/** The state component that keeps the wrapped data keys (datakeys.yaml). */
export const KEY_STORE = 'datakeys';
export const dataKeyKey = (tenantId: string, customerId: string) => `dek|${tenantId}|${customerId}`;
/** How long an unwrapped data key stays in memory. An erasure waits this long before it reports done. */
export const DATA_KEY_CACHE_TTL_MS = 30_000;

export interface DataKeys {
  /** The customer's data key, made (and stored, wrapped) if they have none yet. */
  forSealing(tenantId: string, customerId: string): Promise<DataKey>;
  /**
   * The data key with this id, or undefined when the customer's key is gone or is another one
   * (erased, perhaps made again since): what it sealed can never be opened again. Throws
   * Undecryptable when the wrapped key itself does not open (a KEK missing from the ring).
   */
  forOpening(tenantId: string, customerId: string, keyId: string): Promise<DataKey | undefined>;
  /** Deletes the wrapped key (crypto-shredding) and forgets it here. True if there was one. */
  destroy(tenantId: string, customerId: string): Promise<boolean>;
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
  /** Keys held at most (about 64 bytes each, plus the map's own). */
  maxCached?: number;
  now?: () => number;
}

export function createDataKeys(opts: DataKeysOptions): DataKeys {
  const store = opts.store ?? KEY_STORE;
  const ttl = opts.cacheTtlMs ?? DATA_KEY_CACHE_TTL_MS;
  const maxCached = opts.maxCached ?? 50_000;
  const now = opts.now ?? Date.now;
  const cache = new Map<string, { key: DataKey; until: number }>();
  /** Reads of the same key in flight share one sidecar request. */
  const reading = new Map<string, Promise<DataKey | undefined>>();
  /**
   * Bumped by each destroy: a read that began before it and answers after it must not put the
   * destroyed key back in the cache (it would outlive the erasure by a whole TTL).
   */
  const destroyed = new Map<string, number>();
  const generation = (k: string) => destroyed.get(k) ?? 0;
  const owner = (tenantId: string, customerId: string) => `${tenantId}|${customerId}`;

  function cached(k: string): DataKey | undefined {
    const hit = cache.get(k);
    if (!hit) return undefined;
    if (hit.until <= now()) {
      cache.delete(k);
      return undefined;
    }
    return hit.key;
  }

  function remember(k: string, key: DataKey): void {
    cache.delete(k);
    cache.set(k, { key, until: now() + ttl });
    // Oldest first: Map keeps insertion order.
    while (cache.size > maxCached) cache.delete(cache.keys().next().value as string);
  }

  async function read(tenantId: string, customerId: string): Promise<DataKey | undefined> {
    const k = dataKeyKey(tenantId, customerId);
    const hit = cached(k);
    if (hit) return hit;
    let pending = reading.get(k);
    if (!pending) {
      const began = generation(k);
      pending = (async () => {
        const entry = await opts.state.getState<unknown>(store, k);
        if (entry === undefined || generation(k) !== began) return undefined;
        const key = opts.ring.unwrap(WrappedDataKeySchema.parse(entry.value), owner(tenantId, customerId));
        remember(k, key);
        return key;
      })().finally(() => {
        if (reading.get(k) === pending) reading.delete(k);
      });
      reading.set(k, pending);
    }
    return pending;
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
      const forget = () => {
        destroyed.set(k, generation(k) + 1);
        reading.delete(k);
        cache.delete(k);
      };
      forget();
      const existed = (await opts.state.getState(store, k)) !== undefined;
      if (existed) await opts.state.deleteState(store, k);
      forget();
      return existed;
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

export { Undecryptable };
