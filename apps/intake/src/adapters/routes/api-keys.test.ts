import { KEY_A, KEY_B, useIntake } from '../intake-harness.test-helper.js';

// The API key routes over HTTP, on the whole intake app with the real key store over an
// in-memory state store (intake-harness.test-helper.ts). KEY_A and KEY_B are configured keys
// (the secret API_KEYS) with every scope.

const intake = useIntake();
const call = intake.call;

interface MadeKey {
  id: string;
  key: string;
  name: string;
  scopes: string[];
  source: string;
  hint: string;
  revokedAt?: string;
}

async function makeKey(scopes: string[], name?: string): Promise<MadeKey> {
  const res = await call<MadeKey>('POST', '/v1/api-keys', { body: { scopes, ...(name ? { name } : {}) } });
  expect(res.status).toBe(201);
  return res.body;
}

describe('/v1/api-keys', () => {
  it('makes a key, shows it whole this once, and lists it by id, name, scopes and hint', async () => {
    const made = await makeKey(['send', 'read'], 'ci');
    expect(made).toMatchObject({ name: 'ci', scopes: ['send', 'read'], source: 'api', hint: made.key.slice(-4) });
    expect(made.key).toMatch(/^hk_/);
    const list = await call<{ items: Array<Record<string, unknown>> }>('GET', '/v1/api-keys');
    expect(list.status).toBe(200);
    expect(list.body.items.map((k) => k.id)).toContain(made.id);
    expect(list.body.items.find((k) => k.source === 'secret')).toMatchObject({ scopes: ['send', 'read', 'admin'] });
    const text = JSON.stringify(list.body);
    expect(text).not.toContain(made.key);
    expect(text).not.toContain('digest');
    expect((await call('GET', `/v1/api-keys/${made.id}`)).body).toMatchObject({ id: made.id, name: 'ci' });
  });

  it('lets a made key do what its scopes allow, and answers 403 naming the scope it lacks', async () => {
    const sendOnly = await makeKey(['send']);
    const refused = await call('GET', '/v1/admission', { key: sendOnly.key });
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ error: { code: 'insufficient_scope', scope: 'read' } });
    expect((await call('POST', '/v1/api-keys', { key: sendOnly.key, body: { scopes: ['admin'] } })).body).toMatchObject({ error: { scope: 'admin' } });
    // The router takes a path in any case: so does the scope check.
    for (const [method, path] of [['POST', '/V1/API-KEYS'], ['POST', '/v1/Webhooks'], ['DELETE', '/v1/Customers/c-1']] as const) {
      expect((await call(method, path, { key: sendOnly.key, body: method === 'POST' ? { scopes: ['admin'], url: 'https://hooks.example.com/x' } : undefined })).status).toBe(403);
    }
    const reader = await makeKey(['read']);
    expect((await call('GET', '/v1/admission', { key: reader.key })).status).toBe(200);
    const notification = { customerId: 'c-1', channel: 'email', to: { email: 'a@example.com' }, content: { subject: 's', text: 't' } };
    expect((await call('POST', '/v1/notifications', { key: reader.key, body: notification })).body).toMatchObject({ error: { scope: 'send' } });
    expect((await call('POST', '/v1/notifications', { key: sendOnly.key, body: notification })).status).toBe(202);
  });

  it('revokes a key: it stops working at once, and stays listed with when and by whom', async () => {
    const made = await makeKey(['read']);
    expect((await call('GET', '/v1/admission', { key: made.key })).status).toBe(200);
    const revoked = await call<MadeKey & { revokedBy: string }>('DELETE', `/v1/api-keys/${made.id}`);
    expect(revoked.status).toBe(200);
    expect(revoked.body.revokedAt).toEqual(expect.any(String));
    expect((await call('GET', '/v1/admission', { key: made.key })).status).toBe(401);
    expect((await call<MadeKey>('GET', `/v1/api-keys/${made.id}`)).body.revokedAt).toBe(revoked.body.revokedAt);
  });

  it('keeps tenants apart: another tenant neither sees nor revokes a key', async () => {
    const made = await makeKey(['read']);
    expect((await call('GET', `/v1/api-keys/${made.id}`, { key: KEY_B })).status).toBe(404);
    expect((await call('DELETE', `/v1/api-keys/${made.id}`, { key: KEY_B })).body).toMatchObject({ error: { code: 'api_key_not_found' } });
    expect((await call('GET', '/v1/admission', { key: made.key })).status).toBe(200);
  });

  it('refuses to revoke a key configured in the secret store', async () => {
    const list = await call<{ items: MadeKey[] }>('GET', '/v1/api-keys');
    const configured = list.body.items.find((k) => k.source === 'secret');
    const res = await call('DELETE', `/v1/api-keys/${configured?.id}`);
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ error: { code: 'api_key_in_secret_store' } });
    expect((await call('GET', '/v1/admission', { key: KEY_A })).status).toBe(200);
  });

  it('answers a bad request with the field', async () => {
    for (const [body, field] of [[{}, 'scopes'], [{ scopes: [] }, 'scopes'], [{ scopes: ['write'] }, 'scopes.0'], [{ scopes: ['read'], extra: 1 }, '(body)']] as const) {
      const res = await call('POST', '/v1/api-keys', { body });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ error: { code: 'validation_failed', field } });
    }
  });
});
