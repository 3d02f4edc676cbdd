import { createHash, randomBytes } from 'node:crypto';
import type { Request, Response } from 'express';
import { waitFor } from '../../../../test/harness/stack.js';
import { useTestStateStore } from '../../../../test/support/test-state.js';
import { mintApiKey, type StoredApiKey } from '../domain/api-keys.js';
import { apiKeyId, createApiKeyStore, createAuthenticator, KeysUnavailable, type ApiKeyStore } from './api-keys.js';
import { requireTenant } from './routes/common.js';

const KEY_A = 'key-for-tenant-a-0000';
const configured = JSON.stringify({
  [KEY_A]: 'tenant-a',
  'key-for-tenant-b-0000': 'tenant-b',
  'key-for-tenant-b-read': { tenant: 'tenant-b', scopes: ['read'], name: 'dashboard' },
});

describe('configured API keys (the secret API_KEYS)', () => {
  const { authenticate } = createAuthenticator({ configured });

  it('maps a bearer key to its tenant, the key\'s fingerprint and every scope', async () => {
    const a = await authenticate(`Bearer ${KEY_A}`);
    expect(a).toMatchObject({ tenantId: 'tenant-a', keyId: createHash('sha256').update(KEY_A).digest('hex').slice(0, 16) });
    expect([...(a?.scopes ?? [])]).toEqual(['send', 'read', 'admin']);
    expect(await authenticate('bearer key-for-tenant-b-0000')).toMatchObject({ tenantId: 'tenant-b' });
  });

  it('takes a key limited to some scopes', async () => {
    expect([...((await authenticate('Bearer key-for-tenant-b-read'))?.scopes ?? [])]).toEqual(['read']);
  });

  it('names each key by a short fingerprint of its own, which is not the key', async () => {
    const a = (await authenticate(`Bearer ${KEY_A}`))?.keyId;
    const b = (await authenticate('Bearer key-for-tenant-b-0000'))?.keyId;
    expect(a).toMatch(/^[0-9a-f]{16}$/);
    expect(a).toBe(apiKeyId(KEY_A));
    expect(b).not.toBe(a);
    expect(KEY_A).not.toContain(a);
  });

  it('refuses a missing, unknown or malformed key', async () => {
    for (const header of [undefined, '', 'Bearer key-for-tenant-a-0001', KEY_A, `Basic ${KEY_A}`]) expect(await authenticate(header)).toBeUndefined();
  });

  it('will not start with a key too short to be safe, or an unknown scope', () => {
    expect(() => createAuthenticator({ configured: JSON.stringify({ short: 'tenant-a' }) })).toThrow(/at least 16 characters/);
    expect(() => createAuthenticator({ configured: JSON.stringify({ [KEY_A]: { tenant: 't', scopes: ['write'] } }) })).toThrow();
  });
});

/** A key store in memory that counts its reads and can be made to fail. */
function countingStore(keys: Record<string, StoredApiKey[]>): Pick<ApiKeyStore, 'read'> & { reads: number; failing: boolean } {
  return {
    reads: 0,
    failing: false,
    async read(tenantId) {
      this.reads++;
      if (this.failing) throw new Error('store down');
      return keys[tenantId] ?? [];
    },
  };
}

function made(tenantId: string, scopes: StoredApiKey['scopes'], extra: Partial<StoredApiKey> = {}): { key: string; stored: StoredApiKey } {
  const { id, key } = mintApiKey(tenantId, randomBytes(8), randomBytes(32));
  return { key, stored: { id, name: id, scopes, digest: createHash('sha256').update(key).digest('hex'), hint: key.slice(-4), createdAt: new Date(0).toISOString(), createdBy: 'x', ...extra } };
}

