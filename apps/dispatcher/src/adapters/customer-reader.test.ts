import type { StatePort } from '@herald/dapr';
import { createLogger } from '@herald/service';
import { createCustomerStore, createPreferencesStore, newDataKey, seal, type CustomerRecords } from '@herald/stores';
import { useTestStateStore } from '../../../../test/support/test-state.js';
import { createCustomerReader, preferencesOf, readOncePerTurn, type CustomerLookup } from './customer-reader.js';

// Against a real daprd serving the local records component, on a database of this file's own.
const { sidecar } = await useTestStateStore();
const log = createLogger('customer-reader-test', 'silent');

/** The sidecar's state API, counting the requests that reach it. */
function counted(state: StatePort) {
  const requests = { count: 0 };
  const port: StatePort = {
    getState: (...args) => (requests.count++, state.getState(...args)),
    getBulkState: (...args) => (requests.count++, state.getBulkState(...args)),
    saveState: (...args) => state.saveState(...args),
    deleteState: (...args) => state.deleteState(...args),
  };
  return { port, requests };
}

const key = newDataKey();
const profile = { email: seal(key, { tenantId: 't', customerId: 'known' }, 'a@example.com'), updatedAt: '2026-11-25T10:00:00.000Z' };

beforeAll(async () => {
  await createCustomerStore(sidecar).putProfile('t', 'known', profile);
  await createPreferencesStore(sidecar).put('t', 'known', { optedOut: ['sms'] });
  await createPreferencesStore(sidecar).put('t', 'prefs-only', { optedOut: ['push'] });
  // The store's marker, made by its first bulk read (bulk-read.ts in the stores).
  await createCustomerStore(sidecar).read('t', 'nobody');
});

describe('customer reader', () => {
  it("answers each customer's own profile and preferences in one sidecar request, and nothing for a customer without any", async () => {
    const { port, requests } = counted(sidecar);
    const read = createCustomerReader(createCustomerStore(port), log);
    expect(await read('t', 'known')).toEqual({ kind: 'found', records: { profile, preferences: { optedOut: ['sms'] } } });
    expect(requests.count).toBe(1);
    expect(await read('t', 'prefs-only')).toEqual({ kind: 'found', records: { preferences: { optedOut: ['push'] } } });
    expect(await read('t', 'nobody')).toEqual({ kind: 'found', records: {} });
    expect(await read('other-tenant', 'known')).toEqual({ kind: 'found', records: {} });
  });

  it('answers unavailable, never an empty record, when the store fails or is too slow', async () => {
    const failing = createCustomerReader({ read: () => Promise.reject(new Error('store down')) }, log);
    expect(await failing('t', 'a')).toEqual({ kind: 'unavailable', reason: 'store down' });
    const slow = createCustomerReader({ read: () => new Promise(() => undefined) }, log, 50);
    expect(await slow('t', 'a')).toEqual({ kind: 'unavailable', reason: 'no answer within 50 ms' });
  });
});

describe('read once per turn', () => {
  it('asks once per customer and gives every later ask the first answer, a failure too', async () => {
    const asked: string[] = [];
    const answers: CustomerLookup[] = [{ kind: 'unavailable', reason: 'store down' }, { kind: 'found', records: {} }];
    const turn = readOncePerTurn(async (tenantId, customerId) => {
      asked.push(`${tenantId}/${customerId}`);
      return answers[asked.length - 1] ?? { kind: 'found', records: {} };
    });
    const [a, b] = await Promise.all([turn('t', 'c'), turn('t', 'c')]);
    expect(a).toEqual({ kind: 'unavailable', reason: 'store down' });
    expect(b).toBe(a);
    expect(await turn('t', 'c')).toBe(a);
    expect(await turn('t', 'other')).toEqual({ kind: 'found', records: {} });
    expect(asked).toEqual(['t/c', 't/other']);
  });

  it('costs one sidecar request for the preferences and then the profile of the same customer', async () => {
    const { port, requests } = counted(sidecar);
    const turn = readOncePerTurn(createCustomerReader(createCustomerStore(port), log));
    const forPreferences = preferencesOf(await turn('t', 'known'));
    const forProfile = await turn('t', 'known');
    expect(forPreferences).toEqual({ kind: 'found', preferences: { optedOut: ['sms'] } });
    expect(forProfile.kind === 'found' && forProfile.records.profile).toEqual(profile);
    expect(requests.count).toBe(1);
  });
});

describe('preferencesOf', () => {
  const found = (records: CustomerRecords): CustomerLookup => ({ kind: 'found', records });

  it('is found, none, or unavailable as the records were', () => {
    expect(preferencesOf(found({ profile, preferences: { timezone: 'Europe/Berlin' } }))).toEqual({ kind: 'found', preferences: { timezone: 'Europe/Berlin' } });
    expect(preferencesOf(found({ profile }))).toEqual({ kind: 'none' });
    expect(preferencesOf({ kind: 'unavailable', reason: 'store down' })).toEqual({ kind: 'unavailable', reason: 'store down' });
  });
});
