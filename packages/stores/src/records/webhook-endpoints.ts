import { randomBytes } from 'node:crypto';
import { newWebhookId, type WebhookEndpoint, WebhookEndpointSchema, type WebhookRegistration } from '@herald/contracts';
import type { StatePort } from '@herald/dapr';
import { changeRecord } from './change.js';
import { RECORD_STORE, recordKeys } from './keys.js';

// A tenant's webhook endpoints are one record in the store of record: listing them, which
// every status event of the tenant needs (the dispatcher caches it for a few seconds), is one
// read. Two changes at once on two intake replicas cannot lose one another: each writes at the
// version it read (ETag) and, refused, reads again and retries. The URL is checked by the
// caller (checkWebhookUrl) before create().

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

/** Endpoints that no longer parse are skipped, not fatal: one bad entry must not stop a tenant's others. */
function endpointsIn(value: unknown, tenantId: string): WebhookEndpoint[] {
  const list = (value as { endpoints?: unknown } | undefined)?.endpoints;
  if (!Array.isArray(list)) return [];
  return list
    .map((e) => WebhookEndpointSchema.safeParse(e))
    .flatMap((r) => (r.success && r.data.tenantId === tenantId ? [r.data] : []))
    .sort((a, b) => a.id.localeCompare(b.id));
}

export function createWebhookEndpointStore(state: StatePort, opts: { store?: string; now?: () => Date; onRemoved?: (endpointId: string) => Promise<void> } = {}): WebhookEndpointStore {
  const store = opts.store ?? RECORD_STORE;
  const now = opts.now ?? (() => new Date());

  /** Reads the tenant's endpoints, changes them, and writes them back at the version read. */
  const change = <T>(tenantId: string, edit: (endpoints: WebhookEndpoint[]) => { endpoints?: WebhookEndpoint[]; result: T }): Promise<T> =>
    changeRecord(state, store, recordKeys.webhookEndpoints(tenantId), (current) => {
      const { endpoints, result } = edit(endpointsIn(current, tenantId));
      return { ...(endpoints ? { value: { endpoints } } : {}), result };
    });

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
      return change(tenantId, (endpoints) => ({ endpoints: [...endpoints, endpoint], result: endpoint }));
    },

    async list(tenantId) {
      return endpointsIn((await state.getState<unknown>(store, recordKeys.webhookEndpoints(tenantId)))?.value, tenantId);
    },

    async get(tenantId, id) {
      return (await this.list(tenantId)).find((e) => e.id === id);
    },

    async remove(tenantId, id) {
      const removed = await change(tenantId, (endpoints) =>
        endpoints.some((e) => e.id === id) ? { endpoints: endpoints.filter((e) => e.id !== id), result: true } : { result: false },
      );
      // What the deliverer keeps of the endpoint (its health, its dead deliveries) goes with it.
      if (removed) await opts.onRemoved?.(id);
      return removed;
    },
  };
}
