import { createClient, keyOf, loadStack, request, stackRedis } from '../harness/client.js';

const stack = loadStack();
const api = createClient(stack);
const redis = await stackRedis(stack);
afterAll(() => redis.destroy());

const valid = { customerId: 'c-bad-input', channel: 'email', to: { email: 'a@example.com' }, content: { subject: 'Hi', text: 'Hello' } };
const url = `${api.base}/v1/notifications`;
const auth = { authorization: `Bearer ${keyOf(stack, 'tenant-a')}` };

/** Entries ever added to both lane streams: what intake published. */
async function published(): Promise<number> {
  let total = 0;
  for (const lane of ['critical', 'bulk']) {
    const key = `${stack.topicPrefix}notifications-${lane}`;
    if (!(await redis.exists(key))) continue;
    const info = await redis.sendCommand<unknown[]>(['XINFO', 'STREAM', key]);
    const i = info.indexOf('entries-added');
    total += i >= 0 ? Number(info[i + 1]) : await redis.xLen(key);
  }
  return total;
}

const bad: Array<{ name: string; body: string; headers?: Record<string, string>; status: number; code: string; field: string }> = [
  { name: 'malformed JSON', body: '{"customerId": "c-1",', status: 400, code: 'invalid_json', field: '(body)' },
  { name: 'a missing field', body: JSON.stringify({ ...valid, customerId: undefined }), status: 400, code: 'validation_failed', field: 'customerId' },
  { name: 'a device token that is not a token', body: JSON.stringify({ ...valid, channel: 'push', to: { deviceToken: '<not a token>' } }), status: 400, code: 'validation_failed', field: 'to.deviceToken' },
  { name: 'an invalid email address', body: JSON.stringify({ ...valid, to: { email: 'nobody' } }), status: 400, code: 'validation_failed', field: 'to.email' },
  { name: 'a phone number not in E.164', body: JSON.stringify({ ...valid, channel: 'sms', to: { phone: '0415 555 0100' } }), status: 400, code: 'validation_failed', field: 'to.phone' },
  { name: 'a wrong type', body: JSON.stringify({ ...valid, content: { subject: 'Hi', text: 42 } }), status: 400, code: 'validation_failed', field: 'content.text' },
  { name: 'an unknown priority', body: JSON.stringify({ ...valid, priority: 'urgent' }), status: 400, code: 'validation_failed', field: 'priority' },
  { name: 'a JSON array instead of an object', body: '[1,2]', status: 400, code: 'validation_failed', field: '(body)' },
  { name: 'an unknown channel', body: JSON.stringify({ ...valid, channel: 'fax' }), status: 400, code: 'unknown_channel', field: 'channel' },
  { name: 'a body over 64 KiB', body: JSON.stringify({ ...valid, content: { subject: 'Hi', text: 'x'.repeat(70_000) } }), status: 413, code: 'payload_too_large', field: '(body)' },
  { name: 'no API key', body: JSON.stringify(valid), headers: { authorization: '' }, status: 401, code: 'unauthorized', field: 'Authorization' },
  { name: 'a wrong API key', body: JSON.stringify(valid), headers: { authorization: 'Bearer not-a-real-key-0000000000' }, status: 401, code: 'unauthorized', field: 'Authorization' },
  { name: 'a key in the wrong scheme', body: JSON.stringify(valid), headers: { authorization: `Basic ${keyOf(stack, 'tenant-a')}` }, status: 401, code: 'unauthorized', field: 'Authorization' },
];

describe('bad input', () => {
  it.each(bad)('answers $status $code naming $field for $name, and publishes nothing', async (c) => {
    const before = await published();
    const res = await request(url, { method: 'POST', body: c.body, headers: { ...auth, ...c.headers } });
    expect(res.status).toBe(c.status);
    expect(res.body).toMatchObject({ error: { code: c.code, field: c.field } });
    expect(typeof (res.body as { error: { message: string } }).error.message).toBe('string');
    expect(await published()).toBe(before);
  });

  it('still publishes a valid request (the counter above can move)', async () => {
    const before = await published();
    const res = await request(url, { method: 'POST', body: JSON.stringify(valid), headers: auth });
    expect(res.status).toBe(202);
    expect(await published()).toBe(before + 1);
  });

  it('answers 401 on the status API without a key', async () => {
    const res = await request(`${url}/ntf_00000000000000000000000000`);
    expect(res.status).toBe(401);
  });
});
