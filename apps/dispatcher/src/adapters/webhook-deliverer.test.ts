import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import type { NotificationStatus, StatusEvent, WebhookRegistration } from '@herald/contracts';
import { createDataKeys, createRedis, createWebhookEndpointStore, parseKeyRing, redisKeys, seal, type DataKeys } from '@herald/stores';
import { useTestStateStore } from '../../../../test/support/test-state.js';
import { verifyWebhookSignature, WEBHOOK_SIGNATURE_HEADER } from '@herald/webhooks';
import { pino } from 'pino';
import { createWebhookDeliverer, type WebhookDeliverer, type WebhookDelivererDeps } from './webhook-deliverer.js';

// Against the real Redis of the local stack (a key namespace of its own, removed afterwards),
// the real store of record for the endpoints (a daprd and a database of the file's own), and a
// real HTTP receiver on 127.0.0.1.

const prefix = `test-${randomUUID()}:`;
const keys = redisKeys(prefix);
const redis = await createRedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
const { sidecar } = await useTestStateStore();
const store = createWebhookEndpointStore(sidecar);
// The customers' data keys in the test store's own `datakeys`, wrapped under a key ring of this file's.
const ring = parseKeyRing('KEY_ENCRYPTION_KEYS', JSON.stringify({ primary: 'k1', keys: { k1: randomBytes(32).toString('base64') } }));
const dataKeys = createDataKeys({ state: sidecar, ring });
const T0 = Date.parse('2026-11-25T10:00:00.000Z');

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A webhook receiver that answers each request with the next status of `statuses` (the last one repeats). */
async function startReceiver(...statuses: number[]) {
  const requests: Received[] = [];
  let connections = 0;
  const server: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      requests.push({ path: req.url ?? '', headers: req.headers, body });
      res.statusCode = statuses[Math.min(requests.length, statuses.length) - 1] ?? 200;
      res.end();
    });
  });
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const receiver = {
    requests,
    connections: () => connections,
    url: (path: string, host = '127.0.0.1') => `http://${host}:${port}${path}`,
    close: () => closeServer(server),
  };
  cleanups.push(receiver.close);
  return receiver;
}

/** An HTTP server on a free port of 127.0.0.1, closed after the test; resolves its base URL. */
async function listen(handler: Parameters<typeof createServer>[1]): Promise<string> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => closeServer(server));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** The last delivery an endpoint never accepted, from its dead list. */
async function lastDead(endpointId: string): Promise<unknown> {
  const [dead] = await redis.lRange(keys.webhookDead(endpointId), 0, -1);
  return dead === undefined ? undefined : JSON.parse(dead);
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise<void>((resolve) => server.close(() => resolve()));
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
afterAll(async () => {
  for await (const found of redis.scanIterator({ MATCH: `${prefix}*`, COUNT: 1000 })) if (found.length > 0) await redis.del(found);
  await redis.close();
});

/** A deliverer on a clock the test moves, with its log lines kept. */
function deliverer(overrides: Partial<WebhookDelivererDeps> = {}) {
  const clock = { now: T0 };
  const logs: string[] = [];
  const log = pino(
    { level: 'info' },
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        logs.push(chunk.toString());
        done();
      },
    }),
  );
  const d = createWebhookDeliverer({
    redis,
    keys,
    endpoints: store,
    dataKeys,
    log,
    allowPrivate: true,
    now: () => clock.now,
    random: () => 0.5,
    endpointCacheMs: 0,
    policy: { baseDelayMs: 1_000, maxDelayMs: 60_000, maxAttempts: 10, timeoutMs: 2_000 },
    ...overrides,
  });
  cleanups.push(() => d.stop());
  return { d, clock, logs };
}

let seq = 0;
function event(tenantId: string, status: NotificationStatus = 'delivered'): StatusEvent {
  seq++;
  return {
    schemaVersion: 1,
    id: `ntf_${String(seq).padStart(26, '0')}.${seq}`,
    type: 'notification.status',
    tenantId,
    notificationId: `ntf_${String(seq).padStart(26, '0')}`,
    customerId: 'c-1',
    status,
    at: new Date(T0).toISOString(),
    channel: 'email',
  };
}

