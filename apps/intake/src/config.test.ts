import { ConfigError } from '@herald/service';
import { loadConfig } from './config.js';

describe('intake config', () => {
  it('reads per-tenant quotas from TENANT_QUOTAS as JSON', () => {
    const config = loadConfig({ TENANT_QUOTAS: '{"acme": {"requestsPerSecond": 50}}' });
    expect(config.TENANT_QUOTAS).toEqual({ acme: { requestsPerSecond: 50 } });
    expect(loadConfig({}).TENANT_QUOTAS).toEqual({});
  });

  it('stops at start on TENANT_QUOTAS that is not JSON, or not quotas, naming it', () => {
    expect(() => loadConfig({ TENANT_QUOTAS: '{acme' })).toThrow(/TENANT_QUOTAS: must be JSON/);
    expect(() => loadConfig({ TENANT_QUOTAS: '{"acme": {"perSecond": 5}}' })).toThrow(ConfigError);
  });

  it('keeps 10% of every quota for critical unless told otherwise, at most half', () => {
    expect(loadConfig({}).TENANT_CRITICAL_RESERVE).toBe(0.1);
    expect(loadConfig({ TENANT_CRITICAL_RESERVE: '0' }).TENANT_CRITICAL_RESERVE).toBe(0);
    expect(loadConfig({ TENANT_QUOTAS: '{"acme": {"criticalReserve": 0.25}}' }).TENANT_QUOTAS).toEqual({ acme: { criticalReserve: 0.25 } });
    expect(() => loadConfig({ TENANT_CRITICAL_RESERVE: '0.6' })).toThrow(/TENANT_CRITICAL_RESERVE/);
    expect(() => loadConfig({ TENANT_QUOTAS: '{"acme": {"criticalReserve": -1}}' })).toThrow(ConfigError);
  });

  it('serves one region of several only with every region\'s URL, its own among them', () => {
    expect(loadConfig({}).REGION).toBeUndefined();
    const regions = '{"us": "https://us.example", "eu": "https://eu.example"}';
    expect(loadConfig({ REGION: 'eu', REGIONS: regions })).toMatchObject({ REGION: 'eu', REGIONS: { eu: 'https://eu.example' } });
    expect(() => loadConfig({ REGION: 'eu' })).toThrow(/REGIONS: REGIONS must name REGION/);
    expect(() => loadConfig({ REGION: 'EU West', REGIONS: regions })).toThrow(/REGION/);
  });
});
