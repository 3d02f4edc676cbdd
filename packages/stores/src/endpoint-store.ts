import { randomBytes } from 'node:crypto';
import { newWebhookId, type WebhookEndpoint, WebhookEndpointSchema, type WebhookRegistration } from '@herald/contracts';
import type { Redis } from './client.js';
import type { RedisKeys } from './keys.js';

// A tenant's webhook endpoints are one Redis hash (endpoint id → endpoint JSON): listing them,
// which every status event of the tenant needs, is one HGETALL, and a tenant's endpoints are
// erased with one DEL. The URL is checked by the caller (checkWebhookUrl) before create().

export interface WebhookEndpointStore {
  create(tenantId: string, registration: WebhookRegistration): Promise<WebhookEndpoint>;
  list(tenantId: string): Promise<WebhookEndpoint[]>;
  get(tenantId: string, id: string): Promise<WebhookEndpoint | undefined>;
  /** False when the tenant has no such endpoint. */
  remove(tenantId: string, id: string): Promise<boolean>;
}

/** A signing secret: 256 random bits, prefixed so that a leaked one is recognisable in a scan. */
function newSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

/** A stored value that no longer parses is skipped, not fatal: one bad record must not stop a tenant's other endpoints. */
function parse(json: string | null | undefined): WebhookEndpoint | undefined {
  if (!json) return undefined;
  try {
    const result = WebhookEndpointSchema.safeParse(JSON.parse(json));
    return result.success ? result.data : undefined;
  } catch {
    return undefined;
  }
}

export function createWebhookEndpointStore(redis: Redis, keys: RedisKeys, opts: { now?: () => Date } = {}): WebhookEndpointStore {
  const now = opts.now ?? (() => new Date());
  return {
    async create(tenantId, registration) {
      const at = now();
      const endpoint: WebhookEndpoint = {
        id: newWebhookId(at.getTime()),
        tenantId,
        url: registration.url,
        secret: newSecret(),
        ...(registration.statuses ? { statuses: registration.statuses } : {}),
        ...(registration.description !== undefined ? { description: registration.description } : {}),
        createdAt: at.toISOString(),
      };
      await redis.hset(keys.webhookEndpoints(tenantId), endpoint.id, JSON.stringify(endpoint));
      return endpoint;
    },

    async list(tenantId) {
      const all = await redis.hgetall(keys.webhookEndpoints(tenantId));
      return Object.values(all)
        .map(parse)
        .filter((e): e is WebhookEndpoint => e !== undefined && e.tenantId === tenantId)
        .sort((a, b) => a.id.localeCompare(b.id));
    },

    async get(tenantId, id) {
      const endpoint = parse(await redis.hget(keys.webhookEndpoints(tenantId), id));
      return endpoint?.tenantId === tenantId ? endpoint : undefined;
    },

    async remove(tenantId, id) {
      // The endpoint's pending deliveries are dropped by the deliverer when it next meets them;
      // its health record and dead letters go with it now, but only once the endpoint is known
      // to be this tenant's.
      if ((await redis.hdel(keys.webhookEndpoints(tenantId), id)) === 0) return false;
      await redis.del(keys.webhookHealth(id), keys.webhookDead(id));
      return true;
    },
  };
}
