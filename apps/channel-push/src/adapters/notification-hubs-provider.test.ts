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
  schemaVersion: 2,
  notificationId: 'ntf_01jd0000000000000000000000',
  tenantId: 'acme',
  customerId: 'cus_1',
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

  describe('to a profile\'s devices', () => {
    const APNS = 'a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90';
    const APNS_2 = 'f0e1d2c3b4a5968778695a4b3c2d1e0ff0e1d2c3b4a5968778695a4b3c2d1e0f';
    const FCM_2 = 'fcm-token_second:APA91bSecondDeviceTokenXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX';
    const BATCH = `/${HUB}/messages/$batch`;
    const toDevices = (...devices: Array<[platform: 'apns' | 'fcmv1', token: string]>): ChannelDispatch['to'] => ({
      devices: devices.map(([platform, token]) => ({ platform, token })),
    });
    const created = (id: string) => ({ TrackingId: `${id}-tracking`, Location: `${NAMESPACE}/${HUB}/messages/${id}?api-version=2020-06` });

    it('sends each platform its own native payload, one call per platform, and answers both ids', async () => {
      const bodies: Record<string, unknown> = {};
      const apple = reply(
        sendTo(
          nock(NAMESPACE)
            .post(PATH, (body: unknown) => ((bodies.apple = body), true))
            .matchHeader('servicebusnotification-format', 'apple')
            .matchHeader('servicebusnotification-devicehandle', APNS)
            .matchHeader('apns-push-type', 'alert')
            .matchHeader('apns-priority', '10'),
        ),
        201,
        '',
        created('apns-1'),
      );
      const fcm = reply(
        sendTo(
          nock(NAMESPACE)
            .post(PATH, (body: unknown) => ((bodies.fcm = body), true))
            .matchHeader('servicebusnotification-format', 'fcmv1')
            .matchHeader('servicebusnotification-devicehandle', TOKEN),
        ),
        201,
        '',
        created('fcm-1'),
      );

      // The configured platform (apple here) is for a lone deviceToken only: devices name their own.
      const outcome = await provider({ platform: 'apple' }).send(message({ to: toDevices(['fcmv1', TOKEN], ['apns', APNS]) }));

      expect(outcome).toEqual({ kind: 'sent', provider: 'notificationhubs', providerMessageId: 'fcmv1:fcm-1,apns:apns-1' });
      expect(apple.isDone() && fcm.isDone()).toBe(true);
      expect(bodies.apple).toEqual({ aps: { alert: { title: 'Sign-in', body: 'New sign-in from Firefox' } }, screen: 'security' });
      expect(bodies.fcm).toEqual({
        message: { notification: { title: 'Sign-in', body: 'New sign-in from Firefox' }, data: { screen: 'security' }, android: { priority: 'high' } },
      });
    });

    it('sends a platform\'s several devices in one batch direct send: the payload, then the handles', async () => {
      let batch = '';
      const fcm = reply(
        sendTo(
          nock(NAMESPACE)
            .post(BATCH, (body: unknown) => ((batch = String(body)), true))
            .matchHeader('servicebusnotification-format', 'fcmv1')
            .matchHeader('content-type', /^multipart\/mixed; boundary = "nh-boundary-[0-9a-f-]+"$/),
        ),
        201,
        '',
        created('fcm-batch'),
      );
      const apple = reply(sendTo(nock(NAMESPACE).post(BATCH).matchHeader('servicebusnotification-format', 'apple')), 201, '', created('apns-batch'));

      const outcome = await provider().send(message({ to: toDevices(['apns', APNS], ['fcmv1', TOKEN], ['apns', APNS_2], ['fcmv1', FCM_2]) }));

      expect(outcome).toEqual({ kind: 'sent', provider: 'notificationhubs', providerMessageId: 'apns:apns-batch,fcmv1:fcm-batch' });
      expect(fcm.isDone() && apple.isDone()).toBe(true);
      const parts = batch.split(/--nh-boundary-[0-9a-f-]+(?:--)?\r?\n?/).filter((p) => p.trim() !== '');
      expect(parts).toHaveLength(2);
      expect(parts[0]).toContain('Content-Disposition: inline; name=notification');
      expect(JSON.parse(parts[0]!.split('\r\n\r\n')[1]!)).toMatchObject({ message: { notification: { title: 'Sign-in' } } });
      expect(parts[1]).toContain('Content-Disposition: inline; name=devices');
      expect(JSON.parse(parts[1]!.split('\r\n\r\n')[1]!)).toEqual([TOKEN, FCM_2]);
    });

    it('is sent when one platform\'s call was accepted, even if the other\'s was refused', async () => {
      reply(sendTo(nock(NAMESPACE).post(PATH).matchHeader('servicebusnotification-format', 'apple')), 410, nhError(410, `The device handle ${APNS} has expired.`));
      reply(sendTo(nock(NAMESPACE).post(PATH).matchHeader('servicebusnotification-format', 'fcmv1')), 201, '', created('fcm-1'));
      await expect(provider().send(message({ to: toDevices(['apns', APNS], ['fcmv1', TOKEN]) }))).resolves.toEqual({
        kind: 'sent',
        provider: 'notificationhubs',
        providerMessageId: 'fcmv1:fcm-1',
      });
    });

    it('is transient when none was accepted and one may pass, waiting as asked; permanent when all refused', async () => {
      reply(sendTo(nock(NAMESPACE).post(PATH).matchHeader('servicebusnotification-format', 'apple')), 410, nhError(410, `The device handle ${APNS} has expired.`));
      reply(sendTo(nock(NAMESPACE).post(PATH).matchHeader('servicebusnotification-format', 'fcmv1')), 429, nhError(429, 'Throttled.'), { 'Retry-After': '3' });
      const push = provider();
      const both = message({ to: toDevices(['apns', APNS], ['fcmv1', TOKEN]) });
      const first = await push.send(both);
      expect(first).toEqual({
        kind: 'transient',
        provider: 'notificationhubs',
        reason: 'apns: notificationhubs HTTP 410: The device handle <token> has expired.; fcmv1: notificationhubs HTTP 429: Throttled.',
        retryAfterMs: 3_000,
      });

      reply(sendTo(nock(NAMESPACE).post(PATH).matchHeader('servicebusnotification-format', 'apple')), 410, nhError(410, `The device handle ${APNS} has expired.`));
      reply(sendTo(nock(NAMESPACE).post(BATCH).matchHeader('servicebusnotification-format', 'fcmv1')), 400, nhError(400, `Invalid handles ${TOKEN} and ${FCM_2}.`));
      const second = await push.send(message({ to: toDevices(['apns', APNS], ['fcmv1', TOKEN], ['fcmv1', FCM_2]) }));
      expect(second).toEqual({
        kind: 'permanent',
        provider: 'notificationhubs',
        reason: 'apns: notificationhubs HTTP 410: The device handle <token> has expired.; fcmv1: notificationhubs HTTP 400: Invalid handles <token> and <token>.',
      });
      for (const outcome of [first, second]) {
        expectNoPii(outcome);
        expect('reason' in outcome ? outcome.reason : '').not.toContain(APNS);
      }
    });

    it('sends to a request\'s own device token alone, in the configured format, when there are devices too', async () => {
      const scope = reply(
        sendTo(nock(NAMESPACE).post(PATH).matchHeader('servicebusnotification-format', 'fcmv1').matchHeader('servicebusnotification-devicehandle', TOKEN)),
        201,
        '',
        { TrackingId: TRACKING },
      );
      await expect(provider().send(message({ to: { deviceToken: TOKEN, ...toDevices(['apns', APNS]) } }))).resolves.toEqual({
        kind: 'sent',
        provider: 'notificationhubs',
        providerMessageId: TRACKING,
      });
      expect(scope.isDone()).toBe(true);
    });

    it('answers permanent without calling Notification Hubs for an empty list of devices', async () => {
      await expect(provider().send(message({ to: { devices: [] } }))).resolves.toEqual({
        kind: 'permanent',
        provider: 'notificationhubs',
        reason: 'dispatch has no device token',
      });
    });
  });
});
