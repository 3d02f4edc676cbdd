import { randomBytes } from 'node:crypto';
import { createLogger } from '@herald/service';
import { createCustomerStore, createDataKeys, KEY_RING_SECRET, parseKeyRing } from '@herald/stores';
import { useTestStateStore } from '../../../../test/support/test-state.js';
import { addDevice } from '../domain/profile.js';
import { createProfiles, plainProfile } from './profiles.js';

// Profiles on a real daprd serving the local `records` and `datakeys` components, on a database
// of this file's own: what the store keeps, and read-modify-write at the store's own ETags.

const { sidecar, sql } = await useTestStateStore();
const ring = parseKeyRing(KEY_RING_SECRET, JSON.stringify({ primary: 'k1', keys: { k1: randomBytes(32).toString('base64') } }));
const dataKeys = createDataKeys({ state: sidecar, ring });
const profiles = createProfiles({ customers: createCustomerStore(sidecar), dataKeys, log: createLogger('intake-test', 'silent') });
const token = (n: number): string => `apns-${String(n).padStart(12, '0')}`;
const customer = (): string => `c-${randomBytes(4).toString('hex')}`;

describe('profiles in the store of record', () => {
  it('keeps the values sealed in the row, and shows them opened', async () => {
    const id = customer();
    const email = `${id}@example.com`;
    const put = await profiles.replace('t', id, { email, phone: '+14155550100', devices: [{ token: token(1), platform: 'apns' }] });
    expect(await profiles.view('t', id)).toEqual(put);
    const [[row]] = sql(`SELECT value::text FROM records WHERE key = 'profile|t|${id}'`) as [[string]];
    expect(row).toContain('"updatedAt"');
    for (const value of [email, '+14155550100', token(1)]) expect(row).not.toContain(value);
  });

  it('loses no change to concurrent writers: each one refused at a stale ETag reads again', async () => {
    const id = customer();
    await profiles.replace('t', id, { email: 'jane@example.com' });
    const adds = [1, 2, 3, 4, 5].map((n) =>
      profiles.modify('t', id, (current) => {
        const change = addDevice(current ? plainProfile(current) : {}, { token: token(n), platform: 'apns' });
        return change.added ? { result: 'added', write: change.profile } : { result: 'present' };
      }),
    );
    expect((await Promise.all(adds)).map((a) => a.result)).toEqual(['added', 'added', 'added', 'added', 'added']);
    const view = await profiles.view('t', id);
    expect(view?.devices.map((d) => d.token).sort()).toEqual([1, 2, 3, 4, 5].map(token));
    expect(view?.email).toBe('jane@example.com');
  });

  it('makes a profile once when two writers find none', async () => {
    const id = customer();
    const adds = [1, 2].map((n) =>
      profiles.modify('t', id, (current) => {
        const change = addDevice(current ? plainProfile(current) : {}, { token: token(n), platform: 'apns' });
        return change.added ? { result: 'added', write: change.profile } : { result: 'present' };
      }),
    );
    await Promise.all(adds);
    expect((await profiles.view('t', id))?.devices.map((d) => d.token).sort()).toEqual([token(1), token(2)]);
  });

  it('shows no profile once the customer\'s data key is destroyed', async () => {
    const id = customer();
    await profiles.replace('t', id, { email: 'jane@example.com' });
    expect(await dataKeys.destroy('t', id)).toBe(true);
    expect(await profiles.view('t', id)).toBeUndefined();
  });
});
