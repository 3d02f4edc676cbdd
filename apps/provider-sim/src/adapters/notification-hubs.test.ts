import { performance } from 'node:perf_hooks';
// The SDK is the push channel's dependency, reached here through the workspace's shared
// node_modules: the last tests check the simulator against the real client, not a copy of its format.
import { createClientContext, sendNotification } from '@azure/notification-hubs/api';
import { createFcmV1Notification } from '@azure/notification-hubs/models';
import { createLogger } from '@herald/service';
import { createSimulator } from '../domain/simulator.js';
import { MAX_BATCH_DEVICES } from './notification-hubs.js';
import { startSimServer, type RunningSim } from './server.js';

const simulator = createSimulator();
let sim: RunningSim;
beforeAll(async () => {
  sim = await startSimServer({ simulator, log: createLogger('provider-sim', 'silent') }, 0, '127.0.0.1');
});
afterAll(() => sim.close());
beforeEach(() => simulator.reset());

const SAS = 'SharedAccessSignature sr=http%3A%2F%2F127.0.0.1%2F&sig=abc%3D&se=1900000000&skn=sim';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** What the SDK's sendNotification with a deviceHandle sends (trailing slash included). */
const directSend = (deviceHandle: string, headers: Record<string, string> = { Authorization: SAS }, path = '/herald/messages/') =>
  fetch(`${sim.url}${path}?api-version=2020-06&direct=true`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json;charset=utf-8',
      'ServiceBusNotification-Format': 'fcmv1',
      'ServiceBusNotification-DeviceHandle': deviceHandle,
      'x-ms-version': '2020-06',
      ...headers,
    },
    body: JSON.stringify({ message: { notification: { title: 'Hi', body: 'there' } } }),
    signal: AbortSignal.timeout(5_000),
  });

describe('Notification Hubs POST /:hub/messages?direct', () => {
  it('answers 201 with TrackingId, correlation id and a Location holding the notification id', async () => {
    const res = await directSend('fcm-token-1');
    expect(res.status).toBe(201);
    expect(await res.text()).toBe('');
    expect(res.headers.get('trackingid')).toMatch(UUID);
    expect(res.headers.get('x-ms-correlation-request-id')).toMatch(UUID);
    const location = new URL(res.headers.get('location') ?? '');
    expect(location.origin).toBe(`https://${new URL(sim.url).host}`);
    expect(location.searchParams.get('api-version')).toBe('2020-06');
    // The SDK takes the notification id from the 4th segment of the path.
    const [, hub, messages, id] = location.pathname.split('/');
    expect([hub, messages]).toEqual(['herald', 'messages']);
    expect(id).toMatch(/^[0-9a-f]{32}$/);
  });

  it('takes the path without the trailing slash too', async () => {
    expect((await directSend('fcm-token-1', { Authorization: SAS }, '/herald/messages')).status).toBe(201);
  });

  it('answers 401 with an XML error without a SharedAccessSignature', async () => {
    const res = await directSend('fcm-token-1', {});
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toMatch(/^application\/xml/);
    expect(await res.text()).toMatch(/^<Error><Code>401<\/Code><Detail>MissingToken: .*<\/Detail><\/Error>$/);
  });

  it('answers 410 for a device handle containing "invalid" (expired channel, permanent)', async () => {
    const res = await directSend('fcm-invalid-token');
    expect(res.status).toBe(410);
    expect(await res.text()).toMatch(/^<Error><Code>410<\/Code><Detail>The device handle has expired/);
    expect(simulator.stats().notificationhubs).toMatchObject({ received: 1, rejected4xx: 1 });
  });

  it('answers 403 QuotaExceeded with Retry-After for a device handle containing "quota"', async () => {
    const res = await directSend('fcm-quota-token');
    expect(res.status).toBe(403);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(await res.text()).toContain('<Detail>QuotaExceeded:');
  });

  it('answers 429 with Retry-After over the rate limit', async () => {
    simulator.configure({ notificationhubs: { ratePerSec: 1 } });
    try {
      expect((await directSend('fcm-token-1')).status).toBe(201);
      const res = await directSend('fcm-token-1');
      expect(res.status).toBe(429);
      expect(res.headers.get('retry-after')).toBe('1');
      expect(await res.text()).toMatch(/^<Error><Code>429<\/Code>/);
    } finally {
      simulator.configure({ notificationhubs: { ratePerSec: 0 } });
    }
  });
});

const BOUNDARY = 'nh-boundary-5b0d3f5e-3a43-4c4f-9d6b-1d2b3c4d5e6f';
const FCM_PAYLOAD = JSON.stringify({ message: { notification: { title: 'Hi', body: 'there' } } });

