import { createHmac, generateKeyPairSync, sign } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { Writable } from 'node:stream';
import express from 'express';
import type { ProviderEvent } from '@herald/contracts';
import { createLogger } from '@herald/service';
import { createProviderCallbackRouter, type ProviderCallbackDeps } from './provider-callbacks.js';

const idA = 'ntf_01j9z8k2m4n6p8r0s2t4v6w8y0';
const idB = 'ntf_01j9z8k2m4n6p8r0s2t4v6w8y1';
const publicBaseUrl = 'https://herald.example.com';
const authToken = 'twilio-auth-token-for-tests';
const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const sendgridPublicKey = publicKey.export({ format: 'der', type: 'spki' }).toString('base64');

interface Harness {
  url: string;
  recorded: ProviderEvent[];
  logs: string[];
  close: () => Promise<void>;
}

const servers: Harness[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((h) => h.close()));
});

async function start(overrides: Partial<ProviderCallbackDeps> = {}): Promise<Harness> {
  const recorded: ProviderEvent[] = [];
  const logs: string[] = [];
  const sink = new Writable({ write: (chunk: Buffer, _enc, done) => (logs.push(chunk.toString()), done()) });
  const app = express();
  app.use(
    createProviderCallbackRouter({
      sendgridPublicKey,
      twilioAuthToken: authToken,
      publicBaseUrl,
      record: async (event) => {
        recorded.push(event);
      },
      log: createLogger('test', 'debug', sink),
      now: () => new Date('2026-03-01T10:00:00.000Z'),
      ...overrides,
    }),
  );
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  const harness: Harness = {
    url: `http://127.0.0.1:${port}`,
    recorded,
    logs,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  servers.push(harness);
  return harness;
}

// SendGrid posts its batch pretty-printed with a trailing CRLF; the signature covers those exact bytes.
const batch = JSON.stringify(
  [
    { email: 'jane@example.com', timestamp: 1513299569, event: 'processed', sg_message_id: 'm1.filter0001', herald_id: idA, herald_attempt: '1' },
    { email: 'jane@example.com', timestamp: 1513299570, event: 'delivered', response: '250 OK', sg_message_id: 'm1.filter0001', herald_id: idA, herald_attempt: '1' },
    { email: 'joe@example.com', timestamp: 1513299571, event: 'bounce', type: 'bounce', status: '5.0.0', reason: '550 5.1.1 <joe@example.com>: unknown', sg_message_id: 'm2.filter0001', herald_id: idB, herald_attempt: '2' },
    { email: 'joe@example.com', timestamp: 1513299572, event: 'open', herald_id: idB, herald_attempt: '2' },
  ],
  null,
  2,
) + '\r\n';

function sendGridRequest(body: string, signedBody: string = body, timestamp = '1700000000'): RequestInit {
  const signature = sign('sha256', Buffer.from(timestamp + signedBody), privateKey).toString('base64');
  return {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      'X-Twilio-Email-Event-Webhook-Signature': signature,
      'X-Twilio-Email-Event-Webhook-Timestamp': timestamp,
    },
    body,
  };
}

const twilioPath = `/v1/providers/twilio/status?herald_id=${idA}&herald_attempt=3`;
const twilioForm = {
  AccountSid: 'ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX',
  ApiVersion: '2010-04-01',
  ErrorCode: '30003',
  From: '+15017122661',
  MessageSid: 'SM1342fe1b2c904d1ab04f0fc7a58abca9',
  MessageStatus: 'undelivered',
  SmsSid: 'SM1342fe1b2c904d1ab04f0fc7a58abca9',
  SmsStatus: 'undelivered',
  To: '+15558675310',
};

function twilioRequest(form: Record<string, string>, signature?: string): RequestInit {
  // Computed independently of the code under test: url, then name+value pairs sorted by name.
  const data = publicBaseUrl + twilioPath + Object.keys(form).sort().map((k) => k + form[k]).join('');
  return {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded; charset=UTF-8',
      'X-Twilio-Signature': signature ?? createHmac('sha1', authToken).update(data).digest('base64'),
    },
    body: new URLSearchParams(form).toString(),
  };
}

const noAddresses = (logs: string[]): void => {
  const out = logs.join('');
  for (const secret of ['jane@example.com', 'joe@example.com', '+15017122661', '+15558675310']) expect(out).not.toContain(secret);
};

