import { randomUUID } from 'node:crypto';
import { StateConflict, type StateEntry, type StatePort } from '@herald/dapr';
import type { Erasure, StoredProfile } from '@herald/contracts';
import { useTestStateStore } from '../../../../test/support/test-state.js';
import { BulkReadFailed, PRESENT_KEY } from './bulk-read.js';
import { createCustomerStore } from './customers.js';
import { RECORD_STORE, recordKeys } from './keys.js';
import { createPreferencesStore } from './preferences.js';

// The customer store against a real daprd serving the local `records` component, on a
// PostgreSQL database of this file's own. Each test takes customers of its own.
const { sidecar, sql } = await useTestStateStore();

const TENANT = 'tenant-cu';
const newCustomer = (): string => `c-${randomUUID()}`;

/** The state API as the store sees it, counting each kind of request it makes of the sidecar. */
function counting(state: StatePort = sidecar) {
  const calls = { get: 0, bulk: 0, save: 0, delete: 0 };
  const port: StatePort = {
    getState<T>(store: string, key: string) {
      calls.get++;
      return state.getState<T>(store, key);
    },
    getBulkState<T>(store: string, keys: string[]) {
      calls.bulk++;
      return state.getBulkState<T>(store, keys);
    },
    saveState(store, key, value, opts) {
      calls.save++;
      return state.saveState(store, key, value, opts);
    },
    deleteState(store, key, opts) {
      calls.delete++;
      return state.deleteState(store, key, opts);
    },
  };
  return { port, calls };
}

// The values of a stored profile are sealed strings; their shape is all this store checks.
const sealed = (c: string): string => `s1.AAAAAAAAAAA.${c.repeat(40)}`;
const profile = (c = 'A', updatedAt = '2026-12-01T10:00:00.000Z'): StoredProfile => ({ email: sealed(c), locale: sealed(c), updatedAt });

describe('reading a customer: profile and preferences together', () => {
  const prefs = createPreferencesStore(sidecar);

  it('gives both, from one bulk request to the sidecar', async () => {
    const customerId = newCustomer();
    const writer = createCustomerStore(sidecar);
    await writer.putProfile(TENANT, customerId, profile('B'));
    await prefs.put(TENANT, customerId, { optedOut: ['sms'], timezone: 'Europe/Berlin', quietHours: { start: '22:00', end: '07:00' } });

    // The store's marker (bulk-read.ts) is made by its first bulk read: made before counting.
    await writer.read(TENANT, newCustomer());
    const { port, calls } = counting();
    const found = await createCustomerStore(port).read(TENANT, customerId);
    expect(found).toEqual({ profile: profile('B'), preferences: { optedOut: ['sms'], timezone: 'Europe/Berlin', quietHours: { start: '22:00', end: '07:00' } } });
    expect(calls).toEqual({ get: 0, bulk: 1, save: 0, delete: 0 });
  });

  it('fails, rather than answer "nothing", when the store answers a bulk read without its marker key', async () => {
    const customerId = newCustomer();
    await prefs.put(TENANT, customerId, { optedOut: ['sms'] });
    await createCustomerStore(sidecar).read(TENANT, newCustomer());
    expect(sql(`SELECT value FROM records WHERE key = '${PRESENT_KEY}'`)).toEqual([['{"present": true}']]);
    // What Dapr's PostgreSQL store answers when its query fails after being sent: every key absent.
    const { port, calls } = counting({ ...sidecar, getBulkState: async <T>() => new Map<string, StateEntry<T>>() });
    await expect(createCustomerStore(port).read(TENANT, customerId)).rejects.toBeInstanceOf(BulkReadFailed);
    // The marker is there (a single read, which reports failures, says so): nothing is written.
    expect(calls).toMatchObject({ get: 1, save: 0 });
  });

  it('leaves out what the customer does not have', async () => {
    const store = createCustomerStore(sidecar);
    const onlyProfile = newCustomer();
    await store.putProfile(TENANT, onlyProfile, profile());
    const readOnlyProfile = await store.read(TENANT, onlyProfile);
    expect(readOnlyProfile).toEqual({ profile: profile() });
    expect('preferences' in readOnlyProfile).toBe(false);

    const onlyPrefs = newCustomer();
    await prefs.put(TENANT, onlyPrefs, { optedOut: ['email'] });
    const readOnlyPrefs = await store.read(TENANT, onlyPrefs);
    expect(readOnlyPrefs).toEqual({ preferences: { optedOut: ['email'] } });
    expect('profile' in readOnlyPrefs).toBe(false);

    const nothing = await store.read(TENANT, newCustomer());
    expect(nothing).toEqual({});
    expect(Object.keys(nothing)).toEqual([]);
  });

  it("reads only the named tenant's customer", async () => {
    const customerId = newCustomer();
    const store = createCustomerStore(sidecar);
    await store.putProfile('tenant-cu-a', customerId, profile('A'));
    await prefs.put('tenant-cu-b', customerId, { optedOut: ['push'] });
    expect(await store.read('tenant-cu-a', customerId)).toEqual({ profile: profile('A') });
    expect(await store.read('tenant-cu-b', customerId)).toEqual({ preferences: { optedOut: ['push'] } });
    expect(await store.read('tenant-cu-c', customerId)).toEqual({});
  });

  it('refuses a stored profile that is not one (a value in the clear is not passed on)', async () => {
    const customerId = newCustomer();
    await sidecar.saveState(RECORD_STORE, recordKeys.profile(TENANT, customerId), { email: 'clear@example.com', updatedAt: '2026-12-01T10:00:00.000Z' });
    await expect(createCustomerStore(sidecar).read(TENANT, customerId)).rejects.toThrow();
  });
});

