import type { Redis } from 'ioredis';
import { PreferencesSchema, type Preferences } from '@herald/contracts';
import type { RedisKeys } from './keys.js';

/** Customer preferences, one small JSON value per customer. */
export interface PreferencesStore {
  get(tenantId: string, customerId: string): Promise<Preferences | undefined>;
  put(tenantId: string, customerId: string, preferences: Preferences): Promise<void>;
  remove(tenantId: string, customerId: string): Promise<boolean>;
}

export function createPreferencesStore(redis: Redis, keys: RedisKeys): PreferencesStore {
  return {
    async get(tenantId, customerId) {
      const text = await redis.get(keys.preferences(tenantId, customerId));
      return text === null ? undefined : PreferencesSchema.parse(JSON.parse(text));
    },
    async put(tenantId, customerId, preferences) {
      await redis.set(keys.preferences(tenantId, customerId), JSON.stringify(preferences));
    },
    async remove(tenantId, customerId) {
      return (await redis.del(keys.preferences(tenantId, customerId))) > 0;
    },
  };
}
