import { keysToKeep, mintApiKey, parseApiKey, scopeFor, type StoredApiKey } from './api-keys.js';

describe('API key form', () => {
  it('names its tenant and id, and reads back', () => {
    const { id, key } = mintApiKey('acme corp/é', Buffer.alloc(8, 1), Buffer.alloc(32, 2));
    expect(id).toBe('key_0101010101010101');
    expect(parseApiKey(key)).toEqual({ tenantId: 'acme corp/é', id });
  });

  it('reads nothing else as a key', () => {
    const { key } = mintApiKey('acme', Buffer.alloc(8, 1), Buffer.alloc(32, 2));
    for (const bad of ['', 'herald-local-dev-key', key.slice(0, -1), `${key}A`, key.replace('hk_', 'hx_'), key.replace('.key_', '.kex_')]) {
      expect(parseApiKey(bad)).toBeUndefined();
    }
    // Base64url has one spelling per tenant here: trailing bits that decode alike are refused.
    const [prefix, ...rest] = key.split('.');
    expect(parseApiKey([`${prefix?.slice(0, -1)}b`, ...rest].join('.'))).toBeUndefined();
  });
});

describe('the scope each route needs', () => {
  it.each([
    ['POST', '/v1/notifications', 'send'],
    ['POST', '/v1/notifications/batch', 'send'],
    ['POST', '/v1/notifications/ntf_1/cancel', 'send'],
    ['GET', '/v1/notifications/ntf_1', 'read'],
    ['GET', '/v1/customers/c-1/notifications', 'read'],
    ['GET', '/v1/admission', 'read'],
    ['GET', '/v1/customers/c-1', 'read'],
    ['PUT', '/v1/customers/c-1', 'send'],
    ['PATCH', '/v1/customers/c-1', 'send'],
    ['POST', '/v1/customers/c-1/devices', 'send'],
    ['DELETE', '/v1/customers/c-1/devices/d1', 'send'],
    ['GET', '/v1/customers/c-1/preferences', 'read'],
    ['PUT', '/v1/customers/c-1/preferences', 'send'],
    ['DELETE', '/v1/customers/c-1/preferences', 'send'],
    ['DELETE', '/v1/customers/c-1', 'admin'],
    ['GET', '/v1/erasures/er_1', 'read'],
    ['GET', '/v1/webhooks', 'read'],
    ['GET', '/v1/webhooks/wh_1', 'read'],
    ['POST', '/v1/webhooks', 'admin'],
    ['DELETE', '/v1/webhooks/wh_1', 'admin'],
    ['GET', '/v1/api-keys', 'admin'],
    ['POST', '/v1/api-keys', 'admin'],
    ['DELETE', '/v1/api-keys/key_1', 'admin'],
  ])('%s %s needs %s', (method, path, scope) => {
    expect(scopeFor(method, path)).toBe(scope);
    // The router takes a path in any case: the scope must not depend on it.
    expect(scopeFor(method, path.toUpperCase())).toBe(scope);
  });
});

describe('which revoked keys are kept', () => {
  const key = (revokedAt?: string): StoredApiKey => ({
    id: 'key_0000000000000000', name: 'k', scopes: ['read'], digest: '0'.repeat(64), hint: 'abcd', createdAt: '2026-01-01T00:00:00Z', createdBy: 'x',
    ...(revokedAt ? { revokedAt } : {}),
  });
  it('keeps active keys, and revoked ones for 90 days', () => {
    const now = new Date('2026-06-01T00:00:00Z');
    expect(keysToKeep([key(), key('2026-03-04T00:00:00Z'), key('2026-03-02T00:00:00Z')], now).map((k) => k.revokedAt)).toEqual([undefined, '2026-03-04T00:00:00Z']);
  });
});
