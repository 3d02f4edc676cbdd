import nock from 'nock';
import { useNockOnly } from '../../../../test/support/nock-lifecycle.js';
import type { ChannelDispatch, DeliveryOutcome } from '@herald/contracts';
import { createTwilioProvider, type TwilioProviderOptions } from './twilio-provider.js';

const API = 'https://api.twilio.com';
const ACCOUNT = 'AC00000000000000000000000000000001';
const PATH = `/2010-04-01/Accounts/${ACCOUNT}/Messages.json`;
const RECIPIENT = '+14155550123';
const SENDER = '+15005550006';
const NOW = Date.parse('2026-11-25T12:00:00Z');

const message = (attempt = 1): ChannelDispatch => ({
  schemaVersion: 2,
  notificationId: 'ntf_01jd0000000000000000000000',
  tenantId: 'acme',
  customerId: 'cus_1',
  attempt,
  channel: 'sms',
  priority: 'critical',
  to: { phone: RECIPIENT },
  content: { text: 'Your code is 123456' },
});

const provider = (extra: Partial<TwilioProviderOptions> = {}) =>
  createTwilioProvider({ accountSid: ACCOUNT, authToken: 'test-token', from: SENDER, now: () => NOW, ...extra });

/** Twilio's legacy error body, as the Messages API sends it. */
const twilioError = (status: number, code: number, text: string) => ({
  code,
  message: text,
  more_info: `https://www.twilio.com/docs/errors/${code}`,
  status,
});

/** Neither the recipient nor any other number may reach a reason. */
function expectNoPii(outcome: DeliveryOutcome): void {
  const reason = 'reason' in outcome ? outcome.reason : '';
  expect(reason).not.toContain(RECIPIENT);
  expect(reason).not.toContain(RECIPIENT.slice(2));
  expect(reason).not.toContain(SENDER);
  expect(reason).not.toMatch(/\d{7}/);
}

/** nock 14 forwards only Error instances; a plain `{ code }` leaves the request hanging until the client's timeout. */
const networkError = (code: string) => Object.assign(new Error(`${code} (simulated)`), { code });

/**
 * The SDK sends `Connection: keep-alive`, and nock 14 leaves such a request hanging unless the
 * mocked reply has a Content-Length (nock/nock#3001), so every reply goes through this.
 */
function reply(interceptor: nock.Interceptor, status: number, body: unknown, headers: Record<string, string> = {}): nock.Scope {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const type = typeof body === 'string' ? 'text/html' : 'application/json';
  return interceptor.reply(status, text, { 'Content-Type': type, 'Content-Length': String(Buffer.byteLength(text)), ...headers });
}

const created = { sid: 'SM0123456789abcdef0123456789abcdef', status: 'queued', to: RECIPIENT, from: SENDER };

useNockOnly();

