import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { newNotificationId, newWebhookId } from '@herald/contracts';
import type { ApiError } from '../domain/api-error.js';
import { KEY_A, NOW, startIntake, type IntakeHarness, type RawAnswer } from './intake-harness.test-helper.js';

// Requests no client library would send, as an outside tester sent them: bodies that do not
// decompress, paths whose escapes do not decode, ids that are path segments. Each is the
// caller's fault: a 4xx in the error shape, and nothing written.

let h: IntakeHarness;
beforeAll(async () => {
  h = await startIntake();
});
afterAll(() => h.close());
beforeEach(() => h.reset());

const auth = { authorization: `Bearer ${KEY_A}` };
const email = { customerId: 'cust-1', channel: 'email', to: { email: 'jane@example.com' }, content: { subject: 'Hi', text: 'Hello' } };

/** The error body of an answer, after checking it is JSON in the error shape. */
function errorOf(res: RawAnswer): ApiError['error'] {
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  const body = JSON.parse(res.text) as ApiError;
  expect([typeof body.error.code, typeof body.error.message]).toEqual(['string', 'string']);
  return body.error;
}

describe('a body that does not decompress', () => {
  // Every route that reads a body, through each way in: the lean accept path leaves compressed
  // bodies to express, `/v1/notifications/` is express's own, the callbacks read raw bytes.
  const routes = [
    ['POST', '/v1/notifications'],
    ['POST', '/v1/notifications/'],
    ['POST', '/v1/notifications/batch'],
    ['PUT', '/v1/customers/cust-1/preferences'],
    ['PUT', '/v1/customers/cust-1'],
    ['PATCH', '/v1/customers/cust-1'],
    ['POST', '/v1/customers/cust-1/devices'],
    ['POST', '/v1/webhooks'],
    ['POST', '/v1/providers/sendgrid/events'],
    ['POST', '/v1/providers/twilio/status?herald_id=x&herald_attempt=1'],
  ] as const;
  const json = Buffer.from(JSON.stringify(email));
  const bodies = [
    ['gzip', Buffer.from('not gzip at all')],
    ['deflate', Buffer.from('not deflate at all')],
    ['br', Buffer.from('not brotli at all')],
    ['gzip', gzipSync(json).subarray(0, 12)],
    ['deflate', deflateSync(json).subarray(0, 8)],
    ['br', brotliCompressSync(json).subarray(0, 6)],
    ['GZIP', Buffer.alloc(0)],
  ] as const;

  it.each(routes)('%s %s answers 400 invalid_body_encoding, writing nothing', async (method, path) => {
    for (const [encoding, body] of bodies) {
      const res = await h.send(method, path, { headers: { ...auth, 'content-type': 'application/json', 'content-encoding': encoding }, body });
      expect({ encoding, status: res.status }).toEqual({ encoding, status: 400 });
      expect(errorOf(res)).toMatchObject({ code: 'invalid_body_encoding', field: '(body)' });
    }
    expect(h.writes()).toBe(0);
  });

  it.each(routes)('%s %s answers an unknown Content-Encoding 415 unsupported_encoding', async (method, path) => {
    const res = await h.send(method, path, { headers: { ...auth, 'content-encoding': 'compress' }, body: json });
    expect(res.status).toBe(415);
    expect(errorOf(res)).toMatchObject({ code: 'unsupported_encoding', field: 'Content-Encoding' });
    expect(h.writes()).toBe(0);
  });

  it('still reads a body that decompresses', async () => {
    const res = await h.send('POST', '/v1/notifications', { headers: { ...auth, 'content-encoding': 'br' }, body: brotliCompressSync(json) });
    expect(res.status).toBe(202);
  });
});

describe('a path whose percent-escapes do not decode', () => {
  const routes = [
    ['GET', '/v1/notifications/:id'],
    ['POST', '/v1/notifications/:id/cancel'],
    ['GET', '/v1/customers/:id/notifications'],
    ['GET', '/v1/customers/:id/preferences'],
    ['PUT', '/v1/customers/:id/preferences'],
    ['DELETE', '/v1/customers/:id/preferences'],
    ['GET', '/v1/customers/:id'],
    ['PUT', '/v1/customers/:id'],
    ['PATCH', '/v1/customers/:id'],
    ['DELETE', '/v1/customers/:id'],
    ['POST', '/v1/customers/:id/devices'],
    ['DELETE', '/v1/customers/cust-1/devices/:id'],
    ['GET', '/v1/erasures/:id'],
    ['GET', '/v1/webhooks/:id'],
    ['DELETE', '/v1/webhooks/:id'],
  ] as const;

  it.each(routes)('%s %s answers 400 invalid_path, with or without an API key', async (method, route) => {
    for (const id of ['%E9', '%ff', '%', '%e9%80', 'cust%2', 'ntf_%zz']) {
      for (const headers of [auth, {}]) {
        const res = await h.send(method, route.replace(':id', id), { headers, ...(['PUT', 'PATCH', 'POST'].includes(method) ? { body: '{}' } : {}) });
        expect({ id, status: res.status }).toEqual({ id, status: 400 });
        expect(errorOf(res)).toMatchObject({ code: 'invalid_path', field: '(path)' });
      }
    }
    expect(h.writes()).toBe(0);
    expect(h.sidecar.actorCalls).toEqual([]);
  });
});