/** A direct batch send's body, part by part as the SDK writes it; a test leaves out or changes one. */
const batchBody = (devices: string, notification = true) =>
  (notification ? `--${BOUNDARY}\r\nContent-type: application/json;charset=utf-8\r\nContent-Disposition: inline; name=notification\r\n\r\n${FCM_PAYLOAD}\r\n` : '') +
  `--${BOUNDARY}\r\nContent-type: application/json\r\nContent-Disposition: inline; name=devices\r\n\r\n${devices}\r\n--${BOUNDARY}--`;

/** What the SDK's sendNotification with an array of device handles sends. */
const batchSend = (body: string, headers: Record<string, string> = {}, query = 'api-version=2020-06&direct=true') =>
  fetch(`${sim.url}/herald/messages/$batch?${query}`, {
    method: 'POST',
    headers: {
      Authorization: SAS,
      'Content-Type': `multipart/mixed; boundary = "${BOUNDARY}"`,
      'ServiceBusNotification-Format': 'fcmv1',
      'x-ms-version': '2020-06',
      ...headers,
    },
    body,
    signal: AbortSignal.timeout(5_000),
  });

const handles = (count: number, prefix = 'fcm-token-') => JSON.stringify(Array.from({ length: count }, (_, i) => `${prefix}${i}`));

describe('Notification Hubs POST /:hub/messages/$batch?direct', () => {
  it('answers 201 as a single send does, and counts one request reaching every device', async () => {
    const res = await batchSend(batchBody(handles(3)));
    expect(res.status).toBe(201);
    expect(await res.text()).toBe('');
    expect(res.headers.get('trackingid')).toMatch(UUID);
    expect(res.headers.get('x-ms-correlation-request-id')).toMatch(UUID);
    const location = new URL(res.headers.get('location') ?? '');
    expect(location.pathname).toMatch(/^\/herald\/messages\/[0-9a-f]{32}$/);
    expect(location.searchParams.get('api-version')).toBe('2020-06');
    expect(simulator.stats().notificationhubs).toMatchObject({ received: 1, accepted: 1, devices: 3 });
  });

  it(`takes ${MAX_BATCH_DEVICES} handles`, async () => {
    expect((await batchSend(batchBody(handles(MAX_BATCH_DEVICES)))).status).toBe(201);
    expect(simulator.stats().notificationhubs.devices).toBe(MAX_BATCH_DEVICES);
  });

  it.each([
    ['over the limit of handles', batchBody(handles(MAX_BATCH_DEVICES + 1)), `at most ${MAX_BATCH_DEVICES} device handles; this one has ${MAX_BATCH_DEVICES + 1}`],
    ['an empty devices array', batchBody('[]'), 'names no device handle'],
    ['devices that are not an array', batchBody('{"handle":"fcm-token-1"}'), 'must be a JSON array of device handles'],
    ['a handle that is not a string', batchBody('["fcm-token-1", 2]'), 'must be a JSON array of device handles'],
    ['a blank handle', batchBody('["fcm-token-1", ""]'), 'must be a JSON array of device handles'],
    ['devices that are not JSON', batchBody('fcm-token-1'), 'must be a JSON array of device handles'],
    ['no devices part', batchBody(handles(1)).replace('name=devices', 'name=handles'), 'has no devices part'],
    ['no notification part', batchBody(handles(1), false), 'has no notification part'],
    ['no closing delimiter', batchBody(handles(1)).slice(0, -2), 'malformed'],
    ['another boundary than the header says', batchBody(handles(1)).replaceAll(BOUNDARY, 'other'), 'malformed'],
  ])('answers 400 with an XML error for %s, and reaches no device', async (_case, body, detail) => {
    const res = await batchSend(body);
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(new RegExp(`^<Error><Code>400</Code><Detail>.*${detail}.*</Detail></Error>$`));
    expect(simulator.stats().notificationhubs).toMatchObject({ received: 1, rejected4xx: 1, devices: 0 });
  });

  it('answers 400 without a multipart Content-Type', async () => {
    const res = await batchSend(batchBody(handles(1)), { 'Content-Type': 'application/json' });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('multipart/mixed body with a boundary');
  });

  it('answers 400 to $batch without direct=true', async () => {
    const res = await batchSend(batchBody(handles(1)), {}, 'api-version=2020-06');
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('direct sends only');
  });

  it('answers 401 without a SharedAccessSignature, whatever the body', async () => {
    const res = await batchSend('not multipart', { Authorization: '' });
    expect(res.status).toBe(401);
  });

  it('answers 410 when every handle is "invalid", and reaches the others when only some are', async () => {
    const dead = await batchSend(batchBody('["fcm-invalid-1","fcm-invalid-2"]'));
    expect(dead.status).toBe(410);
    expect(await dead.text()).toContain('<Detail>Every device handle of the batch has expired');
    const mixed = await batchSend(batchBody('["fcm-invalid-1","fcm-token-2","fcm-token-3"]'));
    expect(mixed.status).toBe(201);
    expect(simulator.stats().notificationhubs).toMatchObject({ received: 2, accepted: 1, rejected4xx: 1, devices: 2 });
  });

  it('answers 403 QuotaExceeded with Retry-After when a live handle contains "quota"', async () => {
    const res = await batchSend(batchBody('["fcm-token-1","fcm-quota-2"]'));
    expect(res.status).toBe(403);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(await res.text()).toContain('<Detail>QuotaExceeded:');
    expect(simulator.stats().notificationhubs.devices).toBe(0);
  });

  it('answers a batch of one as the single send of that handle', async () => {
    for (const handle of ['fcm-token-1', 'fcm-invalid-1', 'fcm-quota-1', 'fcm-invalid-quota-1']) {
      const single = await directSend(handle);
      const batch = await batchSend(batchBody(JSON.stringify([handle])));
      expect([handle, batch.status]).toEqual([handle, single.status]);
    }
  });

  it('answers 503 during an outage, counting the batch as one failed request that reached no device', async () => {
    simulator.configure({ notificationhubs: { outage: true } });
    try {
      const res = await batchSend(batchBody(handles(5)));
      expect(res.status).toBe(503);
      expect(await res.text()).toMatch(/^<Error><Code>503<\/Code>/);
      expect(simulator.stats().notificationhubs).toMatchObject({ received: 1, failed5xx: 1, devices: 0 });
    } finally {
      simulator.configure({ notificationhubs: { outage: false } });
    }
  });

  it('fails a batch with 500 or 503 at errorRate 1, after the configured latency', async () => {
    simulator.configure({ notificationhubs: { errorRate: 1, latencyMs: 50 } });
    try {
      const started = performance.now();
      const res = await batchSend(batchBody(handles(2)));
      // Node's timers may fire up to a millisecond early against performance.now().
      expect(performance.now() - started).toBeGreaterThanOrEqual(49);
      expect([500, 503]).toContain(res.status);
      expect(simulator.stats().notificationhubs).toMatchObject({ received: 1, failed5xx: 1, devices: 0 });
    } finally {
      simulator.configure({ notificationhubs: { errorRate: 0, latencyMs: 0 } });
    }
  });

  it('counts a batch as one request against the rate limit, however many handles it names', async () => {
    simulator.configure({ notificationhubs: { ratePerSec: 2 } });
    try {
      expect((await batchSend(batchBody(handles(500)))).status).toBe(201);
      expect((await directSend('fcm-token-1')).status).toBe(201);
      const res = await batchSend(batchBody(handles(2)));
      expect(res.status).toBe(429);
      expect(res.headers.get('retry-after')).toBe('1');
      expect(simulator.stats().notificationhubs).toMatchObject({ received: 3, accepted: 2, rejected429: 1, devices: 501 });
    } finally {
      simulator.configure({ notificationhubs: { ratePerSec: 0 } });
    }
  });
});