const tenant = () => `t-${randomUUID()}`;
const register = (tenantId: string, registration: WebhookRegistration) => store.create(tenantId, registration);
const pending = async () => ({ due: await redis.zCard(keys.webhookDue()), stored: await redis.hLen(keys.webhookDeliveries()) });

/** Drains until `done()` holds, moving the clock by `stepMs` between rounds; fails at the deadline. */
async function drainUntil(d: WebhookDeliverer, clock: { now: number }, done: () => boolean | Promise<boolean>, stepMs = 0, deadlineMs = 5_000) {
  const deadline = Date.now() + deadlineMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error('condition not met before the deadline');
    await d.drainOnce();
    clock.now += stepMs;
  }
}

async function waitFor(done: () => boolean, deadlineMs = 5_000) {
  const deadline = Date.now() + deadlineMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error('condition not met before the deadline');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('webhook deliverer', () => {
  it('POSTs the event, signed, with its id and user agent, then forgets it', async () => {
    const receiver = await startReceiver(204);
    const { d, clock } = deliverer();
    const t = tenant();
    const endpoint = await register(t, { url: receiver.url('/hooks/herald?token=abc') });
    const e = event(t);
    await d.enqueue(e);
    await expect(d.drainOnce()).resolves.toBe(1);

    expect(receiver.requests).toHaveLength(1);
    const [got] = receiver.requests;
    expect(got!.path).toBe('/hooks/herald?token=abc');
    expect(JSON.parse(got!.body)).toEqual(e);
    expect(got!.headers).toMatchObject({ 'content-type': 'application/json', 'herald-event-id': e.id, 'user-agent': 'Herald-Webhooks/1' });
    const signature = got!.headers[WEBHOOK_SIGNATURE_HEADER] as string;
    expect(verifyWebhookSignature(endpoint.secret, got!.body, signature, { nowSec: Math.floor(clock.now / 1000) })).toBe(true);
    expect(verifyWebhookSignature('whsec_someone_else_someone_else_xx', got!.body, signature, { nowSec: Math.floor(clock.now / 1000) })).toBe(false);
    await expect(d.drainOnce()).resolves.toBe(0);
    await expect(pending()).resolves.toEqual({ due: 0, stored: 0 });
  });

  it('sends each endpoint only the statuses it asked for, and an event enqueued twice once', async () => {
    const receiver = await startReceiver(200);
    const { d, clock } = deliverer();
    const t = tenant();
    await register(t, { url: receiver.url('/all') });
    await register(t, { url: receiver.url('/delivered'), statuses: ['delivered', 'bounced'] });
    await register(t, { url: receiver.url('/failed'), statuses: ['failed'] });
    const delivered = event(t, 'delivered');
    await d.enqueue(delivered);
    await d.enqueue(delivered);
    await d.enqueue(event(t, 'sent'));
    await drainUntil(d, clock, async () => (await pending()).due === 0);

    const byPath = (path: string) => receiver.requests.filter((r) => r.path === path).map((r) => (JSON.parse(r.body) as StatusEvent).status);
    expect(byPath('/all').sort()).toEqual(['delivered', 'sent']);
    expect(byPath('/delivered')).toEqual(['delivered']);
    expect(byPath('/failed')).toEqual([]);
  });

  it('writes nothing for a tenant without endpoints, and reads its (empty) list once per cache period', async () => {
    const commands: string[] = [];
    const recording = new Proxy(redis, {
      get(target, prop) {
        const value: unknown = Reflect.get(target, prop);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          commands.push(String(prop));
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
    let lists = 0;
    const counting = { list: (tenantId: string) => (lists++, store.list(tenantId)) };
    const { d } = deliverer({ redis: recording, endpoints: counting, endpointCacheMs: 5_000 });
    const t = tenant();
    await d.enqueue(event(t));
    await d.enqueue(event(t, 'failed'));
    expect(commands).toEqual([]);
    expect(lists).toBe(1);
  });

  it('retries a failing endpoint after its backoff, holds its new events until then, and resets it on success', async () => {
    const receiver = await startReceiver(500, 200);
    const { d, clock } = deliverer();
    const t = tenant();
    const endpoint = await register(t, { url: receiver.url('/flaky') });
    const first = event(t);
    await d.enqueue(first);
    await expect(d.drainOnce()).resolves.toBe(1);
    expect(receiver.requests).toHaveLength(1);

    // Full jitter with random 0.5 after the first failure: half of baseDelayMs.
    await expect(redis.hGetAll(keys.webhookHealth(endpoint.id))).resolves.toEqual({ failures: '1', nextAt: String(T0 + 500) });
    await expect(d.drainOnce()).resolves.toBe(0);
    const second = event(t);
    await d.enqueue(second);
    await expect(redis.zScore(keys.webhookDue(), `${endpoint.id}:${second.id}`)).resolves.toBe(T0 + 500);
    clock.now += 499;
    await expect(d.drainOnce()).resolves.toBe(0);
    expect(receiver.requests).toHaveLength(1);

    clock.now += 1;
    await expect(d.drainOnce()).resolves.toBe(2);
    expect(receiver.requests.map((r) => r.headers['herald-event-id'])).toEqual([first.id, first.id, second.id]);
    await expect(redis.exists(keys.webhookHealth(endpoint.id))).resolves.toBe(0);
    await expect(pending()).resolves.toEqual({ due: 0, stored: 0 });
    await expect(redis.lLen(keys.webhookDead(endpoint.id))).resolves.toBe(0);
  });

  it('probes a failing endpoint with one request per batch, not one per pending event', async () => {
    const receiver = await startReceiver(500);
    const { d, clock } = deliverer();
    const t = tenant();
    const endpoint = await register(t, { url: receiver.url('/down') });
    const events = [event(t), event(t), event(t)];
    for (const e of events) await d.enqueue(e);
    await expect(d.drainOnce()).resolves.toBe(3);

    expect(receiver.requests).toHaveLength(1);
    await expect(redis.hGet(keys.webhookHealth(endpoint.id), 'failures')).resolves.toBe('1');
    const stored = await redis.hmGet(keys.webhookDeliveries(), events.map((e) => `${endpoint.id}:${e.id}`));
    expect(stored.map((json) => (JSON.parse(json!) as { attempt: number }).attempt)).toEqual([2, 1, 1]);
    const scores = await Promise.all(events.map((e) => redis.zScore(keys.webhookDue(), `${endpoint.id}:${e.id}`)));
    expect(scores).toEqual([T0 + 500, T0 + 500, T0 + 500]);
    await expect(d.drainOnce()).resolves.toBe(0);
    await store.remove(t, endpoint.id);
    clock.now = T0 + 500;
    await expect(d.drainOnce()).resolves.toBe(3);
    expect(receiver.requests).toHaveLength(1);
    await expect(pending()).resolves.toEqual({ due: 0, stored: 0 });
  });

  it('gives up after maxAttempts into the endpoint’s dead list, logging neither the URL query nor the secret', async () => {
    const receiver = await startReceiver(503);
    const { d, clock, logs } = deliverer({ policy: { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 100 } });
    const t = tenant();
    const endpoint = await register(t, { url: receiver.url('/down?token=topsecret') });
    const e = event(t);
    await d.enqueue(e);
    await drainUntil(d, clock, async () => (await redis.lLen(keys.webhookDead(endpoint.id))) === 1, 100);

    expect(receiver.requests).toHaveLength(3);
    await expect(pending()).resolves.toEqual({ due: 0, stored: 0 });
    const [dead] = await redis.lRange(keys.webhookDead(endpoint.id), 0, -1);
    expect(JSON.parse(dead!)).toMatchObject({ tenantId: t, endpointId: endpoint.id, attempt: 3, lastError: 'HTTP 503', event: e });
    const warning = logs.find((line) => line.includes('given up'));
    expect(JSON.parse(warning!)).toMatchObject({ level: 40, tenantId: t, endpointId: endpoint.id, eventId: e.id, attempts: 3, reason: 'HTTP 503' });
    for (const line of logs) expect(line).not.toMatch(/topsecret|whsec_|\/down/);
  });

  it('keeps only the last 1000 dead deliveries of an endpoint', async () => {
    const receiver = await startReceiver(500);
    const { d } = deliverer({ policy: { maxAttempts: 1 } });
    const t = tenant();
    const endpoint = await register(t, { url: receiver.url('/x') });
    await redis.rPush(keys.webhookDead(endpoint.id), Array.from({ length: 1000 }, (_, i) => `old-${i}`));
    await d.enqueue(event(t));
    await expect(d.drainOnce()).resolves.toBe(1);
    await expect(redis.lLen(keys.webhookDead(endpoint.id))).resolves.toBe(1000);
    await expect(redis.lIndex(keys.webhookDead(endpoint.id), -1)).resolves.toBe('old-998');
  });

  it.each([
    ['an IP literal', '127.0.0.1'],
    ['a name that resolves to one', 'localhost'],
  ])('refuses to deliver to a private address (%s) unless allowed, without connecting', async (_name, host) => {
    const receiver = await startReceiver(200);
    const { d, clock } = deliverer({ allowPrivate: false, policy: { maxAttempts: 2, baseDelayMs: 10, maxDelayMs: 10 } });
    const t = tenant();
    const endpoint = await register(t, { url: receiver.url('/internal', host) });
    await d.enqueue(event(t));
    await drainUntil(d, clock, async () => (await redis.lLen(keys.webhookDead(endpoint.id))) === 1, 10);

    const [dead] = await redis.lRange(keys.webhookDead(endpoint.id), 0, -1);
    expect(JSON.parse(dead!)).toMatchObject({ attempt: 2, lastError: 'ERR_NON_PUBLIC_ADDRESS' });
    expect(receiver.requests).toHaveLength(0);
    expect(receiver.connections()).toBe(0);
  });

  it('counts a timeout as a failure', async () => {
    const base = await listen(() => undefined); // never answers
    const { d } = deliverer({ policy: { maxAttempts: 1, timeoutMs: 100 } });
    const t = tenant();
    const endpoint = await register(t, { url: `${base}/slow` });
    await d.enqueue(event(t));
    await expect(d.drainOnce()).resolves.toBe(1);
    expect(await lastDead(endpoint.id)).toMatchObject({ lastError: 'timeout' });
  });

  it('keeps a hanging endpoint to itself: another tenant’s deliveries go out meanwhile, and the hanging one gets one request at a time', async () => {
    let hung = 0;
    const hanging = await listen(() => void hung++); // takes the request, never answers
    const receiver = await startReceiver(200);
    const { d } = deliverer({ pollIntervalMs: 10, concurrency: 2, policy: { timeoutMs: 2_000, maxAttempts: 10, baseDelayMs: 1_000, maxDelayMs: 60_000 } });
    const slow = tenant();
    const fast = tenant();
    await register(slow, { url: `${hanging}/hang` });
    await register(fast, { url: receiver.url('/fast') });
    d.start();
    await d.enqueue(event(slow));
    await waitFor(() => hung === 1);
    // More for the hanging endpoint, and the other tenant's, while its first request hangs.
    for (let i = 0; i < 4; i++) await d.enqueue(event(slow));
    for (let i = 0; i < 3; i++) await d.enqueue(event(fast));
    await waitFor(() => receiver.requests.length === 3, 1_500);
    expect(hung).toBe(1);
    await d.stop();
    await redis.del([keys.webhookDue(), keys.webhookDeliveries()]); // the hanging endpoint's, left for no one
  });

  it('never follows a redirect (to a private address or anywhere): the answer counts as a failure of the endpoint', async () => {
    let followed = 0;
    const target = await listen((_req, res) => void (followed++, res.end()));
    const redirecting = await listen((_req, res) => {
      res.writeHead(307, { location: `${target}/internal` });
      res.end('x'.repeat(1_000_000)); // and a body nobody asked for
    });
    const { d } = deliverer({ policy: { maxAttempts: 1 } });
    const t = tenant();
    const endpoint = await register(t, { url: `${redirecting}/hook` });
    await d.enqueue(event(t));
    await expect(d.drainOnce()).resolves.toBe(1);
    expect(await lastDead(endpoint.id)).toMatchObject({ lastError: 'HTTP 307' });
    expect(followed).toBe(0);
  });

  it('drops the deliveries of an endpoint removed since they were enqueued', async () => {
    const receiver = await startReceiver(200);
    const { d } = deliverer();
    const t = tenant();
    const endpoint = await register(t, { url: receiver.url('/gone') });
    await d.enqueue(event(t));
    await store.remove(t, endpoint.id);
    await expect(d.drainOnce()).resolves.toBe(1);
    expect(receiver.requests).toHaveLength(0);
    await expect(pending()).resolves.toEqual({ due: 0, stored: 0 });
  });

  it('hands a claim whose claimer went silent to another replica once the lease ends', async () => {
    let release: (() => void) | undefined;
    const requests: string[] = [];
    const server = createServer((req, res) => {
      requests.push(req.headers['herald-event-id'] as string);
      if (requests.length === 1) release = () => res.end();
      else res.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => closeServer(server));
    const a = deliverer({ leaseMs: 60_000 });
    const b = deliverer({ leaseMs: 60_000 });
    const t = tenant();
    await register(t, { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/slow` });
    const e = event(t);
    await a.d.enqueue(e);
    const stuck = a.d.drainOnce();
    await waitFor(() => release !== undefined);

    b.clock.now = T0 + 59_999;
    await expect(b.d.drainOnce()).resolves.toBe(0);
    b.clock.now = T0 + 60_000;
    await expect(b.d.drainOnce()).resolves.toBe(1);
    expect(requests).toEqual([e.id, e.id]);
    release!();
    await expect(stuck).resolves.toBe(1);
    await expect(pending()).resolves.toEqual({ due: 0, stored: 0 });
  });

  it('backs off while its Redis is out, says so once, and says when sweeps work again', async () => {
    let down = true;
    let sweeps = 0;
    const flaky = new Proxy(redis, {
      get(target, prop) {
        const value: unknown = Reflect.get(target, prop);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          if (prop === 'zCount') sweeps++;
          if (down) return Promise.reject(new Error('The client is offline'));
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
    const { d, logs } = deliverer({ redis: flaky, pollIntervalMs: 10 });
    d.start();
    await waitFor(() => sweeps >= 4);
    // 10, 20, 40, 80 … ms apart: a handful of sweeps in this time, where polling would make dozens.
    await new Promise((r) => setTimeout(r, 300));
    expect(sweeps).toBeLessThan(10);
    expect(logs.filter((l) => l.includes('webhook sweep failed'))).toHaveLength(1);
    down = false;
    await waitFor(() => logs.some((l) => l.includes('webhook sweeps work again')));
    await d.stop();
  });

  it('delivers in the background between start and stop', async () => {
    const receiver = await startReceiver(200);
    const { d } = deliverer({ pollIntervalMs: 10 });
    const t = tenant();
    await register(t, { url: receiver.url('/bg') });
    d.start();
    d.start();
    await d.enqueue(event(t));
    await waitFor(() => receiver.requests.length === 1);
    await d.stop();
    await d.enqueue(event(t));
    await expect(pending()).resolves.toEqual({ due: 1, stored: 1 });
    await expect(d.drainOnce()).resolves.toBe(1);
    await expect(pending()).resolves.toEqual({ due: 0, stored: 0 });
  });

  describe('metadata', () => {
    /** An event whose metadata intake sealed under the customer's data key, as the actor queues it. */
    async function sealedEvent(tenantId: string, customerId: string) {
      const key = await dataKeys.forSealing(tenantId, customerId);
      const ctx = { tenantId, customerId };
      return { ...event(tenantId), customerId, metadata: { orderId: seal(key, ctx, 'order-42'), plan: seal(key, ctx, 'gold') } };
    }
    const posted = (receiver: { requests: Received[] }) => receiver.requests.map((r) => JSON.parse(r.body) as StatusEvent);

    it('queues it sealed and POSTs it opened, signed as sent', async () => {
      const receiver = await startReceiver(204);
      const { d, clock } = deliverer();
      const t = tenant();
      const endpoint = await register(t, { url: receiver.url('/meta') });
      const e = await sealedEvent(t, `c-${randomUUID()}`);
      await d.enqueue(e);
      const [queued] = await redis.hVals(keys.webhookDeliveries());
      expect(queued).toContain(e.metadata.orderId);
      expect(queued).not.toMatch(/order-42|gold/);

      await expect(d.drainOnce()).resolves.toBe(1);
      expect(posted(receiver)).toEqual([{ ...e, metadata: { orderId: 'order-42', plan: 'gold' } }]);
      const [got] = receiver.requests;
      expect(verifyWebhookSignature(endpoint.secret, got!.body, got!.headers[WEBHOOK_SIGNATURE_HEADER] as string, { nowSec: Math.floor(clock.now / 1000) })).toBe(true);
    });

    it("POSTs the event without metadata once the customer's key is destroyed, and when a value does not open", async () => {
      const receiver = await startReceiver(200);
      const { d, clock } = deliverer();
      const t = tenant();
      await register(t, { url: receiver.url('/erased') });
      const erased = await sealedEvent(t, `c-${randomUUID()}`);
      await dataKeys.destroy(t, erased.customerId);
      // One value altered in the queue: it fails authentication, and none of the metadata goes.
      const intact = await sealedEvent(t, `c-${randomUUID()}`);
      const tampered = { ...intact, metadata: { ...intact.metadata, plan: `${intact.metadata.plan.slice(0, -4)}AAAA` } };
      await d.enqueue(erased);
      await d.enqueue(tampered);
      await drainUntil(d, clock, () => receiver.requests.length === 2);
      const byId = new Map(posted(receiver).map((p) => [p.id, p]));
      const { metadata: _m1, ...erasedWithout } = erased;
      const { metadata: _m2, ...tamperedWithout } = tampered;
      expect(byId.get(erased.id)).toEqual(erasedWithout);
      expect(byId.get(tampered.id)).toEqual(tamperedWithout);
      await expect(pending()).resolves.toEqual({ due: 0, stored: 0 });
    });

    it('holds the delivery, without counting it against the endpoint, while the key cannot be read', async () => {
      const receiver = await startReceiver(200);
      let storeDown = true;
      const flakyKeys: Pick<DataKeys, 'forOpening'> = {
        forOpening: (...args) => (storeDown ? Promise.reject(new Error('state get: connection refused')) : dataKeys.forOpening(...args)),
      };
      const { d, clock, logs } = deliverer({ dataKeys: flakyKeys });
      const t = tenant();
      const endpoint = await register(t, { url: receiver.url('/later') });
      const e = await sealedEvent(t, `c-${randomUUID()}`);
      await d.enqueue(e);
      await expect(d.drainOnce()).resolves.toBe(1);
      expect(receiver.requests).toHaveLength(0);
      await expect(redis.zScore(keys.webhookDue(), `${endpoint.id}:${e.id}`)).resolves.toBe(T0 + 5_000);
      await expect(redis.exists(keys.webhookHealth(endpoint.id))).resolves.toBe(0);
      expect(logs.some((l) => l.includes('data key unreadable'))).toBe(true);
      for (const line of logs) expect(line).not.toMatch(/order-42|gold/);

      storeDown = false;
      clock.now = T0 + 5_000;
      await expect(d.drainOnce()).resolves.toBe(1);
      expect(posted(receiver)).toEqual([{ ...e, metadata: { orderId: 'order-42', plan: 'gold' } }]);
    });
  });
});