describe('an id that is a dot segment', () => {
  const dots = ['.', '..', '%2e', '%2E%2e', '.%2e'];

  it.each([
    'GET /v1/customers/:id/notifications',
    'GET /v1/customers/:id/preferences',
    'PUT /v1/customers/:id/preferences',
    'DELETE /v1/customers/:id/preferences',
    'GET /v1/customers/:id',
    'PUT /v1/customers/:id',
    'PATCH /v1/customers/:id',
    'DELETE /v1/customers/:id',
    'POST /v1/customers/:id/devices',
  ])(
    '%s refuses it as invalid_customer_id',
    async (route) => {
      const [method, path] = route.split(' ') as [string, string];
      const body = path.endsWith('/devices') ? '{"token":"fcm-token:0123456789","platform":"fcmv1"}' : path.endsWith('/preferences') ? '{"optedOut":["sms"]}' : '{"locale":"en-US"}';
      for (const id of dots) {
        const res = await h.send(method, path.replace(':id', id), { headers: auth, ...(['PUT', 'PATCH', 'POST'].includes(method) ? { body } : {}) });
        expect({ id, status: res.status }).toEqual({ id, status: 400 });
        expect(errorOf(res)).toMatchObject({ code: 'invalid_customer_id', field: 'customerId' });
      }
      expect(h.writes()).toBe(0);
    },
  );

  it.each(['GET /v1/notifications/:id', 'POST /v1/notifications/:id/cancel', 'GET /v1/webhooks/:id', 'DELETE /v1/webhooks/:id', 'DELETE /v1/customers/cust-1/devices/:id'])(
    '%s refuses it as invalid_path',
    async (route) => {
      const [method, path] = route.split(' ') as [string, string];
      for (const id of dots) {
        const res = await h.send(method, path.replace(':id', id), { headers: auth });
        expect({ id, status: res.status }).toEqual({ id, status: 400 });
        expect(errorOf(res)).toMatchObject({ code: 'invalid_path', field: 'id' });
      }
      expect(h.writes()).toBe(0);
      expect(h.sidecar.actorCalls).toEqual([]);
    },
  );

  it('still serves the ids that merely contain dots', async () => {
    expect((await h.send('PUT', '/v1/customers/a.b/preferences', { headers: auth, body: '{}' })).status).toBe(200);
    expect((await h.send('GET', '/v1/customers/.../preferences', { headers: auth })).status).toBe(200);
    expect((await h.send('GET', `/v1/notifications/${newNotificationId(NOW.getTime())}`, { headers: auth })).status).toBe(404);
    expect((await h.send('GET', `/v1/webhooks/${newWebhookId(NOW.getTime())}`, { headers: auth })).status).toBe(404);
  });

  it.each(['.', '..'])('refuses a body customerId of %j as validation_failed naming the field', async (customerId) => {
    const single = await h.send('POST', '/v1/notifications', { headers: auth, body: JSON.stringify({ ...email, customerId }) });
    expect(single.status).toBe(400);
    expect(errorOf(single)).toMatchObject({ code: 'validation_failed', field: 'customerId' });
    const batch = await h.send('POST', '/v1/notifications/batch', { headers: auth, body: JSON.stringify({ notifications: [{ ...email, customerId }] }) });
    expect(batch.status).toBe(400);
    expect(JSON.parse(batch.text)).toMatchObject({ results: [{ error: { code: 'validation_failed', field: 'notifications.0.customerId' } }] });
    expect(h.writes()).toBe(0);
  });
});

describe('a request Node\'s HTTP parser refuses', () => {
  it('answers raw non-ASCII bytes in the path 400 invalid_http, in the error shape', async () => {
    const res = await h.send('GET', '/v1/customers/caf\u00e9/preferences', { headers: auth });
    expect(res.status).toBe(400);
    expect(errorOf(res)).toMatchObject({ code: 'invalid_http' });
  });

  it('answers headers over the size limit 431 headers_too_large', async () => {
    const res = await h.send('GET', '/v1/webhooks', { headers: { ...auth, 'x-padding': 'a'.repeat(20_000) } });
    expect(res.status).toBe(431);
    expect(errorOf(res)).toMatchObject({ code: 'headers_too_large' });
  });
});
