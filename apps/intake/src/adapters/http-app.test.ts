import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { newNotificationId, newWebhookId, notificationViewOf, type NotificationAccepted, type NotificationView, type WebhookEndpoint } from '@herald/contracts';
import { NOTIFICATION_ACTOR } from '@herald/dapr';
import type { ApiError } from '../domain/api-error.js';
import {
  callIntake,
  ids,
  idle,
  KEY_A,
  KEY_B,
  KEY_C,
  NOW,
  PENDING_VISIBLE_MS,
  startIntake,
  type CallOptions,
  type FakeMonitor,
  type FakeSidecar,
  type IntakeHarness,
  type JsonAnswer,
  type MemoryHistory,
  type MemoryIdempotency,
  type MemoryPreferences,
  type MemoryWebhookEndpoints,
} from './intake-harness.test-helper.js';

// The whole intake app over HTTP, with an in-memory fake for each port: the routes, the body
// parser, authentication and the error handler are the real ones (intake-harness.test-helper.ts).

const DAY_MS = 24 * 3_600_000;

let harness: IntakeHarness;
let sidecar: FakeSidecar;
let monitor: FakeMonitor;
let idempotency: MemoryIdempotency;
let history: MemoryHistory;
let preferences: MemoryPreferences;
let webhookEndpoints: MemoryWebhookEndpoints;
let baseUrl: string;

beforeAll(async () => {
  harness = await startIntake();
  ({ sidecar, monitor, idempotency, history, preferences, webhookEndpoints, baseUrl } = harness);
});

afterAll(() => harness.close());

beforeEach(() => harness.reset());

/** One request as tenant A unless `key` says otherwise (`null`: no Authorization at all). */
const call = <T = ApiError>(method: string, path: string, opts: CallOptions = {}): Promise<JsonAnswer<T>> => callIntake<T>(baseUrl, method, path, opts);

interface Accepted {
  id: string;
  status: string;
  statusUrl: string;
}

const email = { customerId: 'cust-1', channel: 'email', to: { email: 'jane@example.com' }, content: { subject: 'Hi', text: 'Hello' } };
const inDays = (days: number): string => new Date(NOW.getTime() + days * DAY_MS).toISOString();

function viewOf(id: string, tenantId: string, overrides: Partial<NotificationView> = {}): NotificationView {
  return {
    id,
    tenantId,
    customerId: 'cust-1',
    channel: 'email',
    channels: ['email'],
    priority: 'bulk',
    status: 'accepted',
    attempts: 0,
    createdAt: NOW.toISOString(),
    updatedAt: NOW.toISOString(),
    timeline: [{ at: NOW.toISOString(), status: 'accepted' }],
    ...overrides,
  };
}

