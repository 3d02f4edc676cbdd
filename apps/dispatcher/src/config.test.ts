import { goDurationMs, loadConfig } from './config.js';

describe('dispatcher config', () => {
  it('reads Go durations as daprd does', () => {
    expect(goDurationMs('5m')).toBe(300_000);
    expect(goDurationMs('1h30m')).toBe(5_400_000);
    expect(goDurationMs('1.5s')).toBe(1_500);
    expect(goDurationMs('250ms')).toBe(250);
    expect(goDurationMs('5 minutes')).toBeUndefined();
    expect(goDurationMs('')).toBeUndefined();
  });

  it('stops at start on an actor idle timeout daprd could not read', () => {
    expect(() => loadConfig({ ACTOR_IDLE_TIMEOUT: '5 min' })).toThrow('ACTOR_IDLE_TIMEOUT');
  });

  it('reads the key ring from the secret store named, by default the local one', () => {
    expect(loadConfig({}).SECRET_STORE).toBe('secretstore');
    expect(loadConfig({ SECRET_STORE: 'vault' }).SECRET_STORE).toBe('vault');
    expect(() => loadConfig({ SECRET_STORE: '' })).toThrow('SECRET_STORE');
  });

  it('has lane defaults that favour critical work', () => {
    const config = loadConfig({});
    expect(config.CRITICAL_CONCURRENCY).toBeGreaterThan(config.BULK_CONCURRENCY);
    expect(config.CRITICAL_BATCH_AWAIT_MS).toBeLessThan(config.BULK_BATCH_AWAIT_MS);
  });
});
