import nock from 'nock';
import { useNockOnly } from '../../../../test/support/nock-lifecycle.js';
import type { ChannelDispatch, DeliveryOutcome } from '@herald/contracts';
import { createNotificationHubsProvider, type NotificationHubsProviderOptions } from './notification-hubs-provider.js';

const NAMESPACE = 'https://herald-ns.servicebus.windows.net';
const HUB = 'herald-hub';
const PATH = `/${HUB}/messages/`;
const QUERY = { 'api-version': '2020-06', direct: 'true' };
const CONNECTION = 'Endpoint=sb://herald-ns.servicebus.windows.net/;SharedAccessKeyName=DefaultFullSharedAccessSignature;SharedAccessKey=dGVzdC1rZXk=';
const TOKEN = 'fcm-token_dQw4w9WgXcQ:APA91bHun4MxP5egoKMwt2KZFBaFUH-1RYqx_3b6lFgF0AQRvTkgkLo4c5Kp8-qkqO6-bKxXjO6RZ4b2PFGfY0mb0h1A2B3C';
const NOW = Date.parse('2026-11-25T12:00:00Z');
const TRACKING = '2b9d1c3e-7f4a-4c1b-9e0d-5a6b7c8d9e0f_G1';

const message = (overrides: Partial<ChannelDispatch> = {}): ChannelDispatch => ({
  schemaVersion: 1,
  notificationId: 'ntf_01jd0000000000000000000000',
  attempt: 1,
  channel: 'push',
  priority: 'critical',
  to: { deviceToken: TOKEN },
  content: { title: 'Sign-in', text: 'New sign-in from Firefox', data: { screen: 'security' } },
  ...overrides,
});

const provider = (extra: Partial<NotificationHubsProviderOptions> = {}) =>
  createNotificationHubsProvider({ connectionString: CONNECTION, hubName: HUB, now: () => NOW, ...extra });

/** Notification Hubs' XML error body. */
const nhError = (status: number, detail: string) => `<Error><Code>${status}</Code><Detail>${detail}</Detail></Error>`;

/**
 * nock 14 leaves a kept-alive request hanging unless the mocked reply has a Content-Length
 * (nock/nock#3001), so every reply goes through this.
 */
function reply(interceptor: nock.Interceptor, status: number, body = '', headers: Record<string, string> = {}): nock.Scope {
  const type = body ? { 'Content-Type': 'application/xml; charset=utf-8' } : {};
  return interceptor.reply(status, body, { ...type, 'Content-Length': String(Buffer.byteLength(body)), ...headers });
}

/** nock 14 forwards only Error instances; a plain `{ code }` leaves the request hanging until the client's timeout. */
const networkError = (code: string) => Object.assign(new Error(`${code} (simulated)`), { code });

/** The token must never reach a reason. */
function expectNoPii(outcome: DeliveryOutcome): void {
  const reason = 'reason' in outcome ? outcome.reason : '';
  expect(reason).not.toContain(TOKEN);
  expect(reason).not.toContain('APA91b');
}

const sendTo = (interceptor: nock.Interceptor) => interceptor.query(QUERY);

useNockOnly();