describe('POST /v1/notifications', () => {
  it('accepts a valid request and publishes it on its lane', async () => {
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const res = await call<Accepted>('POST', '/v1/notifications', { body: { ...email, priority: 'critical' }, headers: { traceparent } });
    expect(res.status).toBe(202);
    expect(res.body.id).toMatch(/^ntf_[0-9a-z]{26}$/);
    expect(res.body).toEqual({ id: res.body.id, status: 'accepted', statusUrl: `/v1/notifications/${res.body.id}` });
    expect(res.headers.get('location')).toBe(res.body.statusUrl);
    expect(sidecar.published).toEqual([
      {
        pubsub: 'pubsub-critical',
        topic: 'test-notifications-critical',
        // The trace travels in the event: many requests share one bulk publish.
        data: { schemaVersion: 2, id: res.body.id, tenantId: 'tenant-a', acceptedAt: NOW.toISOString(), request: expect.any(Object) as unknown, traceparent },
        opts: undefined,
      },
    ]);
    // Sealed under the customer's key, and all of it there.
    expect(await harness.openRequest(sidecar.published[0]?.data)).toEqual({ ...email, priority: 'critical' });
  });

  it('publishes on the bulk lane by default', async () => {
    expect((await call('POST', '/v1/notifications', { body: email })).status).toBe(202);
    expect(sidecar.published.map((p) => p.topic)).toEqual(['test-notifications-bulk']);
  });

  it('accepts a fallback list of channels', async () => {
    const body = { ...email, channel: undefined, channels: ['sms', 'email'], to: { email: 'jane@example.com', phone: '+14155550100' } };
    expect((await call('POST', '/v1/notifications', { body })).status).toBe(202);
    expect((sidecar.published[0]?.data as NotificationAccepted).request.channels).toEqual(['sms', 'email']);
  });

  it('refuses both channel and channels', async () => {
    const res = await call('POST', '/v1/notifications', { body: { ...email, channels: ['email'] } });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'validation_failed', field: 'channels' });
  });

  it('names an unknown channel inside the fallback list', async () => {
    const res = await call('POST', '/v1/notifications', { body: { ...email, channel: undefined, channels: ['email', 'pigeon'] } });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'unknown_channel', field: 'channels.1' });
  });

  it('accepts a request without `to`, or without the recipient of some channel: the profile fills it when sending', async () => {
    const { to: _to, ...noRecipient } = email;
    expect((await call('POST', '/v1/notifications', { body: noRecipient })).status).toBe(202);
    expect((await call('POST', '/v1/notifications', { body: { ...email, channel: undefined, channels: ['email', 'sms'] } })).status).toBe(202);
    const opened = await Promise.all(sidecar.published.map((p) => harness.openRequest(p.data)));
    expect(opened.map((r) => r.to)).toEqual([{}, email.to]);
  });

  it('still refuses a recipient field that is malformed', async () => {
    const res = await call('POST', '/v1/notifications', { body: { ...email, to: { phone: '555-0100' } } });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'validation_failed', field: 'to.phone' });
  });

  it('refuses an expiry already past and a send time more than 366 days ahead, publishing nothing', async () => {
    const expired = await call('POST', '/v1/notifications', { body: { ...email, expiresAt: '2026-03-01T09:59:59Z' } });
    expect(expired.status).toBe(400);
    expect(expired.body.error).toMatchObject({ code: 'validation_failed', field: 'expiresAt', details: [{ field: 'expiresAt', code: 'invalid_time' }] });
    const far = await call('POST', '/v1/notifications', { body: { ...email, sendAt: inDays(367) } });
    expect(far.status).toBe(400);
    expect(far.body.error).toMatchObject({ code: 'validation_failed', field: 'sendAt' });
    expect(sidecar.published).toEqual([]);
    expect((await call('POST', '/v1/notifications', { body: { ...email, sendAt: inDays(366) } })).status).toBe(202);
  });

  it('answers 400 to a body that is not JSON and 413 to one over the limit', async () => {
    const bad = await call('POST', '/v1/notifications', { body: '{"customerId":' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('invalid_json');
    const big = await call('POST', '/v1/notifications', { body: { ...email, content: { subject: 'Hi', text: 'x'.repeat(70_000) } } });
    expect(big.status).toBe(413);
    expect(big.body.error.code).toBe('payload_too_large');
  });
});

