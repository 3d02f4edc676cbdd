import type { BindingPort, StatePort } from '@herald/dapr';
import { z } from 'zod';
import { ErasureSchema, PreferencesSchema, StoredProfileSchema, type Erasure, type Preferences, type StoredProfile } from '@herald/contracts';
import { getBulkStateChecked } from './bulk-read.js';
import { checkedTable } from './history.js';
import { RECORD_STORE, recordKeys } from './keys.js';

/** What Herald keeps of one customer besides their data key: their profile (sealed) and preferences. */
export interface CustomerRecords {
  profile?: StoredProfile;
  preferences?: Preferences;
}

/** Profiles beside the preferences, read together (one sidecar request), and erasure records. */
export interface CustomerStore {
  read(tenantId: string, customerId: string): Promise<CustomerRecords>;
  /** The stored profile and its version, for a read-modify-write. */
  profileEntry(tenantId: string, customerId: string): Promise<{ profile: StoredProfile; etag: string } | undefined>;
  /** Saves the profile; at `etag` when given (StateConflict when it moved), only if absent when null. */
  putProfile(tenantId: string, customerId: string, profile: StoredProfile, etag?: string | null): Promise<void>;
  removeProfile(tenantId: string, customerId: string): Promise<boolean>;
  getErasure(tenantId: string, erasureId: string): Promise<Erasure | undefined>;
  putErasure(erasure: Erasure, ttlSeconds: number): Promise<void>;
}

export function createCustomerStore(state: StatePort, store = RECORD_STORE): CustomerStore {
  const remove = async (key: string): Promise<boolean> => {
    if ((await state.getState(store, key)) === undefined) return false;
    await state.deleteState(store, key);
    return true;
  };
  return {
    async read(tenantId, customerId) {
      const profileKey = recordKeys.profile(tenantId, customerId);
      const prefsKey = recordKeys.preferences(tenantId, customerId);
      const found = await getBulkStateChecked<unknown>(state, store, [profileKey, prefsKey]);
      const profile = found.get(profileKey);
      const preferences = found.get(prefsKey);
      return {
        ...(profile ? { profile: StoredProfileSchema.parse(profile.value) } : {}),
        ...(preferences ? { preferences: PreferencesSchema.parse(preferences.value) } : {}),
      };
    },
    async profileEntry(tenantId, customerId) {
      const entry = await state.getState<unknown>(store, recordKeys.profile(tenantId, customerId));
      return entry === undefined ? undefined : { profile: StoredProfileSchema.parse(entry.value), etag: entry.etag };
    },
    async putProfile(tenantId, customerId, profile, etag) {
      const opts = etag === null ? { onlyIfAbsent: true } : etag !== undefined ? { etag } : {};
      await state.saveState(store, recordKeys.profile(tenantId, customerId), profile, opts);
    },
    removeProfile: (tenantId, customerId) => remove(recordKeys.profile(tenantId, customerId)),
    async getErasure(tenantId, erasureId) {
      const entry = await state.getState<unknown>(store, recordKeys.erasure(tenantId, erasureId));
      return entry === undefined ? undefined : ErasureSchema.parse(entry.value);
    },
    async putErasure(erasure, ttlSeconds) {
      await state.saveState(store, recordKeys.erasure(erasure.tenantId, erasure.id), erasure, { ttlSeconds });
    },
  };
}

/**
 * A customer's running erasure and who runs it (`erasing|<tenant>|<customer>`), present only
 * while it runs. It is how a second DELETE finds the erasure already running, and it is a
 * lease: the intake replica running the erasure renews `until`, so two replicas never work on
 * one erasure at once, and one that died leaves it to be taken up once `until` has passed.
 */
export const ErasureLeaseSchema = z.object({
  erasureId: z.string(),
  /** The process that runs it (a random id each process start). */
  runner: z.string(),
  /** Milliseconds since the epoch: past it, another process may take the erasure up. */
  until: z.number(),
});
export type ErasureLease = z.infer<typeof ErasureLeaseSchema>;

/** The erasures at work: their leases, and those left running, found with SQL. */
export interface ErasureRuns {
  lease(tenantId: string, customerId: string): Promise<{ lease: ErasureLease; etag: string } | undefined>;
  /** Writes the lease at `etag`, or only if there is none when `etag` is null; StateConflict when it moved meanwhile. */
  putLease(tenantId: string, customerId: string, lease: ErasureLease, etag: string | null, ttlSeconds: number): Promise<void>;
  /** Deletes the lease at `etag`; StateConflict when it moved meanwhile. */
  removeLease(tenantId: string, customerId: string, etag: string): Promise<void>;
  /** Deletes an erasure record (one that lost the race to start). */
  removeErasure(tenantId: string, erasureId: string): Promise<void>;
  /** Erasures of any tenant still running, oldest first. */
  running(limit: number): Promise<Erasure[]>;
  /** Makes the small index that keeps `running` from reading the whole records table (at start; never fatal to skip). */
  ensureIndex(): Promise<void>;
}

/**
 * Read with SQL through the binding on the records' database (statestore-sql.yaml): the state
 * API cannot list keys, and these are found across tenants. The partial index holds only the
 * running erasures, so the look-up stays a few rows however many records the table keeps; its
 * predicate is written out exactly as in the query, which is how PostgreSQL knows it applies.
 */
const RUNNING_ERASURES = `key LIKE 'erasure|%' AND value->>'status' = 'running'`;

export function createErasureRuns(sidecar: StatePort & BindingPort, opts: { binding: string; table: string; store?: string }): ErasureRuns {
  const store = opts.store ?? RECORD_STORE;
  const table = checkedTable(opts.table);
  return {
    async lease(tenantId, customerId) {
      const entry = await sidecar.getState<unknown>(store, recordKeys.erasing(tenantId, customerId));
      return entry === undefined ? undefined : { lease: ErasureLeaseSchema.parse(entry.value), etag: entry.etag };
    },
    async putLease(tenantId, customerId, lease, etag, ttlSeconds) {
      const condition = etag === null ? { onlyIfAbsent: true } : { etag };
      await sidecar.saveState(store, recordKeys.erasing(tenantId, customerId), lease, { ...condition, ttlSeconds });
    },
    async removeLease(tenantId, customerId, etag) {
      await sidecar.deleteState(store, recordKeys.erasing(tenantId, customerId), { etag });
    },
    async removeErasure(tenantId, erasureId) {
      await sidecar.deleteState(store, recordKeys.erasure(tenantId, erasureId));
    },
    async running(limit) {
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new Error(`limit out of range: ${limit}`);
      const sql = `SELECT value FROM ${table} WHERE ${RUNNING_ERASURES}
        AND (expiredate IS NULL OR expiredate > CURRENT_TIMESTAMP)
        ORDER BY value->>'requestedAt' LIMIT ${limit}`;
      const text = await sidecar.invokeBinding(opts.binding, 'query', undefined, { sql, params: '[]' });
      const rows = (text === '' ? [] : JSON.parse(text)) as unknown[][];
      return rows.flatMap(([value]) => {
        const parsed = ErasureSchema.safeParse(value);
        return parsed.success ? [parsed.data] : [];
      });
    },
    async ensureIndex() {
      const sql = `CREATE INDEX CONCURRENTLY IF NOT EXISTS ${table.replace('.', '_')}_herald_running_erasures ON ${table} (key) WHERE ${RUNNING_ERASURES}`;
      await sidecar.invokeBinding(opts.binding, 'exec', undefined, { sql });
    },
  };
}
