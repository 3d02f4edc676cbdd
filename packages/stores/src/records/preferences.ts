import type { StatePort } from '@herald/dapr';
import { PreferencesSchema, type Preferences } from '@herald/contracts';
import { RECORD_STORE, recordKeys } from './keys.js';

/** Customer preferences, one small JSON record per customer in the store of record. */
export interface PreferencesStore {
  get(tenantId: string, customerId: string): Promise<Preferences | undefined>;
  put(tenantId: string, customerId: string, preferences: Preferences): Promise<void>;
  remove(tenantId: string, customerId: string): Promise<boolean>;
}

export function createPreferencesStore(state: StatePort, store = RECORD_STORE): PreferencesStore {
  return {
    async get(tenantId, customerId) {
      const entry = await state.getState<unknown>(store, recordKeys.preferences(tenantId, customerId));
      return entry === undefined ? undefined : PreferencesSchema.parse(entry.value);
    },
    async put(tenantId, customerId, preferences) {
      await state.saveState(store, recordKeys.preferences(tenantId, customerId), preferences);
    },
    async remove(tenantId, customerId) {
      const key = recordKeys.preferences(tenantId, customerId);
      if ((await state.getState(store, key)) === undefined) return false;
      await state.deleteState(store, key);
      return true;
    },
  };
}