describe('the accept routes answer alike on the lean path and through express', () => {
  // `/v1/notifications` is served by the lean path (accept-path.ts); with a trailing slash the
  // same route is reached through express's router and body parser.
  interface Raw {
    status: number;
    headers: Headers;
    text: string;
  }
  async function raw(path: string, init: { body?: string | Buffer; headers?: Record<string, string>; key?: string | null }): Promise<Raw> {
    const key = init.key === undefined ? KEY_A : init.key;
    const res = await fetch(baseUrl + path, {
      method: 'POST',
      headers: { ...(key === null ? {} : { authorization: `Bearer ${key}` }), ...init.headers },
      body: init.body ?? null,
    });
    return { status: res.status, headers: res.headers, text: await res.text() };
  }
  /** The answer without what differs by request (the new id). */
  const comparable = (r: Raw) => ({
    status: r.status,
    contentType: r.headers.get('content-type'),
    retryAfter: r.headers.get('retry-after'),
    authenticate: r.headers.get('www-authenticate'),
    body: r.text.replace(/ntf_[0-9a-z]{26}/g, 'ntf_<id>'),
  });
  const valid = JSON.stringify(email);

  it.each([
    ['a valid request', { body: valid }],
    ['a body behind a byte-order mark', { body: '\ufeff' + valid }],
    ['a body that is not JSON', { body: '{"customerId":' }],
    ['an empty body', { body: '' }],
    ['no body at all', {}],
    ['a JSON body that is not an object', { body: '"hello"' }],
    ['a body over the limit', { body: JSON.stringify({ ...email, content: { text: 'x'.repeat(70_000) } }) }],
    ['no API key', { body: valid, key: null }],
    ['a wrong API key', { body: '{"customerId":', key: 'not-a-key-of-anyone-here' }],
    ['an Idempotency-Key too long', { body: valid, headers: { 'idempotency-key': 'k'.repeat(256) } }],
    ['a content type naming UTF-8', { body: valid, headers: { 'content-type': 'application/json; charset=UTF-8' } }],
  ] as Array<[string, { body?: string; headers?: Record<string, string>; key?: string | null }]>)('%s', async (_what, init) => {
    const lean = await raw('/v1/notifications', init);
    const viaExpress = await raw('/v1/notifications/', init);
    expect(comparable(lean)).toEqual(comparable(viaExpress));
    if (lean.status === 202) expect(lean.headers.get('location')).toMatch(/^\/v1\/notifications\/ntf_/);
  });

  it('answers a lane that sheds and a batch alike', async () => {
    monitor.lanes.bulk = { streamLag: 90, streamPending: 5, queued: 10, drainPerSecond: 10 };
    const shed = [await raw('/v1/notifications', { body: valid }), await raw('/v1/notifications/', { body: valid })].map(comparable);
    expect(shed[0]).toMatchObject({ status: 429 });
    expect(shed[0]).toEqual(shed[1]);
    monitor.lanes.bulk = idle();
    const batch = JSON.stringify({ notifications: [email, { ...email, channel: 'fax' }] });
    const both = [await raw('/v1/notifications/batch', { body: batch }), await raw('/v1/notifications/batch/', { body: batch })].map(comparable);
    expect(both[0]).toMatchObject({ status: 202 });
    expect(both[0]).toEqual(both[1]);
  });

  it('leaves a compressed body and another charset to express, which reads or refuses them', async () => {
    const gzipped = await raw('/v1/notifications', { body: gzipSync(valid), headers: { 'content-encoding': 'gzip', 'content-type': 'application/json' } });
    expect(gzipped.status).toBe(202);
    const latin1 = await raw('/v1/notifications', { body: valid, headers: { 'content-type': 'application/json; charset=latin1' } });
    expect(latin1.status).toBe(415);
    expect(JSON.parse(latin1.text)).toMatchObject({ error: { code: 'unsupported_encoding' } });
  });

  it('refuses a chunked body over the limit without reading it all', async () => {
    const chunks = (async function* () {
      for (let i = 0; i < 200; i++) yield Buffer.alloc(1024, 0x20);
    })();
    const res = await fetch(baseUrl + '/v1/notifications', {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY_A}` },
      body: chunks,
      duplex: 'half',
    });
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ error: { code: 'payload_too_large', field: '(body)' } });
  });
});

describe('admission control', () => {
  it('sheds bulk with 429 and Retry-After once its backlog passes the threshold, and still admits critical', async () => {
    monitor.lanes.bulk = { streamLag: 90, streamPending: 5, queued: 10, drainPerSecond: 10 };
    const shed = await call('POST', '/v1/notifications', { body: email });
    expect(shed.status).toBe(429);
    expect(shed.body.error).toMatchObject({ code: 'lane_overloaded', field: 'priority' });
    // 105 waiting, resumes below 80: 26 to drain at 10/s.
    expect(shed.headers.get('retry-after')).toBe('3');
    expect(sidecar.published).toHaveLength(0);
    const critical = await call<Accepted>('POST', '/v1/notifications', { body: { ...email, priority: 'critical' } });
    expect(critical.status).toBe(202);
  });

  it('keeps shedding until the backlog is below 80% of the threshold (no flapping at the edge)', async () => {
    monitor.lanes.bulk = { ...idle(), streamLag: 100 };
    expect((await call('POST', '/v1/notifications', { body: email })).status).toBe(429);
    monitor.lanes.bulk = { ...idle(), streamLag: 90 };
    expect((await call('POST', '/v1/notifications', { body: email })).status).toBe(429);
    monitor.lanes.bulk = { ...idle(), streamLag: 79 };
    expect((await call('POST', '/v1/notifications', { body: email })).status).toBe(202);
  });

  it('counts what this replica accepted since the last reading', async () => {
    monitor.lanes.bulk = { ...idle(), streamLag: 98 };
    expect((await call('POST', '/v1/notifications', { body: email })).status).toBe(202);
    expect((await call('POST', '/v1/notifications', { body: email })).status).toBe(202);
    expect((await call('POST', '/v1/notifications', { body: email })).status).toBe(429);
    monitor.lanes.bulk = idle();
  });

  it('refuses, with 503 and Retry-After, a notification for a channel whose queue in its lane is not declared yet', async () => {
    // No push app has subscribed to the bulk lane: the broker would drop its dispatches.
    monitor.lanes.bulk = { ...idle(), channelsWithoutQueue: ['push'] };
    const push = { customerId: 'c-1', channel: 'push', to: { deviceToken: 'device-token-0123456789' }, content: { title: 'Hi', text: 'Hello' } };
    const refused = await call('POST', '/v1/notifications', { body: push });
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('2');
    expect(refused.body.error).toMatchObject({ code: 'unavailable', field: 'channel' });
    expect(refused.body.error.message).toContain('push channel');
    // A fallback list that names it is refused too; other channels and the other lane go in.
    expect((await call('POST', '/v1/notifications', { body: { ...email, channel: undefined, channels: ['email', 'push'], to: { ...email.to, deviceToken: 'device-token-0123456789' } } })).status).toBe(503);
    expect(sidecar.published).toHaveLength(0);
    expect((await call('POST', '/v1/notifications', { body: email })).status).toBe(202);
    expect((await call('POST', '/v1/notifications', { body: { ...push, priority: 'critical' } })).status).toBe(202);
    const admission = await call<{ lanes: Record<string, { channelsWithoutQueue?: string[] }> }>('GET', '/v1/admission');
    expect(admission.body.lanes.bulk?.channelsWithoutQueue).toEqual(['push']);
    expect(admission.body.lanes.critical?.channelsWithoutQueue).toBeUndefined();
    monitor.lanes.bulk = idle();
  });

  it('refuses a tenant past its daily volume with daily_quota_exceeded until UTC midnight, keeping a share for critical', async () => {
    for (let i = 0; i < 2; i++) expect((await call('POST', '/v1/notifications', { body: email, key: KEY_C })).status).toBe(202);
    const bulkOver = await call('POST', '/v1/notifications', { body: email, key: KEY_C });
    expect(bulkOver.status).toBe(429);
    expect(bulkOver.body.error.code).toBe('daily_quota_exceeded');
    expect(bulkOver.body.error.message).toContain('kept for critical');
    // The bulk campaign is stopped; a password reset still goes in, up to the whole quota.
    const critical = { ...email, priority: 'critical' };
    expect((await call('POST', '/v1/notifications', { body: critical, key: KEY_C })).status).toBe(202);
    const over = await call('POST', '/v1/notifications', { body: critical, key: KEY_C });
    expect(over.status).toBe(429);
    expect(over.body.error.code).toBe('daily_quota_exceeded');
    const midnight = (Date.UTC(NOW.getUTCFullYear(), NOW.getUTCMonth(), NOW.getUTCDate() + 1) - NOW.getTime()) / 1000;
    expect(Number(over.headers.get('retry-after'))).toBe(Math.ceil(midnight));
  });

  it('shows lanes, thresholds and the caller\'s quota on GET /v1/admission', async () => {
    monitor.lanes.critical = { streamLag: 3, streamPending: 2, queued: 1, inHand: 4, drainPerSecond: 40 };
    const res = await call<{ lanes: Record<string, { state: string; backlog: number; thresholds: unknown }>; tenant: { tenantId: string; notificationsPerDay: { limit: number } } }>(
      'GET',
      '/v1/admission',
    );
    expect(res.status).toBe(200);
    expect(res.body.lanes.critical).toMatchObject({
      state: 'admitting',
      backlog: 10,
      backlogParts: { stream: 3, dispatcher: 2, queues: 1, channelApps: 4 },
      thresholds: { shedAt: 1_000, resumeBelow: 800 },
      drainPerSecond: 40,
    });
    expect(res.body.lanes.bulk).toMatchObject({ state: 'admitting', thresholds: { shedAt: 100, resumeBelow: 80 } });
    expect(res.body.tenant).toMatchObject({
      tenantId: 'tenant-a',
      requestsPerSecond: { limit: 1_000, bulkLimit: 900 },
      notificationsPerDay: { limit: 1_000_000, bulkLimit: 900_000 },
    });
  });
});

describe('POST /v1/notifications/batch', () => {
  type BatchAnswer = { accepted: number; rejected: number; results: Array<{ index: number; status: string; id?: string; error?: { code: string; field?: string } }> };

  it('accepts each valid item with its own id and refuses each invalid one with its field', async () => {
    const res = await call<BatchAnswer>('POST', '/v1/notifications/batch', {
      body: { notifications: [email, { ...email, channel: 'fax' }, { ...email, priority: 'critical' }, { ...email, to: { email: 'nope' } }] },
    });
    expect(res.status).toBe(202);
    expect(res.body.accepted).toBe(2);
    expect(res.body.rejected).toBe(2);
    expect(res.body.results.map((r) => r.status)).toEqual(['accepted', 'rejected', 'accepted', 'rejected']);
    expect(res.body.results[1]?.error).toMatchObject({ code: 'unknown_channel', field: 'notifications.1.channel' });
    expect(res.body.results[3]?.error).toMatchObject({ code: 'validation_failed', field: 'notifications.3.to.email' });
    const ids = res.body.results.filter((r) => r.id).map((r) => r.id);
    expect(new Set(ids).size).toBe(2);
    expect(sidecar.published.map((p) => [p.topic, (p.data as NotificationAccepted).id])).toEqual(
      expect.arrayContaining([
        ['test-notifications-bulk', ids[0]],
        ['test-notifications-critical', ids[1]],
      ]),
    );
  });

  it('answers 400 for a batch that is not a list of 1 to 1,000, and when every item is invalid', async () => {
    expect((await call('POST', '/v1/notifications/batch', { body: { notifications: [] } })).body.error.field).toBe('notifications');
    const tooMany = await call('POST', '/v1/notifications/batch', { body: { notifications: Array.from({ length: 1_001 }, () => email) } });
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.error).toMatchObject({ field: 'notifications' });
    expect((await call('POST', '/v1/notifications/batch', { body: [email] })).status).toBe(400);
    const allBad = await call<BatchAnswer>('POST', '/v1/notifications/batch', { body: { notifications: [42, { ...email, channel: 'fax' }] } });
    expect(allBad.status).toBe(400);
    expect(allBad.body.results[0]?.error?.field).toBe('notifications.0');
    expect(sidecar.published).toHaveLength(0);
  });

  it('takes a batch of 1,000', async () => {
    const res = await call<BatchAnswer>('POST', '/v1/notifications/batch', { body: { notifications: Array.from({ length: 1_000 }, () => email) } });
    expect(res.status).toBe(202);
    expect(res.body.accepted).toBe(1_000);
    expect(sidecar.published).toHaveLength(1_000);
  });

  it('honours a per-item idempotencyKey: the same key and body give the same id, another body a conflict', async () => {
    const key = `k-${randomBytes(4).toString('hex')}`;
    const first = await call<BatchAnswer>('POST', '/v1/notifications/batch', { body: { notifications: [{ ...email, idempotencyKey: key }] } });
    const again = await call<BatchAnswer>('POST', '/v1/notifications/batch', {
      body: { notifications: [{ ...email, idempotencyKey: key }, { ...email, content: { subject: 'Hi', text: 'other' }, idempotencyKey: key }, { ...email, idempotencyKey: '' }] },
    });
    expect(again.body.results[0]?.id).toBe(first.body.results[0]?.id);
    expect(again.body.results[1]?.error?.code).toBe('idempotency_key_conflict');
    expect(again.body.results[2]?.error).toMatchObject({ code: 'invalid_idempotency_key', field: 'notifications.2.idempotencyKey' });
  });

  it('sheds a lane\'s items with lane_overloaded and answers 429 when nothing was accepted', async () => {
    monitor.lanes.bulk = { ...idle(), streamLag: 500 };
    const mixed = await call<BatchAnswer>('POST', '/v1/notifications/batch', { body: { notifications: [email, { ...email, priority: 'critical' }] } });
    expect(mixed.status).toBe(202);
    expect(mixed.body.results[0]?.error?.code).toBe('lane_overloaded');
    expect(mixed.headers.get('retry-after')).not.toBeNull();
    const bulkOnly = await call<BatchAnswer>('POST', '/v1/notifications/batch', { body: { notifications: [email, email] } });
    expect(bulkOnly.status).toBe(429);
    expect(bulkOnly.body.rejected).toBe(2);
  });

  it('refuses a whole batch that would pass the daily volume', async () => {
    const res = await call('POST', '/v1/notifications/batch', { key: KEY_C, body: { notifications: Array.from({ length: 4 }, () => email) } });
    expect(res.status).toBe(429);
    expect(res.body.error.code).toBe('daily_quota_exceeded');
    expect(sidecar.published).toHaveLength(0);
  });

  it('reports items whose publish failed as unavailable (503), accepting none of them', async () => {
    sidecar.publishError = new Error('sidecar down');
    const res = await call<BatchAnswer>('POST', '/v1/notifications/batch', { body: { notifications: [email] } });
    expect(res.status).toBe(503);
    expect(res.body.results[0]?.error?.code).toBe('unavailable');
  });
});

describe('Idempotency-Key', () => {
  const post = (key: string, body: unknown, apiKey = KEY_A) => call<Accepted>('POST', '/v1/notifications', { body, key: apiKey, headers: { 'idempotency-key': key } });

  it('gives the same body the same notification, even with its keys in another order', async () => {
    const first = await post('order-1', email);
    const reordered = { content: { text: 'Hello', subject: 'Hi' }, to: email.to, channel: 'email', customerId: 'cust-1' };
    const second = await post('order-1', reordered);
    expect([first.status, second.status]).toEqual([202, 202]);
    expect(second.body.id).toBe(first.body.id);
    // Published again: the first attempt may have failed after its claim; the actor drops the copy.
    expect(sidecar.published.map((p) => (p.data as NotificationAccepted).id)).toEqual([first.body.id, first.body.id]);
  });

  it('refuses the same key with another body', async () => {
    expect((await post('order-2', email)).status).toBe(202);
    const res = await post('order-2', { ...email, content: { subject: 'Hi', text: 'Changed' } });
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ error: { code: 'idempotency_key_conflict', field: 'Idempotency-Key' } });
    expect(sidecar.published).toHaveLength(1);
  });

  it('keeps tenants apart: the same key is two notifications', async () => {
    const a = await post('order-3', email);
    const b = await post('order-3', { ...email, customerId: 'other' }, KEY_B);
    expect([a.status, b.status]).toEqual([202, 202]);
    expect(b.body.id).not.toBe(a.body.id);
  });

  it('refuses a key longer than 255 characters', async () => {
    const res = await post('k'.repeat(256), email);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: { code: 'invalid_idempotency_key' } });
  });

  it('answers 503 and publishes nothing when the store fails', async () => {
    idempotency.failure = new Error('redis down');
    const res = await post('order-4', email);
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('5');
    expect(res.body).toMatchObject({ error: { code: 'unavailable' } });
    expect(sidecar.published).toEqual([]);
  });

  it('releases the key when the publish fails, so a corrected retry is accepted', async () => {
    sidecar.publishError = new Error('sidecar down');
    const failed = await post('order-5', email);
    expect(failed.status).toBe(503);
    expect(idempotency.claims.size).toBe(0);
    sidecar.publishError = undefined;
    const retry = await post('order-5', { ...email, content: { subject: 'Hi', text: 'Corrected' } });
    expect(retry.status).toBe(202);
    expect(sidecar.published).toHaveLength(1);
  });
});

describe('GET /v1/notifications/:id and cancel', () => {
  const id = newNotificationId(NOW.getTime());

  it('shows the tenant its own notification and no one else', async () => {
    sidecar.views.set(id, viewOf(id, 'tenant-a'));
    const own = await call<NotificationView>('GET', `/v1/notifications/${id}`);
    expect(own.status).toBe(200);
    expect(own.body).toEqual(viewOf(id, 'tenant-a'));
    expect((await call('GET', `/v1/notifications/${id}`, { key: KEY_B })).status).toBe(404);
  });

  it('answers 200 with the view when the actor canceled it', async () => {
    const view = viewOf(id, 'tenant-a', { status: 'canceled' });
    sidecar.actor = () => ({ outcome: 'canceled', view });
    const res = await call<NotificationView>('POST', `/v1/notifications/${id}/cancel`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual(view);
    expect(sidecar.actorCalls).toEqual([{ actorType: NOTIFICATION_ACTOR, actorId: id, method: 'cancel', body: { tenantId: 'tenant-a' } }]);
  });

  it('answers 409 with the status when it can no longer be canceled', async () => {
    sidecar.actor = () => ({ outcome: 'not_cancelable', view: viewOf(id, 'tenant-a', { status: 'delivered' }) });
    const res = await call<ApiError & { status: string }>('POST', `/v1/notifications/${id}/cancel`);
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ error: { code: 'not_cancelable' }, status: 'delivered' });
  });

  it('answers 404 when the actor knows no such notification, and to a malformed id without asking it', async () => {
    expect((await call('POST', `/v1/notifications/${id}/cancel`)).status).toBe(404);
    const malformed = await call('POST', '/v1/notifications/not-an-id/cancel');
    expect(malformed.status).toBe(404);
    expect(malformed.body.error.code).toBe('not_found');
    expect(sidecar.actorCalls).toHaveLength(1);
  });

  describe('in the moments between the 202 and the actor taking it up', () => {
    const accepted = (atMs = NOW.getTime()) => ({
      tenantId: 'tenant-a', status: 'accepted', attempts: 0,
      createdAt: new Date(atMs).toISOString(), updatedAt: new Date(atMs).toISOString(),
      timeline: [{ at: new Date(atMs).toISOString(), status: 'accepted' }],
    });
    const acceptOne = async (headers: Record<string, string> = {}) =>
      (await call<{ id: string }>('POST', '/v1/notifications', { body: { customerId: 'c-1', channel: 'sms', to: { phone: '+14155550100' }, content: { text: 'Hi' } }, headers })).body.id;

    it('answers a status request as accepted, for an id it minted or an Idempotency-Key claimed, and only to that tenant', async () => {
      for (const fresh of [await acceptOne(), await acceptOne({ 'Idempotency-Key': 'order-77' })]) {
        const res = await call<NotificationView>('GET', `/v1/notifications/${fresh}`);
        expect(res).toMatchObject({ status: 200, body: { ...accepted(), id: fresh } });
        expect((await call('GET', `/v1/notifications/${fresh}`, { key: KEY_B })).status).toBe(404);
      }
    });

    it('still answers 404 for an id it did not mint, and for one minted longer ago than it waits for', async () => {
      expect((await call('GET', `/v1/notifications/${newNotificationId(NOW.getTime())}`)).status).toBe(404);
      expect((await call('GET', `/v1/notifications/${ids.fresh('tenant-a', NOW.getTime() - PENDING_VISIBLE_MS + 1_000)}`)).status).toBe(200);
      expect((await call('GET', `/v1/notifications/${ids.fresh('tenant-a', NOW.getTime() - PENDING_VISIBLE_MS - 1_000)}`)).status).toBe(404);
    });

    it('cancels it once the actor has taken it up, waiting for that', async () => {
      const fresh = await acceptOne();
      let calls = 0;
      const view = viewOf(fresh, 'tenant-a', { status: 'canceled' });
      sidecar.actor = () => (++calls < 3 ? { outcome: 'not_found' } : { outcome: 'canceled', view });
      expect(await call('POST', `/v1/notifications/${fresh}/cancel`)).toMatchObject({ status: 200, body: view });
      expect(calls).toBe(3);
    });

    it('answers 409 not_yet_cancelable with Retry-After when the actor does not take it up in time', async () => {
      const fresh = await acceptOne();
      const res = await call<ApiError & { status: string }>('POST', `/v1/notifications/${fresh}/cancel`);
      expect(res.status).toBe(409);
      expect(res.headers.get('retry-after')).toBe('1');
      expect(res.body).toMatchObject({ error: { code: 'not_yet_cancelable', field: 'id' }, status: 'accepted' });
    });
  });

  it('answers 503 when the actor call fails', async () => {
    sidecar.actor = () => Promise.reject(new Error('actor unavailable'));
    const res = await call('POST', `/v1/notifications/${id}/cancel`);
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe('unavailable');
  });
});

describe('GET /v1/customers/:id/notifications', () => {
  const path = '/v1/customers/cust-1/notifications';
  interface Page {
    items: NotificationView[];
    next?: string;
    nextUrl?: string;
  }

  it.each(['0', '101', 'x', '2.5'])('refuses limit=%s', async (limit) => {
    const res = await call('GET', `${path}?limit=${limit}`);
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'invalid_query', field: 'limit' });
  });

  it('refuses a before that is neither a date-time nor a cursor', async () => {
    const res = await call('GET', `${path}?before=yesterday`);
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'invalid_query', field: 'before' });
  });

  it('refuses an invalid customer id', async () => {
    const res = await call('GET', '/v1/customers/not%20valid/notifications');
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'invalid_customer_id', field: 'customerId' });
  });

  it("shows the customer's notifications as stored, without asking their actors, and none of another tenant's", async () => {
    const [own, foreign] = [1, 2].map((n) => newNotificationId(NOW.getTime() - n * 60_000)) as [string, string];
    const stored = history.add('tenant-a', 'cust-1', own, NOW.getTime() - 60_000);
    history.add('tenant-b', 'cust-1', foreign, NOW.getTime() - 120_000);
    const res = await call<Page>('GET', path);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ items: [notificationViewOf(stored)] });
    expect(res.body.items[0]).toMatchObject({ id: own, status: 'sent', channel: 'email', attempts: 1 });
    expect(sidecar.actorCalls).toEqual([]);
  });

  it('links the next page when there is one, and follows it to the end', async () => {
    const ids = [1, 2, 3].map((n) => newNotificationId(NOW.getTime() - n * 60_000));
    ids.forEach((id, n) => history.add('tenant-a', 'cust-1', id, NOW.getTime() - (n + 1) * 60_000));
    const first = await call<Page>('GET', `${path}?limit=2`);
    expect(first.status).toBe(200);
    expect(first.body.items.map((v) => v.id)).toEqual(ids.slice(0, 2));
    expect(first.body.next).toEqual(expect.any(String));
    expect(first.body.nextUrl).toBe(`${path}?limit=2&before=${first.body.next}`);
    const second = await call<Page>('GET', first.body.nextUrl ?? '');
    expect(second.body.items.map((v) => v.id)).toEqual([ids[2]]);
    expect(second.body.next).toBeUndefined();
  });

  it("refuses another customer's cursor with 400 invalid_cursor", async () => {
    const ids = [1, 2].map((n) => newNotificationId(NOW.getTime() - n * 60_000));
    ids.forEach((id, n) => history.add('tenant-a', 'cust-1', id, NOW.getTime() - (n + 1) * 60_000));
    const { body } = await call<Page>('GET', `${path}?limit=1`);
    const res = await call('GET', `/v1/customers/cust-2/notifications?before=${body.next}`);
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'invalid_cursor', field: 'before' });
    const otherTenant = await call('GET', `${path}?before=${body.next}`, { key: KEY_B });
    expect(otherTenant.status).toBe(400);
  });

  it('answers 503 when the store of record fails', async () => {
    history.failure = new Error('store down');
    expect((await call('GET', path)).status).toBe(503);
  });
});

describe('customer preferences', () => {
  const path = '/v1/customers/cust-1/preferences';

  it('requires a time zone with quiet hours, and a real one', async () => {
    const noZone = await call('PUT', path, { body: { quietHours: { start: '22:00', end: '07:00' } } });
    expect(noZone.status).toBe(400);
    expect(noZone.body.error).toMatchObject({ code: 'validation_failed', field: 'timezone' });
    const badZone = await call('PUT', path, { body: { timezone: 'Mars/Olympus_Mons' } });
    expect(badZone.status).toBe(400);
    expect(badZone.body.error).toMatchObject({ code: 'validation_failed', field: 'timezone' });
    expect(preferences.values.size).toBe(0);
  });

  it('refuses an invalid customer id', async () => {
    const res = await call('PUT', `/v1/customers/${'c'.repeat(129)}/preferences`, { body: {} });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_customer_id');
  });

  it('stores, reads and deletes them, per tenant', async () => {
    const prefs = { timezone: 'Europe/Berlin', quietHours: { start: '22:00', end: '07:00' }, optedOut: ['sms'] };
    expect(await call('GET', path)).toMatchObject({ status: 200, body: {} });
    expect(await call('PUT', path, { body: prefs })).toMatchObject({ status: 200, body: prefs });
    expect(await call('GET', path)).toMatchObject({ status: 200, body: prefs });
    expect((await call('GET', path, { key: KEY_B })).body).toEqual({});
    expect((await call('DELETE', path)).status).toBe(204);
    expect((await call('GET', path)).body).toEqual({});
  });
});

describe('webhook endpoints', () => {
  it('refuses a URL on a loopback or private address', async () => {
    for (const url of ['http://127.0.0.1:9000/hook', 'https://internal.example.com/hook']) {
      const res = await call('POST', '/v1/webhooks', { body: { url } });
      expect(res.status).toBe(400);
      expect(res.body.error).toMatchObject({ code: 'webhook_url_not_allowed', field: 'url' });
    }
    expect(webhookEndpoints.endpoints.size).toBe(0);
  });

  it('registers an endpoint, shows its secret once, and deletes it', async () => {
    const created = await call<WebhookEndpoint>('POST', '/v1/webhooks', { body: { url: 'https://hooks.example.com/herald', statuses: ['delivered'] } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ url: 'https://hooks.example.com/herald', statuses: ['delivered'] });
    expect(created.body.secret).toMatch(/^whsec_/);
    expect(created.headers.get('location')).toBe(`/v1/webhooks/${created.body.id}`);

    const { secret: _secret, ...listed } = created.body;
    expect((await call('GET', '/v1/webhooks')).body).toEqual({ items: [listed] });
    expect((await call('GET', `/v1/webhooks/${created.body.id}`)).body).toEqual(listed);
    expect((await call('GET', '/v1/webhooks', { key: KEY_B })).body).toEqual({ items: [] });
    expect((await call('DELETE', `/v1/webhooks/${created.body.id}`, { key: KEY_B })).status).toBe(404);

    expect((await call('DELETE', `/v1/webhooks/${created.body.id}`)).status).toBe(204);
    expect((await call('GET', `/v1/webhooks/${created.body.id}`)).status).toBe(404);
  });

  it('answers 404 to deleting an unknown endpoint', async () => {
    const res = await call('DELETE', `/v1/webhooks/${newWebhookId()}`);
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('not_found');
  });
});

describe('authentication', () => {
  const id = newNotificationId(NOW.getTime());
  const routes = [
    ['POST', '/v1/notifications'],
    ['GET', `/v1/notifications/${id}`],
    ['POST', `/v1/notifications/${id}/cancel`],
    ['GET', '/v1/customers/cust-1/notifications'],
    ['GET', '/v1/customers/cust-1/preferences'],
    ['PUT', '/v1/customers/cust-1/preferences'],
    ['DELETE', '/v1/customers/cust-1/preferences'],
    ['GET', '/v1/customers/cust-1'],
    ['PUT', '/v1/customers/cust-1'],
    ['PATCH', '/v1/customers/cust-1'],
    ['DELETE', '/v1/customers/cust-1'],
    ['POST', '/v1/customers/cust-1/devices'],
    ['DELETE', '/v1/customers/cust-1/devices/AAAAAAAAAAAAAAAA'],
    ['GET', '/v1/erasures/ers_0123456789abcdefghjkmnpqrs'],
    ['POST', '/v1/webhooks'],
    ['GET', '/v1/webhooks'],
    ['GET', `/v1/webhooks/${newWebhookId()}`],
    ['DELETE', `/v1/webhooks/${newWebhookId()}`],
  ] as const;

  it.each(routes)('%s %s answers 401 without an API key, before reading the body', async (method, path) => {
    const withBody = method === 'POST' || method === 'PUT' || method === 'PATCH' ? { body: '{not json' } : {};
    for (const key of [null, 'not-a-known-key-0123456789']) {
      const res = await call(method, path, { key, ...withBody });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
      expect(res.body.error).toMatchObject({ code: 'unauthorized', field: 'Authorization' });
    }
    expect(sidecar.published).toEqual([]);
    expect(sidecar.actorCalls).toEqual([]);
    expect(harness.writes()).toBe(0);
  });

  it('leaves the health check and unknown routes open', async () => {
    expect(await call('GET', '/healthz', { key: null })).toMatchObject({ status: 200, body: { status: 'ok' } });
    expect(await call('GET', '/v1/nothing-here')).toMatchObject({ status: 404, body: { error: { code: 'route_not_found' } } });
  });
});
