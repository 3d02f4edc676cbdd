import { randomBytes } from 'node:crypto';
import { RECORD_STORE } from '@herald/stores';
import { useTestStateStore } from '../../../../test/support/test-state.js';
import { createCustomerHomes, DIRECTORY_KEYS, HomeUnavailable, type CustomerHomes } from './customer-homes.js';

// Against a real daprd and PostgreSQL. The directory is played by the `datakeys` component (a
// table of its own), each region's own records by `records`: what matters is two stores.
const { sidecar, sql } = await useTestStateStore();
const DIRECTORY = 'datakeys';
const regions = { us: 'https://us.herald.example', eu: 'https://eu.herald.example' };

/** One region's intake; every test its own directory key, so no two tests share a customer. */
function region(name: 'us' | 'eu', key: Buffer, recordStore = RECORD_STORE): CustomerHomes {
  return createCustomerHomes({ state: sidecar, region: name, regions, key, store: DIRECTORY, recordStore });
}

describe('customer homes', () => {
  it('homes a new customer where they first arrive, and points every other region there', async () => {
    const key = randomBytes(32);
    expect(await region('eu', key).homeOf('t1', 'anna', { claim: true })).toEqual({ here: true });
    expect(await region('us', key).homeOf('t1', 'anna', { claim: true })).toEqual({ here: false, region: 'eu', baseUrl: regions.eu });
    // Another tenant's customer of the same id is another customer.
    expect(await region('us', key).homeOf('t2', 'anna', { claim: true })).toEqual({ here: true });
  });

  it('agrees on one home when two regions claim a customer at the same moment', async () => {
    const key = randomBytes(32);
    const us = region('us', key);
    const eu = region('eu', key);
    await us.verifyDirectory();
    const answers = await Promise.all(Array.from({ length: 6 }, (_, i) => (i % 2 ? us : eu).homeOf('t1', 'bob', { claim: true })));
    const homes = answers.map((a, i) => (a.here ? (i % 2 ? 'us' : 'eu') : a.region));
    expect(new Set(homes).size).toBe(1);
  });

  it('claims no one on a read: an unknown customer is answered as here, and nothing is written', async () => {
    const key = randomBytes(32);
    expect(await region('us', key).homeOf('t1', 'carol', { claim: false })).toEqual({ here: true });
    expect(await region('eu', key).homeOf('t1', 'carol', { claim: true })).toEqual({ here: true });
  });

  it('keeps no customer id in the directory: a keyed hash and a region name', async () => {
    const key = randomBytes(32);
    await region('us', key).homeOf('tenant-x', 'dora.marker-7c1@example.com', { claim: true });
    const rows = sql(`SELECT key, value::text FROM data_keys WHERE key LIKE 'home|%'`).flat().join('\n');
    expect(rows).toMatch(/home\|[0-9a-f]{40}/);
    expect(rows).not.toContain('dora');
    expect(rows).not.toContain('tenant-x');
  });

  it('refuses to claim, never guesses, once the directory lost its marker; homes it knew still answer', async () => {
    const key = randomBytes(32);
    const us = region('us', key, 'statestore');
    expect(await us.homeOf('t1', 'erin', { claim: true })).toEqual({ here: true });
    const marker = await sidecar.getState<{ id: string }>(DIRECTORY, DIRECTORY_KEYS.marker);
    await sidecar.deleteState(DIRECTORY, DIRECTORY_KEYS.marker);
    try {
      await expect(us.homeOf('t1', 'frank', { claim: true })).rejects.toBeInstanceOf(HomeUnavailable);
      // A read (an erasure, say) of a customer it cannot find does not take them for its own either.
      await expect(us.homeOf('t1', 'frank', { claim: false })).rejects.toBeInstanceOf(HomeUnavailable);
      await expect(us.verifyDirectory()).rejects.toThrow(/lost its marker/);
      expect(await us.homeOf('t1', 'erin', { claim: true })).toEqual({ here: true });
      // Another marker (a directory made anew) is refused alike.
      await sidecar.saveState(DIRECTORY, DIRECTORY_KEYS.marker, { id: 'another', createdAt: new Date().toISOString() });
      await expect(us.verifyDirectory()).rejects.toThrow(/not the one region us knows/);
    } finally {
      await sidecar.saveState(DIRECTORY, DIRECTORY_KEYS.marker, marker?.value);
    }
  });

  it('says it cannot tell when the directory cannot be read', async () => {
    const homes = createCustomerHomes({ state: sidecar, region: 'us', regions, key: randomBytes(32), store: 'no-such-store' });
    await expect(homes.homeOf('t1', 'gus', { claim: true })).rejects.toBeInstanceOf(HomeUnavailable);
  });
});