describe('Notification Hubs batch direct send through @azure/notification-hubs', () => {
  const client = () =>
    // Endpoint `http://…` is used as it is; retries off so each call is one request.
    createClientContext(`Endpoint=${sim.url}/;SharedAccessKeyName=sim;SharedAccessKey=c2lt`, 'herald', { retryOptions: { maxRetries: 0 } });
  const notification = createFcmV1Notification({ body: FCM_PAYLOAD });
  const options = (deviceHandle: string[]) => ({ deviceHandle, requestOptions: { allowInsecureConnection: true } });

  it('sends to an array of handles as one accepted request, answered with the ids of a single send', async () => {
    const response = await sendNotification(client(), notification, options(['fcm-token-1', 'fcm-token-2', 'fcm-invalid-3']));
    expect(response.notificationId).toMatch(/^[0-9a-f]{32}$/);
    expect(response.trackingId).toMatch(UUID);
    expect(response.correlationId).toMatch(UUID);
    expect(simulator.stats().notificationhubs).toMatchObject({ received: 1, accepted: 1, devices: 2 });
  });

  it("surfaces the simulator's refusal as the SDK's RestError with its status and detail", async () => {
    await expect(sendNotification(client(), notification, options(['fcm-invalid-1', 'fcm-invalid-2']))).rejects.toMatchObject({
      statusCode: 410,
      message: expect.stringContaining('Every device handle of the batch has expired') as unknown,
    });
  });
});