describe('Notification Hubs provider', () => {
  it('direct-sends the FCM v1 payload to the device handle, signed, and answers the notification id', async () => {
    let received: unknown;
    const scope = reply(
      sendTo(
        nock(NAMESPACE)
          .post(PATH, (body: unknown) => {
            received = body;
            return true;
          })
          .matchHeader('servicebusnotification-devicehandle', TOKEN)
          .matchHeader('servicebusnotification-format', 'fcmv1')
          .matchHeader('content-type', 'application/json;charset=utf-8')
          .matchHeader('x-ms-version', '2020-06')
          .matchHeader('authorization', /^SharedAccessSignature sr=https%3A%2F%2Fherald-ns\.servicebus\.windows\.net%2F&sig=.+&se=\d+&skn=DefaultFullSharedAccessSignature$/),
      ),
      201,
      '',
      { TrackingId: TRACKING, 'x-ms-correlation-request-id': 'corr-1', Location: `${NAMESPACE}/${HUB}/messages/5817349081234?api-version=2020-06` },
    );

    const outcome = await provider().send(message());

    expect(outcome).toEqual({ kind: 'sent', provider: 'notificationhubs', providerMessageId: '5817349081234' });
    expect(received).toEqual({
      message: {
        notification: { title: 'Sign-in', body: 'New sign-in from Firefox' },
        data: { screen: 'security' },
        android: { priority: 'high' },
      },
    });
    expect(scope.isDone()).toBe(true);
  });

  it('answers the TrackingId when there is no notification id (Free and Basic tiers have no Location)', async () => {
    reply(sendTo(nock(NAMESPACE).post(PATH)), 201, '', { TrackingId: TRACKING });
    await expect(provider().send(message())).resolves.toEqual({ kind: 'sent', provider: 'notificationhubs', providerMessageId: TRACKING });
  });

  it('sends the APNs payload and headers for the apple platform', async () => {
    let received: unknown;
    reply(
      sendTo(
        nock(NAMESPACE)
          .post(PATH, (body: unknown) => {
            received = body;
            return true;
          })
          .matchHeader('servicebusnotification-devicehandle', TOKEN)
          .matchHeader('servicebusnotification-format', 'apple')
          .matchHeader('apns-push-type', 'alert')
          .matchHeader('apns-priority', '5'),
      ),
      201,
      '',
      { TrackingId: TRACKING },
    );

    await expect(provider({ platform: 'apple' }).send(message({ priority: 'bulk' }))).resolves.toMatchObject({ kind: 'sent' });
    expect(received).toEqual({ aps: { alert: { title: 'Sign-in', body: 'New sign-in from Firefox' } }, screen: 'security' });
  });

  it('reaches a plain-HTTP simulator through an http:// Endpoint', async () => {
    const scope = reply(sendTo(nock('http://127.0.0.1:4030').post(PATH)), 201, '', { TrackingId: 'sim-1' });
    const simulated = provider({ connectionString: 'Endpoint=http://127.0.0.1:4030/;SharedAccessKeyName=sim;SharedAccessKey=c2lt' });
    await expect(simulated.send(message())).resolves.toMatchObject({ kind: 'sent', providerMessageId: 'sim-1' });
    expect(scope.isDone()).toBe(true);
  });

  it('turns an sb:// Endpoint into https:// on the same port (the SDK forces TLS for sb://)', async () => {
    const scope = reply(sendTo(nock('https://127.0.0.1:4030').post(PATH)), 201, '', { TrackingId: 'tls-1' });
    const simulated = provider({ connectionString: 'Endpoint=sb://127.0.0.1:4030/;SharedAccessKeyName=sim;SharedAccessKey=c2lt' });
    await expect(simulated.send(message())).resolves.toMatchObject({ kind: 'sent', providerMessageId: 'tls-1' });
    expect(scope.isDone()).toBe(true);
  });

  it('answers transient with the wait asked for, on every 429 and quota 403 of a storm', async () => {
    const throttled = nhError(429, `The request was throttled. TrackingId:${TRACKING},TimeStamp:11/25/2026 12:00:00`);
    const quota = nhError(403, `The number of notifications sent has exceeded the quota for this tier. TrackingId:${TRACKING},TimeStamp:11/25/2026 12:00:00`);
    reply(sendTo(nock(NAMESPACE).post(PATH)), 429, throttled, { 'Retry-After': '2' });
    reply(sendTo(nock(NAMESPACE).post(PATH)), 429, throttled, { 'Retry-After': new Date(NOW + 11_000).toUTCString() });
    reply(sendTo(nock(NAMESPACE).post(PATH)), 429, throttled, { 'x-ms-retry-after-ms': '1500' });
    reply(sendTo(nock(NAMESPACE).post(PATH)), 403, quota, { 'Retry-After': '60' });
    reply(sendTo(nock(NAMESPACE).post(PATH)), 429, throttled);
    const push = provider();

    const outcomes = [];
    for (let i = 0; i < 5; i++) outcomes.push(await push.send(message()));

    const throttledReason = `notificationhubs HTTP 429: The request was throttled. TrackingId:${TRACKING},TimeStamp:11/25/2026 12:00:00`;
    expect(outcomes).toEqual([
      { kind: 'transient', provider: 'notificationhubs', reason: throttledReason, retryAfterMs: 2_000 },
      { kind: 'transient', provider: 'notificationhubs', reason: throttledReason, retryAfterMs: 11_000 },
      { kind: 'transient', provider: 'notificationhubs', reason: throttledReason, retryAfterMs: 1_500 },
      {
        kind: 'transient',
        provider: 'notificationhubs',
        reason: `notificationhubs HTTP 403: The number of notifications sent has exceeded the quota for this tier. TrackingId:${TRACKING},TimeStamp:11/25/2026 12:00:00`,
        retryAfterMs: 60_000,
      },
      { kind: 'transient', provider: 'notificationhubs', reason: throttledReason },
    ]);
  });

  it.each([500, 503])('answers transient for HTTP %i', async (status) => {
    reply(sendTo(nock(NAMESPACE).post(PATH)), status, nhError(status, `The server was unable to process the request. TrackingId:${TRACKING}`));
    await expect(provider().send(message())).resolves.toEqual({
      kind: 'transient',
      provider: 'notificationhubs',
      reason: `notificationhubs HTTP ${status}: The server was unable to process the request. TrackingId:${TRACKING}`,
    });
  });

  it('answers transient when the answer comes after timeoutMs', async () => {
    reply(sendTo(nock(NAMESPACE).post(PATH)).delay(2_000), 201, '', { TrackingId: TRACKING });
    await expect(provider({ timeoutMs: 50 }).send(message())).resolves.toEqual({
      kind: 'transient',
      provider: 'notificationhubs',
      reason: 'notificationhubs timed out after 50 ms',
    });
  });

  it.each(['ECONNRESET', 'ECONNREFUSED', 'ENOTFOUND'])('answers transient naming %s when no answer comes', async (code) => {
    sendTo(nock(NAMESPACE).post(PATH)).replyWithError(networkError(code));
    await expect(provider().send(message())).resolves.toEqual({ kind: 'transient', provider: 'notificationhubs', reason: `notificationhubs network error: ${code}` });
  });

  it.each([
    [404, `The device handle ${TOKEN} is unknown. TrackingId:${TRACKING}`, `notificationhubs HTTP 404: The device handle <token> is unknown. TrackingId:${TRACKING}`],
    [410, `The device handle has expired: ${TOKEN.split(':')[1]!}. TrackingId:${TRACKING}`, `notificationhubs HTTP 410: The device handle has expired: <token>. TrackingId:${TRACKING}`],
    [400, `The notification payload is invalid. TrackingId:${TRACKING}`, `notificationhubs HTTP 400: The notification payload is invalid. TrackingId:${TRACKING}`],
    [413, 'Request Entity Too Large. The message size cannot be over 64 Kb.', 'notificationhubs HTTP 413: Request Entity Too Large. The message size cannot be over 64 Kb.'],
    [403, `The message was rejected because its size exceeded the maximum allowed. TrackingId:${TRACKING}`, `notificationhubs HTTP 403: The message was rejected because its size exceeded the maximum allowed. TrackingId:${TRACKING}`],
  ])('answers permanent for HTTP %i, without the token', async (status, detail, reason) => {
    reply(sendTo(nock(NAMESPACE).post(PATH)), status, nhError(status, detail));
    const outcome = await provider().send(message());
    expect(outcome).toEqual({ kind: 'permanent', provider: 'notificationhubs', reason });
    expectNoPii(outcome);
  });

  it('answers transient for HTTP 401: a configuration error must not end notifications', async () => {
    reply(sendTo(nock(NAMESPACE).post(PATH)), 401, nhError(401, `ExpiredToken: . TrackingId:${TRACKING}`));
    await expect(provider().send(message())).resolves.toEqual({
      kind: 'transient',
      provider: 'notificationhubs',
      reason: `provider rejected credentials (HTTP 401): ExpiredToken: . TrackingId:${TRACKING}`,
    });
  });

  it('answers permanent without calling Notification Hubs for a dispatch without a device token', async () => {
    await expect(provider().send(message({ to: {} }))).resolves.toMatchObject({ kind: 'permanent' });
  });
});
