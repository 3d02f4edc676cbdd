import nock from 'nock';
import { useNockOnly } from '../../../../test/support/nock-lifecycle.js';
import type { ChannelDispatch, DeliveryOutcome } from '@herald/contracts';
import { createSendGridProvider } from './sendgrid-provider.js';

const API = 'https://api.sendgrid.com';
const PATH = '/v3/mail/send';
const RECIPIENT = 'jane.doe@example.com';
const NOW = Date.parse('2026-11-25T12:00:00Z');

const message = (attempt = 1): ChannelDispatch => ({
  schemaVersion: 2,
  notificationId: 'ntf_01jd0000000000000000000000',
  tenantId: 'acme',
  customerId: 'cus_1',
  attempt,
  channel: 'email',
  priority: 'critical',
  to: { email: RECIPIENT },
  content: { subject: 'Reset your password', text: 'Your code is 123456', html: '<p>Your code is 123456</p>' },
});

const provider = (timeoutMs?: number) =>
  createSendGridProvider({ apiKey: 'SG.test-key', from: 'noreply@herald.example', now: () => NOW, ...(timeoutMs ? { timeoutMs } : {}) });

/** No reason may carry the recipient, or any address. */
function expectNoPii(outcome: DeliveryOutcome): void {
  const reason = 'reason' in outcome ? outcome.reason : '';
  expect(reason).not.toContain(RECIPIENT);
  expect(reason).not.toMatch(/@/);
}

/**
 * nock 14 forwards only Error instances (@mswjs/interceptors drops anything else and the request
 * hangs until the client's own timeout), so `replyWithError({ code })` would test the timeout path.
 */
const networkError = (code: string) => Object.assign(new Error(`${code} (simulated)`), { code });

useNockOnly();

