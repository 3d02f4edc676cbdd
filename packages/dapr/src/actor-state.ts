import { createSidecarHttp } from './sidecar-http.js';

// Actor state through the sidecar's HTTP API (Dapr docs, "Actors API reference": "Get actor
// state", "Save actor state transactionally"), and a cache of the state of active actors.
//
// Why a cache is safe: daprd runs one turn at a time per actor and places an actor in one host
// at a time, so while an actor is active here nothing else writes its state. The cache is
// dropped when daprd deactivates the actor (DELETE /actors/<type>/<id>), when the entry has been
// idle for a while (in case a deactivation never reached us: daprd restarted, the actor moved),
// and whenever a save fails (it may have been written or not: the next turn reads the store).

export interface SaveOptions {
  /**
   * The store forgets the key this long after the save (Dapr docs, "Actors API reference",
   * actor state TTL: `metadata.ttlInSeconds`; the Redis store sets an EXPIRE in the same
   * transaction). A save without it leaves whatever expiry the key has.
   */
  ttlSeconds?: number;
}

/** The sidecar's actor state endpoints. */
export interface ActorStateStore {
  /** The stored value, or undefined when the key has none. */
  get(actorType: string, actorId: string, key: string): Promise<unknown>;
  /** Writes the value in one transaction; resolves once the sidecar has saved it. */
  save(actorType: string, actorId: string, key: string, value: unknown, opts?: SaveOptions): Promise<void>;
}

export function createSidecarActorState(host: string, port: number, opts: { timeoutMs?: number; apiToken?: string | undefined } = {}): ActorStateStore {
  // Two of these calls sit on every notification's path: the shared node:http client.
  const http = createSidecarHttp(host, port, opts.timeoutMs, opts.apiToken);
  const enc = encodeURIComponent;
  return {
    async get(actorType, actorId, key) {
      const { status, text } = await http({ operation: 'actor state get', method: 'GET', path: `/v1.0/actors/${enc(actorType)}/${enc(actorId)}/state/${enc(key)}` });
      // 204 (and an empty 200) mean the key has no value.
      return status === 204 || text === '' ? undefined : (JSON.parse(text) as unknown);
    },
    async save(actorType, actorId, key, value, opts) {
      const metadata = opts?.ttlSeconds !== undefined ? { metadata: { ttlInSeconds: String(opts.ttlSeconds) } } : {};
      const body = JSON.stringify([{ operation: 'upsert', request: { key, value, ...metadata } }]);
      await http({ operation: 'actor state save', method: 'POST', path: `/v1.0/actors/${enc(actorType)}/${enc(actorId)}/state`, body });
    },
  };
}

/** One actor's state, as its turn sees it. */
export interface ActorStateHandle {
  /** The value of `key` (undefined: none), from the cache when this activation has read it. */
  get<T>(key: string): Promise<T | undefined>;
  /** Saves `value` under `key` before resolving; a failure rejects and drops the cache. */
  set(key: string, value: unknown, opts?: SaveOptions): Promise<void>;
  /** Drops what is cached: the next read goes to the store. */
  forget(): void;
}

export interface ActorStateCacheOptions {
  /** An entry not used for this long is dropped (keep it at most daprd's actorIdleTimeout). */
  idleMs: number;
  /** Bound on cached actors; past it, the least recently used is dropped. */
  maxActors: number;
  now?: () => number;
}

export interface ActorStateCache {
  /** The state of one actor, for a turn. */
  handle(actorType: string, actorId: string): ActorStateHandle;
  /** Drops one actor's state (its deactivation). */
  evict(actorType: string, actorId: string): void;
  size(): number;
}

interface Entry {
  /** Keys read or written in this activation; `undefined` is a key known to have no value. */
  values: Map<string, unknown>;
  lastUsed: number;
}

export function createActorStateCache(store: ActorStateStore, opts: ActorStateCacheOptions): ActorStateCache {
  const now = opts.now ?? Date.now;
  // A Map iterates in insertion order; touching an entry re-inserts it, so the first entries
  // are always the least recently used, and expiry stops at the first fresh one.
  const entries = new Map<string, Entry>();
  const cacheKey = (actorType: string, actorId: string) => `${actorType}||${actorId}`;

  function touch(key: string, entry: Entry): void {
    entries.delete(key);
    entry.lastUsed = now();
    entries.set(key, entry);
  }

  function expire(): void {
    const oldest = now() - opts.idleMs;
    for (const [key, entry] of entries) {
      if (entries.size <= opts.maxActors && entry.lastUsed > oldest) break;
      entries.delete(key);
    }
  }

  return {
    handle(actorType, actorId) {
      const key = cacheKey(actorType, actorId);

      /** This actor's entry, unless it has been idle for idleMs (then it is dropped). */
      function live(): Entry | undefined {
        const cached = entries.get(key);
        if (cached && now() - cached.lastUsed >= opts.idleMs) {
          entries.delete(key);
          return undefined;
        }
        return cached;
      }

      /** What the store holds for `stateKey`, now known. */
      function learnt(stateKey: string, value: unknown): void {
        // Only learning a value creates an entry: a write into an entry dropped meanwhile must
        // not bring back a cache that a deactivation meant to end.
        const entry = entries.get(key) ?? { values: new Map<string, unknown>(), lastUsed: 0 };
        entry.values.set(stateKey, value);
        touch(key, entry);
        expire();
      }

      return {
        async get<T>(stateKey: string): Promise<T | undefined> {
          const cached = live();
          if (cached?.values.has(stateKey)) {
            touch(key, cached);
            return cached.values.get(stateKey) as T | undefined;
          }
          const value = await store.get(actorType, actorId, stateKey);
          learnt(stateKey, value);
          return value as T | undefined;
        },
        async set(stateKey, value, saveOpts) {
          try {
            await store.save(actorType, actorId, stateKey, value, saveOpts);
          } catch (err) {
            entries.delete(key);
            throw err;
          }
          const entry = entries.get(key);
          if (entry) {
            entry.values.set(stateKey, value);
            touch(key, entry);
          }
        },
        forget() {
          entries.delete(key);
        },
      };
    },
    evict(actorType, actorId) {
      entries.delete(cacheKey(actorType, actorId));
    },
    size: () => entries.size,
  };
}
