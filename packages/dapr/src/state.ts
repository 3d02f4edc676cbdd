import type { SidecarHttp } from './sidecar-http.js';
import { SidecarError } from './sidecar-error.js';

// Dapr's state API (Dapr docs, "State management API"): Herald's records go through it, so the
// component's YAML decides which store keeps them. Values are JSON; an ETag is the
// store's version of a key (PostgreSQL: the row's xmin).

export interface StateEntry<T> {
  value: T;
  etag: string;
}

export interface SaveStateOptions {
  /** Write only if the key is still at this version. */
  etag?: string;
  /**
   * Write only if the key has no value yet (first-write concurrency without an ETag): an
   * insert-if-absent. A key that exists makes the save fail with StateConflict.
   */
  onlyIfAbsent?: boolean;
  /** The store forgets the key this long after the save (`metadata.ttlInSeconds`). */
  ttlSeconds?: number;
}

/** A conditional save or delete found the key other than it expected (taken, changed or gone). */
export class StateConflict extends Error {
  constructor(readonly key: string, cause: unknown) {
    super(`state ${key}: changed meanwhile`, { cause });
    this.name = new.target.name;
  }
}

export interface StatePort {
  /** The key's value and version; undefined when it has none. */
  getState<T>(store: string, key: string): Promise<StateEntry<T> | undefined>;
  /**
   * Several keys in one sidecar request (`POST /v1.0/state/<store>/bulk`); a key without a
   * value is absent from the map. A store without a bulk read of its own (PostgreSQL v1) is
   * read key by key, in parallel, inside the sidecar.
   */
  getBulkState<T>(store: string, keys: string[]): Promise<Map<string, StateEntry<T>>>;
  saveState(store: string, key: string, value: unknown, opts?: SaveStateOptions): Promise<void>;
  /** Deletes the key (only at `etag`, when given). */
  deleteState(store: string, key: string, opts?: { etag?: string }): Promise<void>;
}

export function createStatePort(http: SidecarHttp): StatePort {
  const enc = encodeURIComponent;
  const conditional = (opts: { etag?: string; onlyIfAbsent?: boolean }) => opts.etag !== undefined || opts.onlyIfAbsent === true;

  /** A refused conditional write: Dapr answers 409 for an ETag mismatch, 500 when a first-write found the key. */
  function refused(err: unknown): boolean {
    return err instanceof SidecarError && (err.status === 409 || err.status === 500) && /etag|no item was updated/i.test(err.body);
  }

  return {
    async getState<T>(store: string, key: string) {
      const { status, text, etag } = await http({ operation: 'state get', method: 'GET', path: `/v1.0/state/${enc(store)}/${enc(key)}?consistency=strong` });
      if (status === 204 || text === '') return undefined;
      return { value: JSON.parse(text) as T, etag: etag ?? '' };
    },

    async getBulkState<T>(store: string, keys: string[]) {
      const { text } = await http({ operation: 'state bulk get', method: 'POST', path: `/v1.0/state/${enc(store)}/bulk?consistency=strong`, body: JSON.stringify({ keys, parallelism: keys.length }) });
      const items = JSON.parse(text) as { key: string; data?: T; etag?: string; error?: string }[];
      const found = new Map<string, StateEntry<T>>();
      for (const item of items) {
        // One key's failure fails the read: a caller must not take "unreadable" for "absent".
        if (item.error) throw new SidecarError('state bulk get', 500, `${item.key}: ${item.error}`);
        if (item.data !== undefined && item.data !== null) found.set(item.key, { value: item.data, etag: item.etag ?? '' });
      }
      return found;
    },

    async saveState(store, key, value, opts = {}) {
      const item = {
        key,
        value,
        ...(opts.etag !== undefined ? { etag: opts.etag } : {}),
        ...(conditional(opts) ? { options: { concurrency: 'first-write', consistency: 'strong' } } : {}),
        ...(opts.ttlSeconds !== undefined ? { metadata: { ttlInSeconds: String(opts.ttlSeconds) } } : {}),
      };
      try {
        await http({ operation: 'state save', method: 'POST', path: `/v1.0/state/${enc(store)}`, body: JSON.stringify([item]) });
      } catch (err) {
        if (conditional(opts) && refused(err)) throw new StateConflict(key, err);
        throw err;
      }
    },

    async deleteState(store, key, opts = {}) {
      // Through a transaction: its body carries the ETag, where a DELETE would need a header.
      const request = { key, ...(opts.etag !== undefined ? { etag: opts.etag } : {}) };
      try {
        await http({ operation: 'state delete', method: 'POST', path: `/v1.0/state/${enc(store)}/transaction`, body: JSON.stringify({ operations: [{ operation: 'delete', request }] }) });
      } catch (err) {
        if (opts.etag !== undefined && refused(err)) throw new StateConflict(key, err);
        throw err;
      }
    },
  };
}