describe('SendGrid provider', () => {
  it('sends with the key, the content and the custom_args intake correlates by, and answers the X-Message-Id', async () => {
    let received: unknown;
    const scope = nock(API)
      .post(PATH, (body: unknown) => {
        received = body;
        return true;
      })
      .matchHeader('authorization', 'Bearer SG.test-key')
      .matchHeader('content-type', 'application/json')
      .reply(202, '', { 'X-Message-Id': 'W86EgYT6SQKk0lRflfLRsA' });

    const outcome = await provider().send(message(2));

    expect(outcome).toEqual({ kind: 'sent', provider: 'sendgrid', providerMessageId: 'W86EgYT6SQKk0lRflfLRsA' });
    expect(received).toEqual({
      from: { email: 'noreply@herald.example' },
      subject: 'Reset your password',
      personalizations: [{ to: [{ email: RECIPIENT }], custom_args: { herald_id: 'ntf_01jd0000000000000000000000', herald_attempt: '2' } }],
      content: [
        { type: 'text/plain', value: 'Your code is 123456' },
        { type: 'text/html', value: '<p>Your code is 123456</p>' },
      ],
    });
    expect(scope.isDone()).toBe(true);
  });

  it('sends to the base URL it is given (a local simulator)', async () => {
    const scope = nock('http://127.0.0.1:4010').post(PATH).reply(202, '', { 'X-Message-Id': 'sim-1' });
    const simulated = createSendGridProvider({ apiKey: 'SG.test-key', from: 'noreply@herald.example', baseUrl: 'http://127.0.0.1:4010' });
    await expect(simulated.send(message())).resolves.toEqual({ kind: 'sent', provider: 'sendgrid', providerMessageId: 'sim-1' });
    expect(scope.isDone()).toBe(true);
  });

  it('answers transient with the wait SendGrid asks for, on every 429 of a storm', async () => {
    const tooMany = { errors: [{ field: null, message: 'too many requests', help: null }] };
    nock(API)
      .post(PATH)
      .reply(429, tooMany, { 'Retry-After': '3' })
      .post(PATH)
      .reply(429, tooMany, { 'Retry-After': new Date(NOW + 7_000).toUTCString() })
      .post(PATH)
      .reply(429, tooMany, { 'X-RateLimit-Limit': '600', 'X-RateLimit-Remaining': '0', 'X-RateLimit-Reset': String(NOW / 1000 + 42) })
      .post(PATH)
      .reply(429, tooMany);
    const sendgrid = provider();

    const outcomes = [];
    for (let i = 0; i < 4; i++) outcomes.push(await sendgrid.send(message()));

    expect(outcomes).toEqual([
      { kind: 'transient', provider: 'sendgrid', reason: 'sendgrid HTTP 429: rate limited', retryAfterMs: 3_000 },
      { kind: 'transient', provider: 'sendgrid', reason: 'sendgrid HTTP 429: rate limited', retryAfterMs: 7_000 },
      { kind: 'transient', provider: 'sendgrid', reason: 'sendgrid HTTP 429: rate limited', retryAfterMs: 42_000 },
      { kind: 'transient', provider: 'sendgrid', reason: 'sendgrid HTTP 429: rate limited' },
    ]);
  });

  it.each([500, 502, 503])('answers transient for HTTP %i', async (status) => {
    nock(API).post(PATH).reply(status, { errors: [{ field: null, message: 'internal error', help: null }] });
    const outcome = await provider().send(message());
    expect(outcome).toEqual({ kind: 'transient', provider: 'sendgrid', reason: `sendgrid HTTP ${status}: internal error` });
  });

  it('answers transient when the answer comes after timeoutMs', async () => {
    nock(API).post(PATH).delay(2_000).reply(202, '', { 'X-Message-Id': 'late' });
    const outcome = await provider(50).send(message());
    expect(outcome.kind).toBe('transient');
    expect('reason' in outcome && outcome.reason).toMatch(/^sendgrid timed out after 50 ms \((ECONNABORTED|ETIMEDOUT)\)$/);
  });

  it.each(['ECONNRESET', 'ECONNREFUSED', 'ENOTFOUND'])('answers transient naming %s when no answer comes', async (code) => {
    nock(API).post(PATH).replyWithError(networkError(code));
    const outcome = await provider().send(message());
    expect(outcome).toEqual({ kind: 'transient', provider: 'sendgrid', reason: `sendgrid network error: ${code}` });
  });

  it.each([
    [
      400,
      {
        errors: [
          {
            message: 'Does not contain a valid address.',
            field: 'personalizations.0.to.0.email',
            help: 'http://sendgrid.com/docs/API_Reference/Web_API_v3/Mail/errors.html#message.personalizations.to',
          },
        ],
      },
      'sendgrid HTTP 400: Does not contain a valid address.',
    ],
    [
      400,
      {
        errors: [
          {
            message: `Each email address in the personalization block should be unique between to, cc, and bcc. We found the first duplicate instance of [${RECIPIENT}] in the personalizations.0.to field.`,
            field: 'personalizations.0',
            help: 'http://sendgrid.com/docs/API_Reference/Web_API_v3/Mail/errors.html#message.recipient-errors',
          },
        ],
      },
      'sendgrid HTTP 400: Each email address in the personalization block should be unique between to, cc, and bcc. We found the first duplicate instance of [<address>] in the personalizations.0.to field.',
    ],
    [
      400,
      {
        errors: [
          { message: 'The from email does not contain a valid address.', field: 'from.email', help: null },
          { message: 'The subject is required. You can get around this requirement if you use a template with a subject defined or if every personalization has a subject defined.', field: 'subject', help: null },
        ],
      },
      'sendgrid HTTP 400: The from email does not contain a valid address.; The subject is required. You can get around this requirement if you use a template with a subject defined or if every personalization has a subject defined.',
    ],
    [413, { errors: [{ message: 'The JSON payload you have included in your request is too large.', field: null, help: null }] }, 'sendgrid HTTP 413: The JSON payload you have included in your request is too large.'],
  ])('answers permanent for HTTP %i with SendGrid\'s messages, addresses cut out', async (status, body, reason) => {
    nock(API).post(PATH).reply(status, body);
    const outcome = await provider().send(message());
    expect(outcome).toEqual({ kind: 'permanent', provider: 'sendgrid', reason });
    expectNoPii(outcome);
  });

  it.each([
    [401, { errors: [{ field: null, message: 'The provided authorization grant is invalid, expired, or revoked', help: null }] }, 'The provided authorization grant is invalid, expired, or revoked'],
    [
      403,
      {
        errors: [
          {
            field: 'from',
            message: 'The from address does not match a verified Sender Identity. Mail cannot be sent until this error is resolved. Visit https://sendgrid.com/docs/for-developers/sending-email/sender-identity/ to see the Sender Identity requirements',
            help: null,
          },
        ],
      },
      'The from address does not match a verified Sender Identity. Mail cannot be sent until this error is resolved. Visit https://sendgrid.com/docs/for-developers/sending-email/sender-identity/ to see the Sender Identity requirements',
    ],
  ])('answers transient for HTTP %i: a configuration error must not end notifications', async (status, body, detail) => {
    nock(API).post(PATH).reply(status, body);
    const outcome = await provider().send(message());
    expect(outcome).toEqual({ kind: 'transient', provider: 'sendgrid', reason: `provider rejected credentials (HTTP ${status}): ${detail}` });
  });

  it('answers permanent without calling SendGrid for a dispatch without an address or a subject', async () => {
    const sendgrid = provider();
    await expect(sendgrid.send({ ...message(), to: {} })).resolves.toMatchObject({ kind: 'permanent' });
    await expect(sendgrid.send({ ...message(), content: { text: 'no subject' } })).resolves.toMatchObject({ kind: 'permanent' });
  });
});
