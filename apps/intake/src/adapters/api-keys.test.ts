import { createHash } from 'node:crypto';
import type { Request, Response } from 'express';
import { apiKeyId, createAuthenticator } from './api-keys.js';
import { requireTenant } from './routes/common.js';

const KEY_A = 'key-for-tenant-a-0000';
const keys = JSON.stringify({ [KEY_A]: 'tenant-a', 'key-for-tenant-b-0000': 'tenant-b' });

describe('API key authenticator', () => {
  const authenticate = createAuthenticator(keys);

  it('maps a bearer key to its tenant and the key\'s fingerprint', () => {
    expect(authenticate(`Bearer ${KEY_A}`)).toEqual({ tenantId: 'tenant-a', keyId: createHash('sha256').update(KEY_A).digest('hex').slice(0, 16) });
    expect(authenticate('bearer key-for-tenant-b-0000')).toMatchObject({ tenantId: 'tenant-b' });
  });

  it('names each key by a short fingerprint of its own, which is not the key', () => {
    const a = authenticate(`Bearer ${KEY_A}`)?.keyId;
    const b = authenticate('Bearer key-for-tenant-b-0000')?.keyId;
    expect(a).toMatch(/^[0-9a-f]{16}$/);
    expect(a).toBe(apiKeyId(KEY_A));
    expect(b).not.toBe(a);
    expect(KEY_A).not.toContain(a);
  });

  it('refuses a missing, unknown or malformed key', () => {
    expect(authenticate(undefined)).toBeUndefined();
    expect(authenticate('')).toBeUndefined();
    expect(authenticate('Bearer key-for-tenant-a-0001')).toBeUndefined();
    expect(authenticate(KEY_A)).toBeUndefined();
    expect(authenticate(`Basic ${KEY_A}`)).toBeUndefined();
  });

  it('will not start with a key too short to be safe', () => {
    expect(() => createAuthenticator(JSON.stringify({ short: 'tenant-a' }))).toThrow(/at least 16 characters/);
  });
});

describe('requireTenant', () => {
  it('puts the tenant and the key id beside each other in res.locals', () => {
    const locals: Record<string, unknown> = {};
    let passed = false;
    const req = { header: (name: string) => (name === 'authorization' ? `Bearer ${KEY_A}` : undefined) } as unknown as Request;
    requireTenant(createAuthenticator(keys))(req, { locals } as unknown as Response, () => (passed = true));
    expect(passed).toBe(true);
    expect(locals).toEqual({ tenantId: 'tenant-a', keyId: apiKeyId(KEY_A) });
  });
});
