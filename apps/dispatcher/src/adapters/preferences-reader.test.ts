import { createLogger } from '@herald/service';
import { createPreferencesStore } from '@herald/stores';
import { useTestStateStore } from '../../../../test/support/test-state.js';
import { createPreferencesReader } from './preferences-reader.js';

// Against a real daprd serving the local records component, on a database of this file's own.
const { sidecar } = await useTestStateStore();
const log = createLogger('preferences-reader-test', 'silent');
const store = createPreferencesStore(sidecar);

describe('preferences reader', () => {
  it("answers each customer's own preferences, and none for a customer without any", async () => {
    await store.put('t', 'quiet', { optedOut: ['sms'] });
    const read = createPreferencesReader(store, log);
    expect(await read('t', 'quiet')).toEqual({ kind: 'found', preferences: { optedOut: ['sms'] } });
    expect(await read('t', 'nobody')).toEqual({ kind: 'none' });
    expect(await read('other-tenant', 'quiet')).toEqual({ kind: 'none' });
  });

  it('answers unavailable, never none, when the store fails or is too slow', async () => {
    const failing = createPreferencesReader({ ...store, get: () => Promise.reject(new Error('store down')) }, log);
    expect(await failing('t', 'a')).toEqual({ kind: 'unavailable', reason: 'store down' });
    const slow = createPreferencesReader({ ...store, get: () => new Promise(() => undefined) }, log, 50);
    expect(await slow('t', 'a')).toEqual({ kind: 'unavailable', reason: 'no answer within 50 ms' });
  });
});
