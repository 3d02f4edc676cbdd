import { createLogger } from '@herald/service';
import { createSimulator } from '../domain/simulator.js';
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
