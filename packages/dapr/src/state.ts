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