describe('Twilio provider', () => {
  it('posts To, From, Body and the StatusCallback intake correlates by, with basic auth, and answers the sid', async () => {
    let received: unknown;
    const scope = reply(
      nock(API)
        .post(PATH, (body: unknown) => {
          received = body;
          return true;
        })
        .basicAuth({ user: ACCOUNT, pass: 'test-token' })
        .matchHeader('content-type', 'application/x-www-form-urlencoded'),
      201,
      created,
    );

    const outcome = await provider({ statusCallbackBase: 'https://herald.example.com/' }).send(message(3));

    expect(outcome).toEqual({ kind: 'sent', provider: 'twilio', providerMessageId: created.sid });
    expect(received).toEqual({
      To: RECIPIENT,
      From: SENDER,
      Body: 'Your code is 123456',
      StatusCallback: 'https://herald.example.com/v1/providers/twilio/status?herald_id=ntf_01jd0000000000000000000000&herald_attempt=3',
    });
    expect(scope.isDone()).toBe(true);
  });

  it('sends through a messaging service, without a status callback when no base is configured', async () => {
    let received: unknown;
    reply(
      nock(API).post(PATH, (body: unknown) => {
        received = body;
        return true;
      }),
      201,
      created,
    );

    const viaService = createTwilioProvider({ accountSid: ACCOUNT, authToken: 'test-token', messagingServiceSid: 'MG00000000000000000000000000000001' });
    await expect(viaService.send(message())).resolves.toMatchObject({ kind: 'sent' });
    expect(received).toEqual({ To: RECIPIENT, MessagingServiceSid: 'MG00000000000000000000000000000001', Body: 'Your code is 123456' });
  });

  it('sends to the base URL it is given (a local simulator), keeping its path prefix', async () => {
    const scope = reply(nock('http://127.0.0.1:4020').post(`/twilio${PATH}`), 201, created);
    const simulated = provider({ baseUrl: 'http://127.0.0.1:4020/twilio/' });
    await expect(simulated.send(message())).resolves.toMatchObject({ kind: 'sent', providerMessageId: created.sid });
    expect(scope.isDone()).toBe(true);
  });

  it('refuses to start without a sender', () => {
    expect(() => createTwilioProvider({ accountSid: ACCOUNT, authToken: 'test-token' })).toThrow(/TWILIO_FROM or TWILIO_MESSAGING_SERVICE_SID/);
  });

  it('answers transient with the Retry-After of every 429 of a storm', async () => {
    const tooMany = twilioError(429, 20429, 'Too Many Requests');
    reply(nock(API).post(PATH), 429, tooMany, { 'Retry-After': '1' });
    reply(nock(API).post(PATH), 429, tooMany, { 'Retry-After': '5' });
    reply(nock(API).post(PATH), 429, tooMany, { 'Retry-After': new Date(NOW + 9_000).toUTCString() });
    reply(nock(API).post(PATH), 429, tooMany);
    const sms = provider();

    const outcomes = [];
    for (let i = 0; i < 4; i++) outcomes.push(await sms.send(message()));

    const reason = 'twilio 20429: Too Many Requests';
    expect(outcomes).toEqual([
      { kind: 'transient', provider: 'twilio', reason, retryAfterMs: 1_000 },
      { kind: 'transient', provider: 'twilio', reason, retryAfterMs: 5_000 },
      { kind: 'transient', provider: 'twilio', reason, retryAfterMs: 9_000 },
      { kind: 'transient', provider: 'twilio', reason },
    ]);
  });

  it('answers transient for code 21611 (the sender\'s queue is full)', async () => {
    reply(nock(API).post(PATH), 400, twilioError(400, 21611, "This 'From' number has exceeded the maximum number of queued messages"));
    const outcome = await provider().send(message());
    expect(outcome.kind).toBe('transient');
    expect('reason' in outcome && outcome.reason).toMatch(/^twilio 21611: /);
  });

  it.each([
    [500, twilioError(500, 20500, 'Internal Server Error'), 'twilio 20500: Internal Server Error'],
    [503, twilioError(503, 20503, 'Service Unavailable'), 'twilio 20503: Service Unavailable'],
    [502, '<html><body>Bad Gateway</body></html>', 'twilio HTTP 502'],
  ])('answers transient for HTTP %i', async (status, body, reason) => {
    reply(nock(API).post(PATH), status, body);
    await expect(provider().send(message())).resolves.toEqual({ kind: 'transient', provider: 'twilio', reason });
  });

  it('answers transient when the answer comes after timeoutMs', async () => {
    reply(nock(API).post(PATH).delay(2_000), 201, created);
    const outcome = await provider({ timeoutMs: 50 }).send(message());
    expect(outcome.kind).toBe('transient');
    expect('reason' in outcome && outcome.reason).toMatch(/^twilio timed out after 50 ms \((ECONNABORTED|ETIMEDOUT)\)$/);
  });

  it.each(['ECONNRESET', 'ECONNREFUSED', 'ENOTFOUND'])('answers transient naming %s when no answer comes', async (code) => {
    nock(API).post(PATH).replyWithError(networkError(code));
    await expect(provider().send(message())).resolves.toEqual({ kind: 'transient', provider: 'twilio', reason: `twilio network error: ${code}` });
  });

  it.each([
    [21211, `The 'To' number ${RECIPIENT} is not a valid phone number.`, "twilio 21211: The 'To' number <number> is not a valid phone number."],
    [21610, 'Attempt to send to unsubscribed recipient', 'twilio 21610: Attempt to send to unsubscribed recipient'],
    [
      21612,
      `The 'To' phone number: ${RECIPIENT}, is not currently reachable using the 'From' phone number: ${SENDER} via SMS.`,
      "twilio 21612: The 'To' phone number: <number>, is not currently reachable using the 'From' phone number: <number> via SMS.",
    ],
    [
      21408,
      `Permission to send an SMS has not been enabled for the region indicated by the 'To' number: ${RECIPIENT}.`,
      "twilio 21408: Permission to send an SMS has not been enabled for the region indicated by the 'To' number: <number>.",
    ],
    [21614, `'To' number ${RECIPIENT.slice(2)} is not a valid mobile number`, "twilio 21614: 'To' number <number> is not a valid mobile number"],
    [21617, 'The concatenated message body exceeds the 1600 character limit.', 'twilio 21617: The concatenated message body exceeds the 1600 character limit.'],
  ])('answers permanent for Twilio error %i, without the number', async (code, text, reason) => {
    reply(nock(API).post(PATH), 400, twilioError(400, code, text));
    const outcome = await provider().send(message());
    expect(outcome).toEqual({ kind: 'permanent', provider: 'twilio', reason });
    expectNoPii(outcome);
  });

  it('reads the RFC 9457 error body too', async () => {
    reply(nock(API).post(PATH), 400, {
      type: 'https://www.twilio.com/docs/errors/21211',
      title: 'Invalid To Phone Number',
      status: 400,
      code: 21211,
      detail: `The 'To' number ${RECIPIENT} is not a valid phone number.`,
    });
    const outcome = await provider().send(message());
    expect(outcome).toEqual({ kind: 'permanent', provider: 'twilio', reason: "twilio 21211: The 'To' number <number> is not a valid phone number." });
  });

  it('answers transient for HTTP 401: a configuration error must not end notifications', async () => {
    reply(nock(API).post(PATH), 401, {
      code: 20003,
      detail: 'Your AccountSid or AuthToken was incorrect.',
      message: 'Authenticate',
      more_info: 'https://www.twilio.com/docs/errors/20003',
      status: 401,
    });
    await expect(provider().send(message())).resolves.toEqual({
      kind: 'transient',
      provider: 'twilio',
      reason: 'provider rejected credentials (HTTP 401): twilio 20003: Authenticate',
    });
  });

  it('answers permanent without calling Twilio for a dispatch without a phone number', async () => {
    await expect(provider().send({ ...message(), to: {} })).resolves.toMatchObject({ kind: 'permanent' });
  });
});
