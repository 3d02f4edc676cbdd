import { createClient, loadStack, request } from '../harness/client.js';
import { uniqueCustomer } from '../harness/ids.js';
import { sidecarHeaders, waitFor, type AppName } from '../harness/stack.js';

// Least privilege on the real stack: tenants' API keys and their scopes, the tokens between
// each app and its sidecar, and the components each sidecar may reach (their `scopes`).

const stack = loadStack();
const api = createClient(stack);
const sidecar = (app: AppName) => `http://127.0.0.1:${stack.apps[app].daprHttp}`;

describe('tenants\' API keys', () => {
  it('makes a key with a scope, takes it for that scope only, and refuses it once revoked', async () => {
    const made = await api.call('POST', '/v1/api-keys', { name: 'sender', scopes: ['send'] });
    expect(made.status).toBe(201);
    const { id, key } = made.body as { id: string; key: string };
    const auth = { authorization: `Bearer ${key}` };
    const notification = { customerId: uniqueCustomer(), channel: 'email', to: { email: 'a@example.com' }, content: { subject: 's', text: 't' } };
    const sent = await request(`${api.base}/v1/notifications`, { method: 'POST', body: JSON.stringify(notification), headers: auth });
    expect(sent.status).toBe(202);
    const read = await request(`${api.base}/v1/notifications/${(sent.body as { id: string }).id}`, { headers: auth });
    expect(read.status).toBe(403);
    expect(read.body).toMatchObject({ error: { code: 'insufficient_scope', scope: 'read' } });

    expect((await api.call('DELETE', `/v1/api-keys/${id}`)).status).toBe(200);
    const refused = await request(`${api.base}/v1/notifications`, { method: 'POST', body: JSON.stringify(notification), headers: auth });
    expect(refused.status).toBe(401);
    const listed = (await api.call('GET', '/v1/api-keys')).body as { items: Array<{ id: string; revokedAt?: string }> };
    expect(listed.items.find((k) => k.id === id)?.revokedAt).toEqual(expect.any(String));
    expect(JSON.stringify(listed)).not.toContain(key);
  });
});

describe('each sidecar takes calls from its own app only (Dapr API token)', () => {
  it('refuses a call without the token, and takes it with', async () => {
    const without = await request(`${sidecar('intake')}/v1.0/metadata`);
    expect(without.status).toBe(401);
    const other = await request(`${sidecar('intake')}/v1.0/metadata`, { headers: sidecarHeaders(stack, 'dispatcher') });
    expect(other.status).toBe(401);
    const own = await request(`${sidecar('intake')}/v1.0/metadata`, { headers: sidecarHeaders(stack, 'intake') });
    expect(own.status).toBe(200);
  });
});

describe('each app takes requests from its own sidecar only (app token)', () => {
  it.each(['dispatcher', 'channel-email'] as const)('%s answers 401 to anything else, but its health check', async (app) => {
    const base = `http://127.0.0.1:${stack.apps[app].app}`;
    expect((await request(`${base}/dapr/subscribe`)).status).toBe(401);
    const path = app === 'dispatcher' ? '/actors/NotificationActor/ntf_x/method/view' : '/queues/bulk';
    expect((await request(`${base}${path}`, { method: app === 'dispatcher' ? 'PUT' : 'POST', body: '{}' })).status).toBe(401);
    expect((await request(`${base}/healthz`)).status).toBe(200);
  });
});

describe('service invocation between apps (mTLS and access policies)', () => {
  it.each([
    ['dispatcher', 'channel-email', 'queues/bulk'],
    ['channel-email', 'dispatcher', 'healthz'],
    ['intake', 'channel-sms', 'dapr/subscribe'],
  ] as const)('%s may not invoke %s: its sidecar answers 403', async (caller, target, method) => {
    const res = await request(`${sidecar(caller)}/v1.0/invoke/${target}/method/${method}`, { method: 'POST', body: '{}', headers: sidecarHeaders(stack, caller) });
    expect(res.status).toBe(403);
    expect(JSON.stringify(res.body)).toContain(`access control policy has denied access to id: spiffe://public/ns/default/${caller}`);
  });

  it('lets another app invoke intake\'s API', async () => {
    const res = await request(`${sidecar('dispatcher')}/v1.0/invoke/intake/method/v1/admission`, {
      headers: { ...sidecarHeaders(stack, 'dispatcher'), authorization: `Bearer ${Object.keys(stack.apiKeys)[0]}` },
    });
    expect(res.status).toBe(200);
  });
});

describe('each sidecar reaches only the components its app uses (component scopes)', () => {
  it('refuses a channel app the store of record and the records', async () => {
    for (const store of ['statestore', 'records']) {
      const res = await request(`${sidecar('channel-email')}/v1.0/state/${store}/anything`, { headers: sidecarHeaders(stack, 'channel-email') });
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(JSON.stringify(res.body)).toMatch(/not found|not configured/i);
    }
    // Its own: the data keys.
    const own = await request(`${sidecar('channel-email')}/v1.0/state/datakeys/anything`, { headers: sidecarHeaders(stack, 'channel-email') });
    expect(own.status).toBeLessThan(300);
  });

  it('refuses intake the channel queues', async () => {
    const res = await request(`${sidecar('intake')}/v1.0/publish/channels-bulk/${stack.topicPrefix}email-bulk`, {
      method: 'POST', body: '{}', headers: sidecarHeaders(stack, 'intake'),
    });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(JSON.stringify(res.body)).toMatch(/not found|not configured/i);
  });

  it('answers the metadata of each sidecar with only its own components', async () => {
    const components = async (app: AppName) =>
      ((await request(`${sidecar(app)}/v1.0/metadata`, { headers: sidecarHeaders(stack, app) })).body as { components: Array<{ name: string }> }).components
        .map((c) => c.name)
        .sort();
    await waitFor('metadata', async () => ((await components('channel-sms')).length ? true : undefined), 10_000);
    expect(await components('channel-sms')).toEqual(['channels-bulk', 'channels-critical', 'datakeys', 'secretstore']);
    expect(await components('intake')).not.toContain('channels-bulk');
    expect(await components('intake')).not.toContain('statestore');
  });
});