describe('SendGrid event webhook', () => {
  it('records the delivery outcomes of a signed batch and ignores the rest', async () => {
    const h = await start();
    const res = await fetch(`${h.url}/v1/providers/sendgrid/events`, sendGridRequest(batch));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ received: 4, recorded: 2, ignored: 2 });
    expect(h.recorded).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ notificationId: idA, attempt: 1, provider: 'sendgrid', status: 'delivered', at: '2017-12-15T00:59:30.000Z' }),
        expect.objectContaining({ notificationId: idB, attempt: 2, provider: 'sendgrid', status: 'bounced', reason: 'bounce 5.0.0: 550 5.1.1 <[address]>: unknown' }),
      ]),
    );
    expect(h.recorded).toHaveLength(2);
    expect(h.logs.join('')).toContain(idA);
    noAddresses(h.logs);
  });

  it('refuses a tampered payload, a missing signature or a replayed signature with another timestamp', async () => {
    const h = await start();
    const tampered = batch.replace('"bounce"', '"delivered"');
    expect((await fetch(`${h.url}/v1/providers/sendgrid/events`, sendGridRequest(tampered, batch))).status).toBe(401);
    const unsigned = await fetch(`${h.url}/v1/providers/sendgrid/events`, { method: 'POST', body: batch });
    expect(unsigned.status).toBe(401);
    expect(await unsigned.json()).toMatchObject({ error: { code: 'invalid_signature', field: 'X-Twilio-Email-Event-Webhook-Signature' } });
    const replayed = sendGridRequest(batch);
    (replayed.headers as Record<string, string>)['X-Twilio-Email-Event-Webhook-Timestamp'] = '1700000999';
    expect((await fetch(`${h.url}/v1/providers/sendgrid/events`, replayed)).status).toBe(401);
    expect(h.recorded).toEqual([]);
  });

  it('answers 503 naming the secret when no key is configured', async () => {
    const h = await start({ sendgridPublicKey: undefined });
    const res = await fetch(`${h.url}/v1/providers/sendgrid/events`, sendGridRequest(batch));
    expect(res.status).toBe(503);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('callbacks_not_configured');
    expect(body.error.message).toContain('SENDGRID_WEBHOOK_PUBLIC_KEY');
  });

  it('answers 400 to a signed body that is not a JSON array', async () => {
    const h = await start();
    const bad = await fetch(`${h.url}/v1/providers/sendgrid/events`, sendGridRequest('[{"event":'));
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: 'invalid_json' } });
    const notArray = await fetch(`${h.url}/v1/providers/sendgrid/events`, sendGridRequest('{"event":"delivered"}'));
    expect(notArray.status).toBe(400);
    expect(await notArray.json()).toMatchObject({ error: { code: 'validation_failed' } });
  });

  it('answers 503 when recording fails, so SendGrid delivers the batch again', async () => {
    let calls = 0;
    const h = await start({
      record: async (event) => {
        calls++;
        if (event.notificationId === idB) throw new Error('actor unavailable');
      },
    });
    const res = await fetch(`${h.url}/v1/providers/sendgrid/events`, sendGridRequest(batch));
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ error: { code: 'unavailable' } });
    expect(calls).toBe(2);
    noAddresses(h.logs);
  });

  it('answers 400 invalid_body_encoding to a body that does not decompress, in its own JSON', async () => {
    const h = await start();
    const res = await fetch(`${h.url}/v1/providers/sendgrid/events`, { method: 'POST', headers: { 'Content-Encoding': 'gzip' }, body: 'not gzip' });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 'invalid_body_encoding', field: '(body)' } });
    expect(h.recorded).toEqual([]);
  });

  it('answers 413 to a body over 1 MB', async () => {
    const h = await start();
    const res = await fetch(`${h.url}/v1/providers/sendgrid/events`, sendGridRequest(`[${'"x",'.repeat(300_000)}"x"]`));
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ error: { code: 'payload_too_large' } });
  });
});

describe('Twilio status callback', () => {
  it('records a signed final status, verifying against the public URL', async () => {
    const h = await start();
    const res = await fetch(`${h.url}${twilioPath}`, twilioRequest(twilioForm));
    expect(res.status).toBe(204);
    expect(h.recorded).toEqual([
      {
        schemaVersion: 1,
        notificationId: idA,
        attempt: 3,
        provider: 'twilio',
        providerMessageId: 'SM1342fe1b2c904d1ab04f0fc7a58abca9',
        status: 'undeliverable',
        reason: 'twilio error 30003',
        at: '2026-03-01T10:00:00.000Z',
      },
    ]);
    noAddresses(h.logs);
  });

  it('acknowledges an intermediate status without recording it', async () => {
    const h = await start();
    const { ErrorCode: _omit, ...sent } = { ...twilioForm, MessageStatus: 'sent', SmsStatus: 'sent' };
    const res = await fetch(`${h.url}${twilioPath}`, twilioRequest(sent));
    expect(res.status).toBe(204);
    expect(h.recorded).toEqual([]);
  });

  it('refuses a bad signature or a changed parameter', async () => {
    const h = await start();
    expect((await fetch(`${h.url}${twilioPath}`, twilioRequest(twilioForm, 'RSOYDt4T1cUTdK1PDd93/VVr8B8='))).status).toBe(401);
    const signed = twilioRequest(twilioForm);
    const changed = { ...signed, body: new URLSearchParams({ ...twilioForm, MessageStatus: 'delivered' }).toString() };
    const res = await fetch(`${h.url}${twilioPath}`, changed);
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: { code: 'invalid_signature', field: 'X-Twilio-Signature' } });
    expect(h.recorded).toEqual([]);
  });

  it('answers 503 naming the secret when no auth token is configured', async () => {
    const h = await start({ twilioAuthToken: undefined });
    const res = await fetch(`${h.url}${twilioPath}`, twilioRequest(twilioForm));
    expect(res.status).toBe(503);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('callbacks_not_configured');
    expect(body.error.message).toContain('TWILIO_AUTH_TOKEN');
  });

  it('answers 503 when recording fails', async () => {
    const h = await start({
      record: async () => {
        throw new Error('actor unavailable');
      },
    });
    const res = await fetch(`${h.url}${twilioPath}`, twilioRequest(twilioForm));
    expect(res.status).toBe(503);
    noAddresses(h.logs);
  });
});