describe('API keys made through the API', () => {
  it('authenticates a made key by its digest, with its own scopes', async () => {
    const k = made('acme', ['send']);
    const { authenticate } = createAuthenticator({ configured, store: countingStore({ acme: [k.stored] }) });
    const caller = await authenticate(`Bearer ${k.key}`);
    expect(caller).toMatchObject({ tenantId: 'acme', keyId: k.stored.id });
    expect([...(caller?.scopes ?? [])]).toEqual(['send']);
    // The same id and tenant with another secret is no key.
    expect(await authenticate(`Bearer ${k.key.slice(0, -4)}AAAA`)).toBeUndefined();
    // A key of another tenant's form, naming this key's id, is looked up under that tenant.
    expect(await authenticate(`Bearer ${k.key.replace(Buffer.from('acme').toString('base64url'), Buffer.from('evil').toString('base64url'))}`)).toBeUndefined();
  });

  it('refuses a revoked key', async () => {
    const k = made('acme', ['send'], { revokedAt: new Date().toISOString() });
    const { authenticate } = createAuthenticator({ configured, store: countingStore({ acme: [k.stored] }) });
    expect(await authenticate(`Bearer ${k.key}`)).toBeUndefined();
  });

  it('reads a tenant\'s keys once per cache period, and again after it', async () => {
    let t = 0;
    const k = made('acme', ['send']);
    const store = countingStore({ acme: [k.stored] });
    const { authenticate } = createAuthenticator({ configured, store, cacheMs: 5_000, now: () => t });
    await Promise.all([authenticate(`Bearer ${k.key}`), authenticate(`Bearer ${k.key}`)]);
    t = 4_999;
    await authenticate(`Bearer ${k.key}`);
    expect(store.reads).toBe(1);
    t = 5_000;
    await authenticate(`Bearer ${k.key}`);
    expect(store.reads).toBe(2);
  });

  it('takes a key made on another replica after its record was read, reading again at most once a second', async () => {
    let t = 0;
    const old = made('acme', ['send']);
    const fresh = made('acme', ['read']);
    const keys = { acme: [old.stored] };
    const store = countingStore(keys);
    const { authenticate } = createAuthenticator({ configured, store, cacheMs: 5_000, now: () => t });
    await authenticate(`Bearer ${old.key}`);
    keys.acme = [old.stored, fresh.stored];
    t = 999;
    expect(await authenticate(`Bearer ${fresh.key}`)).toBeUndefined();
    expect(store.reads).toBe(1);
    t = 1_000;
    expect(await authenticate(`Bearer ${fresh.key}`)).toMatchObject({ keyId: fresh.stored.id });
    expect(store.reads).toBe(2);
  });

  it('stops taking a key revoked on another replica once its cache period has passed', async () => {
    let t = 0;
    const k = made('acme', ['send']);
    const keys = { acme: [k.stored] };
    const { authenticate } = createAuthenticator({ configured, store: countingStore(keys), cacheMs: 5_000, now: () => t });
    expect(await authenticate(`Bearer ${k.key}`)).toBeDefined();
    keys.acme = [{ ...k.stored, revokedAt: new Date().toISOString() }];
    t = 5_000;
    expect(await authenticate(`Bearer ${k.key}`)).toBeUndefined();
  });

  it('does not keep a read that began before this replica revoked a key', async () => {
    const k = made('acme', ['send']);
    let release: (keys: StoredApiKey[]) => void = () => undefined;
    let reads = 0;
    const store = { read: () => { reads++; return reads === 1 ? new Promise<StoredApiKey[]>((r) => (release = r)) : Promise.resolve([{ ...k.stored, revokedAt: new Date().toISOString() }]); } };
    const auth = createAuthenticator({ configured, store, cacheMs: 5_000 });
    const before = auth.authenticate(`Bearer ${k.key}`);
    auth.forget('acme');
    release([k.stored]);
    await before;
    expect(await auth.authenticate(`Bearer ${k.key}`)).toBeUndefined();
  });

  it('asks a failing store again only after a moment, going on meanwhile with what it read', async () => {
    let t = 0;
    const k = made('acme', ['send']);
    const store = countingStore({ acme: [k.stored] });
    const { authenticate } = createAuthenticator({ configured, store, cacheMs: 5_000, now: () => t });
    await authenticate(`Bearer ${k.key}`);
    store.failing = true;
    t = 5_000;
    expect(await authenticate(`Bearer ${k.key}`)).toBeDefined();
    t = 5_500;
    expect(await authenticate(`Bearer ${k.key}`)).toBeDefined();
    expect(store.reads).toBe(2);
    t = 6_000;
    await authenticate(`Bearer ${k.key}`);
    expect(store.reads).toBe(3);
  });

  it('reads at most 100 tenants a second that it has not met: a flood of made-up keys costs no more', async () => {
    const t = 0;
    const store = countingStore({});
    const { authenticate } = createAuthenticator({ configured, store, now: () => t });
    const forged = (i: number) => `Bearer ${mintApiKey(`made-up-${i}`, randomBytes(8), randomBytes(32)).key}`;
    for (let i = 0; i < 100; i++) expect(await authenticate(forged(i))).toBeUndefined();
    await expect(authenticate(forged(100))).rejects.toBeInstanceOf(KeysUnavailable);
    expect(store.reads).toBe(100);
  });

  it('goes on with what it read for a while when the store fails, then says it cannot tell', async () => {
    let t = 0;
    const k = made('acme', ['send']);
    const store = countingStore({ acme: [k.stored] });
    const { authenticate } = createAuthenticator({ configured, store, cacheMs: 5_000, staleMs: 60_000, now: () => t });
    await authenticate(`Bearer ${k.key}`);
    store.failing = true;
    t = 64_999;
    expect(await authenticate(`Bearer ${k.key}`)).toBeDefined();
    t = 65_000;
    await expect(authenticate(`Bearer ${k.key}`)).rejects.toBeInstanceOf(KeysUnavailable);
    // A configured key does not depend on the store.
    expect(await authenticate(`Bearer ${KEY_A}`)).toBeDefined();
  });
});

