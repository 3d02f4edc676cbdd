import type { StatePort } from '@herald/dapr';
import { ErasureSchema, PreferencesSchema, StoredProfileSchema, type Erasure, type Preferences, type StoredProfile } from '@herald/contracts';
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
      const found = await state.getBulkState<unknown>(store, [profileKey, prefsKey]);
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
