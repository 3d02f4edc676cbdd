// The data keys as every app uses them: the `datakeys` store through its sidecar, unwrapped under
// the app's key ring, cached for DATA_KEY_CACHE_TTL_MS and forgotten at once when an erasure
// anywhere announces a destroyed key (key-drops.ts).
import { z } from 'zod';
import type { StatePort } from '@herald/dapr';
import type { Redis } from '../client.js';
import type { RedisKeys } from '../keys.js';
import { createDataKeys, DATA_KEY_CACHE_TTL_MS, type DataKeys } from './data-keys.js';
import { createKeyDrops } from './key-drops.js';
import type { KeyRing } from './key-ring.js';

export const dataKeysEnvSchema = z.object({
  /** How long an app keeps an unwrapped data key; 0 keeps none (every use reads the store). */
  DATA_KEY_CACHE_TTL_MS: z.coerce.number().int().nonnegative().default(DATA_KEY_CACHE_TTL_MS),
});

export async function createAppDataKeys(o: { state: StatePort; ring: KeyRing; redis: Redis; keys: RedisKeys; cacheTtlMs: number }): Promise<DataKeys> {
  const drops = await createKeyDrops({ redis: o.redis, channel: o.keys.keyDrops() });
  return createDataKeys({ state: o.state, ring: o.ring, cacheTtlMs: o.cacheTtlMs, drops });
}