describe('requireTenant', () => {
  /** Runs the middleware on a request: whether it let the request through, or what it answered. */
  const run = async (authorization: string, method: string, path: string) => {
    const locals: Record<string, unknown> = {};
    const sent: { status?: number; body?: unknown; headers?: Record<string, string> } = {};
    const req = { method, path, header: (name: string) => (name === 'authorization' ? authorization : undefined) } as unknown as Request;
    const passed = await new Promise<boolean>((resolve) => {
      const res = {
        locals,
        status(code: number) { sent.status = code; return this; },
        set(h: Record<string, string>) { sent.headers = h; return this; },
        json(body: unknown) { sent.body = body; resolve(false); return this; },
      } as unknown as Response;
      requireTenant(createAuthenticator({ configured }).authenticate)(req, res, () => resolve(true));
    });
    return { passed, locals, sent };
  };

  it('puts the tenant and the key id beside each other in res.locals', async () => {
    const { passed, locals } = await run(`Bearer ${KEY_A}`, 'GET', '/v1/notifications/x');
    expect(passed).toBe(true);
    expect(locals).toEqual({ tenantId: 'tenant-a', keyId: apiKeyId(KEY_A) });
  });

  it('answers 403 naming the scope a key lacks', async () => {
    const { passed, sent } = await run('Bearer key-for-tenant-b-read', 'POST', '/v1/customers/c-1/preferences');
    expect(passed).toBe(false);
    expect(sent.status).toBe(403);
    expect(sent.body).toMatchObject({ error: { code: 'insufficient_scope', scope: 'send' } });
    expect(sent.headers?.['WWW-Authenticate']).toBe('Bearer error="insufficient_scope", scope="send"');
  });
});

// The key store against a real daprd serving the local records component, on a database of this file's own.
const { sidecar, sql } = await useTestStateStore();

describe('the key store, on the real records store', () => {
  const store = createApiKeyStore(sidecar);

  it('keeps a made key only as its digest, and never the key', async () => {
    const made1 = await store.create('t-keys', { scopes: ['send', 'read'] }, 'admin-key');
    expect(made1?.key).toMatch(/^hk_/);
    const rows = sql(`SELECT value::text FROM records WHERE key = 'apikeys|t-keys'`);
    expect(rows).toHaveLength(1);
    expect(rows[0]?.[0]).not.toContain(made1?.key.split('.')[2]);
    expect(rows[0]?.[0]).toContain(made1?.stored.digest);
    const { authenticate } = createAuthenticator({ configured, store });
    expect(await authenticate(`Bearer ${made1?.key}`)).toMatchObject({ tenantId: 't-keys', keyId: made1?.stored.id });
  });

  it('loses no key when several are made at once (each write is at the version it read)', async () => {
    const many = await Promise.all(Array.from({ length: 5 }, (_, i) => createApiKeyStore(sidecar).create('t-race', { name: `k${i}`, scopes: ['read'] }, 'x')));
    expect((await store.read('t-race')).map((k) => k.id).sort()).toEqual(many.map((m) => m?.stored.id).sort());
  });

  it('revokes a key once, keeping when and by whom', async () => {
    const k = await store.create('t-revoke', { scopes: ['send'] }, 'x');
    const id = k?.stored.id ?? '';
    const revoked = await store.revoke('t-revoke', id, 'admin-key');
    expect(revoked).toMatchObject({ id, revokedBy: 'admin-key' });
    expect((await store.revoke('t-revoke', id, 'other'))?.revokedBy).toBe('admin-key');
    expect(await store.revoke('t-revoke', 'key_0000000000000000', 'x')).toBeUndefined();
    const { authenticate } = createAuthenticator({ configured, store });
    expect(await authenticate(`Bearer ${k?.key}`)).toBeUndefined();
  });

  it('stops working on another replica within its cache period of a revocation', async () => {
    const k = await store.create('t-replicas', { scopes: ['read'] }, 'x');
    const replicaA = createAuthenticator({ configured, store: createApiKeyStore(sidecar), cacheMs: 500 });
    const replicaB = createAuthenticator({ configured, store: createApiKeyStore(sidecar), cacheMs: 500 });
    const header = `Bearer ${k?.key}`;
    expect(await replicaA.authenticate(header)).toBeDefined();
    expect(await replicaB.authenticate(header)).toBeDefined();
    await store.revoke('t-replicas', k?.stored.id ?? '', 'x');
    replicaA.forget('t-replicas');
    expect(await replicaA.authenticate(header)).toBeUndefined();
    const revokedAt = Date.now();
    await waitFor('replica B to refuse the revoked key', async () => ((await replicaB.authenticate(header)) ? undefined : true), 5_000, 50);
    expect(Date.now() - revokedAt).toBeLessThan(1_500);
  });
});
