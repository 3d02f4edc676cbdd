import { request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import {
  NotificationAcceptedSchema,
  newWebhookId,
  type Erasure,
  type NotificationRequest,
  type NotificationView,
  type Preferences,
  type Priority,
  type ProviderEvent,
  type StoredNotification,
  type WebhookEndpoint,
} from '@herald/contracts';
import { createLogger } from '@herald/service';
import { SidecarError, StateConflict, type ActorPort, type BulkPublishEntry, type BulkPublishPort, type RequestOptions, type SaveStateOptions, type StateEntry, type StatePort } from '@herald/dapr';
import {
  createCustomerStore,
  createDataKeys,
  encodeHistoryCursor,
  KEY_RING_SECRET,
  open,
  openMetadata,
  parseKeyRing,
  sealedKeyId,
  redisKeys,
  type DataKeys,
  type HistoryCursor,
  type NotificationHistory,
  type PreferencesStore,
  type WebhookEndpointStore,
} from '@herald/stores';
import { checkWebhookUrl } from '@herald/webhooks';
import type { ApiError } from '../domain/api-error.js';
import { thresholdsFor, type LaneBacklog } from '../domain/admission.js';
import { createAdmissionControl } from './admission-control.js';
import { createApiKeyStore, createAuthenticator } from './api-keys.js';
import { createCustomerHomes, DIRECTORY_KEYS } from './customer-homes.js';
import type { BacklogMonitor } from './backlog-monitor.js';
import { newErasureId, type ErasureService } from './erasure.js';
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
/** This intake is region `us` of two; `eu` is the other (customer-homes.ts). */
export const REGIONS = { us: 'https://us.herald.example', eu: 'https://eu.herald.example' };
const HOME_DIRECTORY_KEY = randomBytes(32);
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

/**
 * Dapr's state API as the PostgreSQL component answers it: values as JSON, an ETag per write,
 * StateConflict for a first-write on a key that has a value or a write at an ETag that moved.
 * A store named in `down` fails every call, as a sidecar whose component is unreachable does.
 * Each call yields to the event loop first, as a round trip would: concurrent requests
 * interleave their reads and writes, so a stale write is refused as it would be.
 */
export class MemoryState implements StatePort {
  readonly entries = new Map<string, StateEntry<unknown>>();
  readonly down = new Set<string>();
  /** Saves and deletes that changed something, and reads, by store. */
  readonly writes = new Map<string, number>();
  readonly reads = new Map<string, number>();
  private version = 0;

  private async at(store: string, key: string, counter: Map<string, number>): Promise<string> {
    await new Promise((resolve) => setImmediate(resolve));
    if (this.down.has(store)) throw new SidecarError('state', 500, `${store} is unreachable`);
    counter.set(store, (counter.get(store) ?? 0) + 1);
    return `${store}\u0000${key}`;
  }
  /** The values a store keeps, as their JSON text. */
  texts(store: string): string[] {
    return [...this.entries].filter(([k]) => k.startsWith(`${store}\u0000`)).map(([, e]) => JSON.stringify(e.value));
  }
  async getState<T>(store: string, key: string): Promise<StateEntry<T> | undefined> {
    const entry = this.entries.get(await this.at(store, key, this.reads));
    return entry && { value: JSON.parse(JSON.stringify(entry.value)) as T, etag: entry.etag };
  }
  async getBulkState<T>(store: string, keys: string[]): Promise<Map<string, StateEntry<T>>> {
    const found = new Map<string, StateEntry<T>>();
    for (const key of keys) {
      const entry = await this.getState<T>(store, key);
      if (entry) found.set(key, entry);
    }
    return found;
  }
  async saveState(store: string, key: string, value: unknown, opts: SaveStateOptions = {}): Promise<void> {
    const k = await this.at(store, key, new Map());
    const current = this.entries.get(k);
    if ((opts.onlyIfAbsent && current) || (opts.etag !== undefined && current?.etag !== opts.etag)) throw new StateConflict(key, undefined);
    this.entries.set(k, { value: JSON.parse(JSON.stringify(value)) as unknown, etag: String(++this.version) });
    this.writes.set(store, (this.writes.get(store) ?? 0) + 1);
  }
  async deleteState(store: string, key: string, opts: { etag?: string } = {}): Promise<void> {
    const k = await this.at(store, key, new Map());
    if (opts.etag !== undefined && this.entries.get(k)?.etag !== opts.etag) throw new StateConflict(key, undefined);
    if (this.entries.delete(k)) this.writes.set(store, (this.writes.get(store) ?? 0) + 1);
  }
  reset(): void {
    this.entries.clear();
    this.down.clear();
    this.writes.clear();
    this.reads.clear();
  }
}

/** Erasures as the service answers them, kept in memory; nothing runs in the background. */
export class MemoryErasures implements ErasureService {
  readonly erasures = new Map<string, Erasure>();
  /** Every erase asked: tenant, customer, and which API key asked. */
  readonly asked: Array<{ tenantId: string; customerId: string; requestedBy: string }> = [];
  async erase(tenantId: string, customerId: string, requestedBy: string): Promise<Erasure> {
    this.asked.push({ tenantId, customerId, requestedBy });
    const erasure: Erasure = {
      id: newErasureId(NOW.getTime()), tenantId, customerId, status: 'running', requestedAt: NOW.toISOString(), requestedBy,
      erased: { dataKey: true, profile: false, preferences: false, notificationsFound: 0, notificationsErased: 0, notificationsCanceled: 0 },
    };
    this.erasures.set(erasure.id, erasure);
    return erasure;
  }
  async get(tenantId: string, erasureId: string): Promise<Erasure | undefined> {
    const erasure = this.erasures.get(erasureId);
    return erasure?.tenantId === tenantId ? erasure : undefined;
  }
  async resume(): Promise<void> {}
  async stop(): Promise<void> {}
}

/** Newest first, strictly older than the cursor, with a `next` cursor when more remain: the SQL store's semantics. */
export class MemoryHistory implements NotificationHistory {
  readonly entries: StoredNotification[] = [];
  failure: Error | undefined;
  /** A sent email notification of the customer's, accepted at `atMs`, with its metadata as stored (sealed). */
  add(tenantId: string, customerId: string, id: string, atMs: number, metadata?: Record<string, string>): StoredNotification {
    const at = new Date(atMs).toISOString();
    const stored: StoredNotification = {
      id, tenantId, customerId, channels: ['email'], channelIndex: 0, priority: 'bulk', status: 'sent', attempt: 1,
      createdAt: at, updatedAt: at, timeline: [{ at, status: 'accepted' }, { at, status: 'sent', channel: 'email', attempt: 1 }],
      ...(metadata ? { metadata } : {}),
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

/** A JSON answer: status, headers and the parsed body (undefined when it had none). */
export interface JsonAnswer<T> {
  status: number;
  headers: Headers;
  body: T;
}

export interface CallOptions {
  body?: unknown;
  /** The API key; tenant A's unless given, `null` for no Authorization at all. */
  key?: string | null;
  headers?: Record<string, string>;
}

/** One JSON request to intake at `baseUrl` (a string body is sent as it is). */
export async function callIntake<T>(baseUrl: string, method: string, path: string, opts: CallOptions = {}): Promise<JsonAnswer<T>> {
  const key = opts.key === undefined ? KEY_A : opts.key;
  const headers: Record<string, string> = { ...(key === null ? {} : { authorization: `Bearer ${key}` }), ...opts.headers };
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(baseUrl + path, {
    method,
    headers,
    body: opts.body === undefined ? null : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: (text === '' ? undefined : JSON.parse(text)) as T };
}

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
  erasures: MemoryErasures;
  /** The state store behind the data keys, the profiles and the customers' homes (store `homes`). */
  state: MemoryState;
  /** Makes a customer region `eu`'s, as that region's intake would on first meeting them. */
  homeInEu(tenantId: string, customerId: string): Promise<void>;
  /** The real data keys, on `state`, under a key ring of the harness's own. */
  dataKeys: DataKeys;
  /** What the provider callbacks recorded. */
  providerEvents: ProviderEvent[];
  /** A published NotificationAccepted's request, opened with its customer's key (throws if it does not open). */
  openRequest(event: unknown): Promise<NotificationRequest>;
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
  const state = new MemoryState();
  const erasures = new MemoryErasures();
  const ring = parseKeyRing(KEY_RING_SECRET, JSON.stringify({ primary: 'k1', keys: { k1: randomBytes(32).toString('base64') } }));
  const dataKeys = createDataKeys({ state, ring });
  const providerEvents: ProviderEvent[] = [];
  const log = createLogger('intake-test', 'silent');
  const sendgrid = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const apiKeys = createApiKeyStore(state);
  const homes = createCustomerHomes({ state, region: 'us', regions: REGIONS, key: HOME_DIRECTORY_KEY });
  // The directory as a running deployment has it (its marker, and this region's copy of it), put
  // in place without counting as a write: a test's first claim then writes only the home.
  const seedDirectory = (): void => {
    const marker = { value: { id: 'directory-1', createdAt: NOW.toISOString() }, etag: '0' };
    state.entries.set(`homes\u0000${DIRECTORY_KEYS.marker}`, marker);
    state.entries.set(`records\u0000${DIRECTORY_KEYS.regionMarker}`, marker);
  };
  seedDirectory();
  const authenticator = createAuthenticator({ configured: JSON.stringify({ [KEY_A]: 'tenant-a', [KEY_B]: 'tenant-b', [KEY_C]: 'tenant-c' }), store: apiKeys });
  const server = createIntakeServer({
    sidecar,
    authenticator,
    apiKeys,
    homes,
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
    dataKeys,
    customers: createCustomerStore(state),
    erasures,
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
    erasures,
    state,
    async homeInEu(tenantId, customerId) {
      const eu = createCustomerHomes({ state, region: 'eu', regions: REGIONS, key: HOME_DIRECTORY_KEY, recordStore: 'records-eu' });
      const home = await eu.homeOf(tenantId, customerId, { claim: true });
      if (!home.here) throw new Error(`${customerId} already lives in ${home.region}`);
    },
    dataKeys,
    providerEvents,
    async openRequest(data) {
      const { tenantId, request } = NotificationAcceptedSchema.parse(data);
      const ctx = { tenantId, customerId: request.customerId };
      const key = await dataKeys.forOpening(tenantId, request.customerId, sealedKeyId(request.content));
      if (!key) throw new Error(`no data key for ${request.customerId}`);
      const { to, content, metadata, ...rest } = request;
      return {
        ...rest,
        to: Object.fromEntries(Object.entries(to).map(([field, sealed]) => [field, open(key, ctx, sealed as string)])),
        content: JSON.parse(open(key, ctx, content)) as NotificationRequest['content'],
        ...(metadata ? { metadata: openMetadata(key, ctx, metadata) } : {}),
      };
    },
    signSendGrid: (body, timestamp) => sign('sha256', Buffer.concat([Buffer.from(timestamp), body]), sendgrid.privateKey).toString('base64'),
    writes: () =>
      sidecar.published.length + idempotency.claims.size + preferences.writes + webhookEndpoints.writes + providerEvents.length + erasures.asked.length +
      // A customer's home is not what a request writes: a test of a refused request that must
      // claim no one reads state.writes.get('homes') itself.
      [...state.writes].reduce((a, [store, n]) => (store === 'homes' ? a : a + n), 0),
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
      erasures.erasures.clear();
      erasures.asked.length = 0;
      state.reset();
      seedDirectory();
      dataKeys.forget();
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

/** One intake for a test file, reset before each test: `h` is it, `call` asks it over HTTP. */
export function useIntake() {
  let harness: IntakeHarness | undefined;
  beforeAll(async () => {
    harness = await startIntake();
  });
  afterAll(() => harness?.close());
  beforeEach(() => harness?.reset());
  const started = (): IntakeHarness => {
    if (!harness) throw new Error('intake is not started yet (useIntake starts it before the tests)');
    return harness;
  };
  return {
    get h(): IntakeHarness {
      return started();
    },
    call: <T = ApiError>(method: string, path: string, opts: CallOptions = {}): Promise<JsonAnswer<T>> => callIntake<T>(started().baseUrl, method, path, opts),
  };
}
