import { createAuthenticator } from './api-keys.js';

const keys = JSON.stringify({ 'key-for-tenant-a-0000': 'tenant-a', 'key-for-tenant-b-0000': 'tenant-b' });

describe('API key authenticator', () => {
  const authenticate = createAuthenticator(keys);

  it('maps a bearer key to its tenant', () => {
    expect(authenticate('Bearer key-for-tenant-a-0000')).toBe('tenant-a');
    expect(authenticate('bearer key-for-tenant-b-0000')).toBe('tenant-b');
  });

  it('refuses a missing, unknown or malformed key', () => {
    expect(authenticate(undefined)).toBeUndefined();
    expect(authenticate('')).toBeUndefined();
    expect(authenticate('Bearer key-for-tenant-a-0001')).toBeUndefined();
    expect(authenticate('key-for-tenant-a-0000')).toBeUndefined();
    expect(authenticate('Basic key-for-tenant-a-0000')).toBeUndefined();
  });

  it('will not start with a key too short to be safe', () => {
    expect(() => createAuthenticator(JSON.stringify({ short: 'tenant-a' }))).toThrow(/at least 16 characters/);
  });
});
