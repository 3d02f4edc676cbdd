import { StateConflict, type StatePort } from '@herald/dapr';
import { RECORD_STORE, recordKeys } from '@herald/stores';

// Idempotency records in the store of record: (tenant, key) → the request's fingerprint and when
// it was claimed, kept `ttlSeconds` by the store's own TTL. A claim is an insert-if-absent
// (first-write concurrency without an ETag): of two requests racing on two intake replicas,
// the store lets exactly one write; the other reads what is there and learns whether its body
// was the same. The fingerprint is a SHA-256 of the request: a record holds nothing of the
// request itself (no recipient, content or metadata), so it needs no sealing and outlives an
// erasure harmlessly.

export type IdempotencyClaim = 'new' | 'same' | 'conflict';

export interface IdempotencyStore {
  /**
   * Records (tenant, key) → fingerprint if the key is new, atomically: of two requests racing
   * on two intake replicas, exactly one finds it new; the other learns whether its body was the
   * same. Kept for `ttlSeconds` (at least 24 hours).
   */
  claim(tenantId: string, notificationId: string, fingerprint: string): Promise<IdempotencyClaim>;
  /** Forgets a key whose request was not accepted after all (the publish failed). */
  release(tenantId: string, notificationId: string, fingerprint: string): Promise<void>;
  /** When the key that names `notificationId` was claimed; undefined when no request of the tenant's claimed it, or it is forgotten. */
  claimedAt(tenantId: string, notificationId: string): Promise<number | undefined>;
}

interface ClaimRecord {
  fingerprint: string;
  claimedAtMs: number;
}

export function createIdempotencyStore(state: StatePort, opts: { ttlSeconds: number; store?: string; now?: () => number }): IdempotencyStore {
  const store = opts.store ?? RECORD_STORE;
  const now = opts.now ?? Date.now;
  const read = (key: string) => state.getState<ClaimRecord>(store, key);
  return {
    async claim(tenantId, notificationId, fingerprint) {
      const key = recordKeys.idempotency(tenantId, notificationId);
      // Twice at most: a record that expires or is released between the refused write and the read is gone, so claim again.
      for (let attempt = 1; ; attempt++) {
        try {
          await state.saveState(store, key, { fingerprint, claimedAtMs: now() } satisfies ClaimRecord, { onlyIfAbsent: true, ttlSeconds: opts.ttlSeconds });
          return 'new';
        } catch (err) {
          if (!(err instanceof StateConflict)) throw err;
          const current = await read(key);
          if (current) return (current.value.fingerprint === fingerprint ? 'same' : 'conflict') satisfies IdempotencyClaim;
          if (attempt >= 2) throw err;
        }
      }
    },
    async release(tenantId, notificationId, fingerprint) {
      const key = recordKeys.idempotency(tenantId, notificationId);
      const current = await read(key);
      if (current?.value.fingerprint !== fingerprint) return;
      await state.deleteState(store, key, { etag: current.etag }).catch((err: unknown) => {
        // Claimed again meanwhile by the same request's retry: it is that one's now.
        if (!(err instanceof StateConflict)) throw err;
      });
    },
    async claimedAt(tenantId, notificationId) {
      return (await read(recordKeys.idempotency(tenantId, notificationId)))?.value.claimedAtMs;
    },
  };
}
