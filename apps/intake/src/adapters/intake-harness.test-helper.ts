import { request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import {
  newWebhookId,
  type NotificationView,
  type Preferences,
  type Priority,
  type ProviderEvent,
  type StoredNotification,
  type WebhookEndpoint,
} from '@herald/contracts';
import { createLogger } from '@herald/service';
import type { ActorPort, BulkPublishEntry, BulkPublishPort, RequestOptions } from '@herald/dapr';
import {
  encodeHistoryCursor,
  redisKeys,
  type HistoryCursor,
  type NotificationHistory,
  type PreferencesStore,
  type WebhookEndpointStore,
} from '@herald/stores';
import { checkWebhookUrl } from '@herald/webhooks';
import { thresholdsFor, type LaneBacklog } from '../domain/admission.js';
import { createAdmissionControl } from './admission-control.js';
import { createAuthenticator } from './api-keys.js';
import type { BacklogMonitor } from './backlog-monitor.js';
import { createIntakeServer } from './http-app.js';
import type { IdempotencyClaim, IdempotencyStore } from './idempotency-store.js';
import { createLanePublisher } from './lane-publisher.js';
import { createNotificationIds } from './notification-ids.js';
import { createProviderCallbackRouter } from './provider-callbacks.js';
import { createQuotaCounter } from './quota-counter.js';

// The whole intake server on a loopback port, with an in-memory fake for each port: the
// routes, the body parsers, authentication and the error handler are the real ones. Shared by
// the tests that drive intake over HTTP (http-app.test.ts, hostile-input.test.ts); not built
// into dist (see tsconfig.json).

export const NOW = new Date('2026-03-01T10:00:00.000Z');
/** The key intake's test instance marks its ids with; `ids` mints ids as that instance does. */
const ID_KEY = 'intake-test-id-key-0123456789';
export const ids = createNotificationIds(Buffer.from(ID_KEY));
export const PENDING_VISIBLE_MS = 15 * 60_000;
export const KEY_A = 'key-for-tenant-a-0123456789';
export const KEY_B = 'key-for-tenant-b-0123456789';
/** Tenant C may send 3 notifications a day. */
export const KEY_C = 'key-for-tenant-c-0123456789';
/** The provider callbacks' secrets: the routes are configured, so they verify signatures. */
export const TWILIO_AUTH_TOKEN = 'twilio-auth-token-for-tests';
export const PUBLIC_BASE_URL = 'https://herald.example.com';

export interface ActorCall {
  actorType: string;
  actorId: string;
  method: string;
  body: unknown;
}

/** Records what intake publishes and asks of actors; `actor` answers (or throws) as a test needs. */
export class FakeSidecar implements ActorPort, BulkPublishPort {
  published: Array<{ pubsub: string; topic: string; data: unknown; opts: RequestOptions | undefined }> = [];
  actorCalls: ActorCall[] = [];
  publishError: Error | undefined;
  views = new Map<string, NotificationView>();
  actor: (call: ActorCall) => unknown = FakeSidecar.defaultActor(this);

  /** Views from `views`; every other method finds no notification. */
  static defaultActor(sidecar: FakeSidecar): (call: ActorCall) => unknown {
    return (call) => (call.method === 'view' ? (sidecar.views.get(call.actorId) ?? null) : { outcome: 'not_found' });
  }

  async publishBulk(pubsub: string, topic: string, entries: readonly BulkPublishEntry[]): Promise<Map<string, string>> {
    if (this.publishError) throw this.publishError;
    for (const e of entries) this.published.push({ pubsub, topic, data: e.event, opts: undefined });
    return new Map();
  }
  async invokeActor(actorType: string, actorId: string, method: string, body?: unknown): Promise<unknown> {
    const call = { actorType, actorId, method, body };
    this.actorCalls.push(call);
    return this.actor(call);
  }
}

/** The Redis store's semantics: first claim wins, the same fingerprint is 'same', release only by its owner. */
export class MemoryIdempotency implements IdempotencyStore {
  readonly claims = new Map<string, string>();
  readonly claimedAtMs = new Map<string, number>();
  failure: Error | undefined;
  async claim(tenantId: string, notificationId: string, fingerprint: string): Promise<IdempotencyClaim> {
    if (this.failure) throw this.failure;
    const current = this.claims.get(`${tenantId}/${notificationId}`);
    if (current === undefined) {
      this.claims.set(`${tenantId}/${notificationId}`, fingerprint);
      this.claimedAtMs.set(`${tenantId}/${notificationId}`, NOW.getTime());
      return 'new';
    }
    return current === fingerprint ? 'same' : 'conflict';
  }
  async release(tenantId: string, notificationId: string, fingerprint: string): Promise<void> {
    if (this.claims.get(`${tenantId}/${notificationId}`) === fingerprint) this.claims.delete(`${tenantId}/${notificationId}`);
  }
  async claimedAt(tenantId: string, notificationId: string): Promise<number | undefined> {
    if (this.failure) throw this.failure;
    return this.claims.has(`${tenantId}/${notificationId}`) ? this.claimedAtMs.get(`${tenantId}/${notificationId}`) : undefined;
  }
}

/** Newest first, strictly older than the cursor, with a `next` cursor when more remain: the SQL store's semantics. */
export class MemoryHistory implements NotificationHistory {
  readonly entries: StoredNotification[] = [];
  failure: Error | undefined;
  /** A sent email notification of the customer's, accepted at `atMs`. */
  add(tenantId: string, customerId: string, id: string, atMs: number): StoredNotification {
    const at = new Date(atMs).toISOString();
    const stored: StoredNotification = {
      id, tenantId, customerId, channels: ['email'], channelIndex: 0, priority: 'bulk', status: 'sent', attempt: 1,
      createdAt: at, updatedAt: at, timeline: [{ at, status: 'accepted' }, { at, status: 'sent', channel: 'email', attempt: 1 }],
    };
    this.entries.push(stored);
    return stored;
  }
  async list(tenantId: string, customerId: string, opts: { limit: number; before?: HistoryCursor; now: Date }) {
    if (this.failure) throw this.failure;
    const { before, limit } = opts;
    const olderThanCursor = ({ id, createdAt }: StoredNotification): boolean =>
      !before || createdAt < before.at || (createdAt === before.at && before.id !== undefined && id < before.id);
    const all = this.entries
      .filter((e) => e.tenantId === tenantId && e.customerId === customerId && olderThanCursor(e))
      .sort((a, b) => (a.createdAt === b.createdAt ? b.id.localeCompare(a.id) : b.createdAt.localeCompare(a.createdAt)));
    const items = all.slice(0, limit);
    const last = items.at(-1);
    return all.length > limit && last ? { items, next: encodeHistoryCursor(tenantId, customerId, { at: last.createdAt, id: last.id }) } : { items };
  }
}

/** Counts its writes: every `put`, and each `remove` that removed something. */
export class MemoryPreferences implements PreferencesStore {
  readonly values = new Map<string, Preferences>();
  writes = 0;
  async get(tenantId: string, customerId: string) {
    return this.values.get(`${tenantId}/${customerId}`);
  }
  async put(tenantId: string, customerId: string, preferences: Preferences) {
    this.writes++;
    this.values.set(`${tenantId}/${customerId}`, preferences);
  }
  async remove(tenantId: string, customerId: string) {
    const removed = this.values.delete(`${tenantId}/${customerId}`);
    if (removed) this.writes++;
    return removed;
  }
}

/** Counts its writes: every `create`, and each `remove` that removed something. */
export class MemoryWebhookEndpoints implements WebhookEndpointStore {
  readonly endpoints = new Map<string, WebhookEndpoint>();
  writes = 0;
  async create(tenantId: string, registration: Parameters<WebhookEndpointStore['create']>[1]) {
    this.writes++;
    const endpoint: WebhookEndpoint = {
      id: newWebhookId(NOW.getTime()),
      tenantId,
      url: registration.url,
      secret: `whsec_${randomBytes(32).toString('base64url')}`,
      ...(registration.statuses ? { statuses: registration.statuses } : {}),
      ...(registration.description !== undefined ? { description: registration.description } : {}),
      createdAt: NOW.toISOString(),
    };
    this.endpoints.set(endpoint.id, endpoint);
    return endpoint;
  }
  async list(tenantId: string) {
    return [...this.endpoints.values()].filter((e) => e.tenantId === tenantId);
  }
  async get(tenantId: string, id: string) {
    const endpoint = this.endpoints.get(id);
    return endpoint?.tenantId === tenantId ? endpoint : undefined;
  }
  async remove(tenantId: string, id: string) {
    const removed = (await this.get(tenantId, id)) !== undefined && this.endpoints.delete(id);
    if (removed) this.writes++;
    return removed;
  }
}

export function idle(): LaneBacklog {
  return { streamLag: 0, streamPending: 0, queued: 0, drainPerSecond: 50 };
}

/** Lane backlogs as a test sets them. */
export class FakeMonitor implements BacklogMonitor {
  lanes: Record<Priority, LaneBacklog> = { critical: idle(), bulk: idle() };
  accepted: Record<Priority, number> = { critical: 0, bulk: 0 };
  snapshot() {
    return { lanes: this.lanes, observedAt: NOW.getTime() };
  }
  noteAccepted(lane: Priority, count: number) {
    this.accepted[lane] += count;
  }
  acceptedSinceReading(lane: Priority) {
    return this.accepted[lane];
  }
  async firstReading() {}
  start() {}
  async stop() {}
}

// The real URL policy with a fake resolver: no DNS in unit tests.
const dns: Record<string, string[]> = { 'hooks.example.com': ['93.184.216.34'], 'internal.example.com': ['10.1.2.3'] };
const lookup = async (host: string): Promise<string[]> => dns[host] ?? Promise.reject(new Error('ENOTFOUND'));

/** An answer as received: status, headers and the body's text. */
export interface RawAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

export interface SendOptions {
  headers?: Record<string, string | string[]>;
  body?: Buffer | string;
  /** Send the body chunked (in two pieces) instead of with a Content-Length. */
  chunked?: boolean;
}

export interface IntakeHarness {
  baseUrl: string;
  /**
   * One request exactly as given. node:http sends the path verbatim, where fetch would resolve
   * `.` and `..` segments (also `%2e%2e`) before sending.
   */
  send(method: string, path: string, opts?: SendOptions): Promise<RawAnswer>;
  sidecar: FakeSidecar;
  monitor: FakeMonitor;
  idempotency: MemoryIdempotency;
  history: MemoryHistory;
  preferences: MemoryPreferences;
  webhookEndpoints: MemoryWebhookEndpoints;
  /** What the provider callbacks recorded. */
  providerEvents: ProviderEvent[];
  /** The SendGrid signature header's value for a body sent with this timestamp header. */
  signSendGrid(body: Buffer, timestamp: string): string;
  /** Everything written since the last reset: published, claimed, stored or recorded. */
  writes(): number;
  /** Back to an empty, idle system (between tests). */
  reset(): void;
  close(): Promise<void>;
}

/** Starts intake on 127.0.0.1 (a free port) with fresh fakes. */
export async function startIntake(): Promise<IntakeHarness> {
  const sidecar = new FakeSidecar();
  const monitor = new FakeMonitor();
  const idempotency = new MemoryIdempotency();
  const history = new MemoryHistory();
  const preferences = new MemoryPreferences();
  const webhookEndpoints = new MemoryWebhookEndpoints();
  const providerEvents: ProviderEvent[] = [];
  const log = createLogger('intake-test', 'silent');
  const sendgrid = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const server = createIntakeServer({
    sidecar,
    authenticate: createAuthenticator(JSON.stringify({ [KEY_A]: 'tenant-a', [KEY_B]: 'tenant-b', [KEY_C]: 'tenant-c' })),
    log,
    bodyLimitBytes: 64 * 1024,
    batchBodyLimitBytes: 1024 * 1024,
    publisher: createLanePublisher({ sidecar, pubsubName: 'pubsub', topicPrefix: 'test-' }),
    admission: createAdmissionControl({
      monitor,
      // Never started: counts stay local to this process, which is all one replica needs.
      quotas: createQuotaCounter({ redis: undefined as never, keys: redisKeys('test:'), syncMs: 1_000, log }),
      thresholds: { bulk: thresholdsFor(100), critical: thresholdsFor(1_000) },
      quotaOf: (tenantId) =>
        // tenant-c: 3 a day, 2 of them for bulk (a 30% reserve for critical).
        tenantId === 'tenant-c' ? { requestsPerSecond: 1_000, notificationsPerDay: 3, criticalReserve: 0.3 } : { requestsPerSecond: 1_000, notificationsPerDay: 1_000_000, criticalReserve: 0.1 },
    }),
    idempotency,
    ids,
    pendingVisibleMs: PENDING_VISIBLE_MS,
    pendingCancelWaitMs: 200,
    history,
    preferences,
    webhookEndpoints,
    checkWebhookUrl: (url) => checkWebhookUrl(url, { allowPrivate: false, lookup }),
    providerCallbacks: createProviderCallbackRouter({
      sendgridPublicKey: sendgrid.publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
      twilioAuthToken: TWILIO_AUTH_TOKEN,
      publicBaseUrl: PUBLIC_BASE_URL,
      record: async (event) => {
        providerEvents.push(event);
      },
      log,
      now: () => NOW,
    }),
    now: () => NOW,
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    baseUrl,
    send: (method, path, opts = {}) => sendRaw((server.address() as AddressInfo).port, method, path, opts),
    sidecar,
    monitor,
    idempotency,
    history,
    preferences,
    webhookEndpoints,
    providerEvents,
    signSendGrid: (body, timestamp) => sign('sha256', Buffer.concat([Buffer.from(timestamp), body]), sendgrid.privateKey).toString('base64'),
    writes: () => sidecar.published.length + idempotency.claims.size + preferences.writes + webhookEndpoints.writes + providerEvents.length,
    reset() {
      sidecar.published = [];
      sidecar.actorCalls = [];
      sidecar.publishError = undefined;
      sidecar.views.clear();
      sidecar.actor = FakeSidecar.defaultActor(sidecar);
      monitor.lanes = { critical: idle(), bulk: idle() };
      monitor.accepted = { critical: 0, bulk: 0 };
      idempotency.claims.clear();
      idempotency.claimedAtMs.clear();
      idempotency.failure = undefined;
      history.entries.length = 0;
      history.failure = undefined;
      preferences.values.clear();
      preferences.writes = 0;
      webhookEndpoints.endpoints.clear();
      webhookEndpoints.writes = 0;
      providerEvents.length = 0;
    },
    close: () => closeServer(server),
  };
}

async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

function sendRaw(port: number, method: string, path: string, opts: SendOptions): Promise<RawAnswer> {
  const body = opts.body === undefined ? undefined : Buffer.from(opts.body);
  const headers = { ...opts.headers, ...(body && !opts.chunked ? { 'content-length': String(body.length) } : {}) };
  return new Promise((resolve, reject) => {
    // Options, not a URL: a URL would be parsed, and its path normalised, before sending.
    const req = request({ host: '127.0.0.1', port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (body && opts.chunked) {
      const half = body.length >> 1;
      req.write(body.subarray(0, half));
      req.end(body.subarray(half));
    } else {
      req.end(body);
    }
  });
}