describe('saving a profile', () => {
  it('keeps it under the profile key of the records component, one row a customer', async () => {
    const customerId = newCustomer();
    await createCustomerStore(sidecar).putProfile(TENANT, customerId, profile('C'));
    const rows = sql(`SELECT value->>'email' FROM records WHERE key = '${recordKeys.profile(TENANT, customerId)}'`);
    expect(rows).toEqual([[sealed('C')]]);
  });

  it('at an etag: writes while the profile is at that version, and is StateConflict once it moved', async () => {
    const customerId = newCustomer();
    const store = createCustomerStore(sidecar);
    await store.putProfile(TENANT, customerId, profile('A'));
    const first = await store.profileEntry(TENANT, customerId);
    expect(first?.profile).toEqual(profile('A'));
    expect(first?.etag).toBeTruthy();

    await store.putProfile(TENANT, customerId, profile('B'), first!.etag);
    const second = await store.profileEntry(TENANT, customerId);
    expect(second?.profile).toEqual(profile('B'));
    expect(second?.etag).not.toBe(first!.etag);

    // A writer still holding the first version is refused, and changes nothing.
    await expect(store.putProfile(TENANT, customerId, profile('C'), first!.etag)).rejects.toThrow(StateConflict);
    expect((await store.profileEntry(TENANT, customerId))?.profile).toEqual(profile('B'));
  });

  it('at an etag: lets one of two writers that read the same version win, and refuses the other', async () => {
    const customerId = newCustomer();
    const store = createCustomerStore(sidecar);
    await store.putProfile(TENANT, customerId, profile('A'));
    const { etag } = (await store.profileEntry(TENANT, customerId))!;
    const results = await Promise.allSettled([store.putProfile(TENANT, customerId, profile('B'), etag), store.putProfile(TENANT, customerId, profile('C'), etag)]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(refused).toHaveLength(1);
    expect(refused[0]!.reason).toBeInstanceOf(StateConflict);
    const winner = results[0].status === 'fulfilled' ? profile('B') : profile('C');
    expect((await store.profileEntry(TENANT, customerId))?.profile).toEqual(winner);
  });

  it('at an etag, for a profile that is gone: StateConflict, and nothing written back', async () => {
    const customerId = newCustomer();
    const store = createCustomerStore(sidecar);
    await store.putProfile(TENANT, customerId, profile('A'));
    const { etag } = (await store.profileEntry(TENANT, customerId))!;
    expect(await store.removeProfile(TENANT, customerId)).toBe(true);
    await expect(store.putProfile(TENANT, customerId, profile('B'), etag)).rejects.toThrow(StateConflict);
    expect(await store.profileEntry(TENANT, customerId)).toBeUndefined();
  });

  it('with a null etag: inserts only if absent (StateConflict when there is one, which stays)', async () => {
    const customerId = newCustomer();
    const store = createCustomerStore(sidecar);
    await store.putProfile(TENANT, customerId, profile('A'), null);
    expect((await store.profileEntry(TENANT, customerId))?.profile).toEqual(profile('A'));
    await expect(store.putProfile(TENANT, customerId, profile('B'), null)).rejects.toThrow(StateConflict);
    expect((await store.profileEntry(TENANT, customerId))?.profile).toEqual(profile('A'));
  });

  it('with a null etag: of two first writers at once, exactly one wins', async () => {
    const customerId = newCustomer();
    const store = createCustomerStore(sidecar);
    const results = await Promise.allSettled([store.putProfile(TENANT, customerId, profile('A'), null), store.putProfile(TENANT, customerId, profile('B'), null)]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(results.filter((r) => r.status === 'rejected' && r.reason instanceof StateConflict)).toHaveLength(1);
  });

  it('without an etag: overwrites whatever is there', async () => {
    const customerId = newCustomer();
    const store = createCustomerStore(sidecar);
    await store.putProfile(TENANT, customerId, profile('A'));
    await store.putProfile(TENANT, customerId, profile('B'));
    expect((await store.read(TENANT, customerId)).profile).toEqual(profile('B'));
  });
});

describe('removing a profile', () => {
  it('says whether there was one, and leaves the preferences', async () => {
    const customerId = newCustomer();
    const store = createCustomerStore(sidecar);
    await store.putProfile(TENANT, customerId, profile());
    await createPreferencesStore(sidecar).put(TENANT, customerId, { optedOut: ['sms'] });
    expect(await store.removeProfile(TENANT, customerId)).toBe(true);
    expect(await store.removeProfile(TENANT, customerId)).toBe(false);
    expect(await store.read(TENANT, customerId)).toEqual({ preferences: { optedOut: ['sms'] } });
    expect(await store.profileEntry(TENANT, customerId)).toBeUndefined();
  });
});

describe('erasure records', () => {
  const erasure = (customerId: string): Erasure => ({
    id: `ers_${randomUUID().replaceAll('-', '').slice(0, 26)}`,
    tenantId: TENANT,
    customerId,
    status: 'completed',
    requestedAt: '2026-12-01T10:00:00.000Z',
    requestedBy: 'key_fingerprint',
    completedAt: '2026-12-01T10:00:31.000Z',
    erased: { dataKey: true, profile: true, preferences: false, notificationsFound: 3, notificationsErased: 3, notificationsCanceled: 1 },
  });

  it('keeps one under its tenant, with the time to live given', async () => {
    const store = createCustomerStore(sidecar);
    const record = erasure(newCustomer());
    await store.putErasure(record, 3600);
    expect(await store.getErasure(TENANT, record.id)).toEqual(record);
    expect(await store.getErasure('tenant-cu-other', record.id)).toBeUndefined();
    const [[expires]] = sql(`SELECT extract(epoch FROM expiredate - now())::int FROM records WHERE key = '${recordKeys.erasure(TENANT, record.id)}'`) as [[string]];
    expect(Number(expires)).toBeGreaterThan(3500);
    expect(Number(expires)).toBeLessThanOrEqual(3600);
  });

  it('is undefined for an erasure never made', async () => {
    expect(await createCustomerStore(sidecar).getErasure(TENANT, 'ers_00000000000000000000000000')).toBeUndefined();
  });
});
