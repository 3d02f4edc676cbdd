import { randomBytes, randomUUID } from 'node:crypto';
import type { StatePort } from '@herald/dapr';
import { useTestStateStore } from '../../../../test/support/test-state.js';
import { createDataKeys, DATA_KEY_CACHE_TTL_MS, dataKeyKey, KEY_STORE, type DataKeysOptions } from './data-keys.js';
import { open, seal, Undecryptable, type DataKey } from './envelope.js';
import { KEY_RING_SECRET, KeyRingUnknownVersion, parseKeyRing, WrappedDataKeySchema, type KeyRing } from './key-ring.js';

// The customers' data keys against the real store of record: a daprd of this file's own with
// the `datakeys` component, on a PostgreSQL database of its own. Each test takes customers of
// its own, so the tests share the store without seeing each other's keys.
const { sidecar, sql } = await useTestStateStore();

const k1 = randomBytes(32).toString('base64');
const k2 = randomBytes(32).toString('base64');
const ringOf = (primary: string, keys: Record<string, string>): KeyRing => parseKeyRing(KEY_RING_SECRET, JSON.stringify({ primary, keys }));
/** Before a rotation, during it (k2 primary, k1 still opens), and once k1 is retired. */
const ringK1 = ringOf('k1', { k1 });
const ringK1K2 = ringOf('k2', { k1, k2 });
const ringK2 = ringOf('k2', { k2 });

const TENANT = 'tenant-dk';
const newCustomer = (): string => `c-${randomUUID()}`;

/** A replica's view of the state API that counts the requests it makes of the sidecar. */
function counting(state: StatePort = sidecar) {
  const calls = { get: 0, save: 0, delete: 0 };
  const port: StatePort = {
    getState<T>(store: string, key: string) {
      calls.get++;
      return state.getState<T>(store, key);
    },
    getBulkState: <T>(store: string, keys: string[]) => state.getBulkState<T>(store, keys),
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

/** A clock the test moves by hand. */
function clock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

const replica = (opts: Partial<DataKeysOptions> = {}) => createDataKeys({ state: sidecar, ring: ringK1, ...opts });

/** The stored row of the customer's key, as PostgreSQL keeps it (text), or undefined. */
function row(customerId: string, tenantId = TENANT): string | undefined {
  return sql(`SELECT value FROM data_keys WHERE key = '${dataKeyKey(tenantId, customerId)}'`)[0]?.[0];
}

const sameKey = (a: DataKey | undefined, b: DataKey | undefined): boolean => !!a && !!b && a.id === b.id && a.key.equals(b.key);

describe('making a customer data key', () => {
  it('makes it once, stores it wrapped, and gives the same key from the cache and, once that expires, from the store', async () => {
    const time = clock();
    const { port, calls } = counting();
    const keys = replica({ state: port, now: time.now });
    const customerId = newCustomer();
    const first = await keys.forSealing(TENANT, customerId);
    expect(first.id).toMatch(/^[A-Za-z0-9_-]{11}$/);
    expect(first.key).toHaveLength(32);
    expect(calls.save).toBe(1);

    // From the cache: no request at all.
    const readsBefore = calls.get;
    time.advance(DATA_KEY_CACHE_TTL_MS - 1);
    expect(sameKey(await keys.forSealing(TENANT, customerId), first)).toBe(true);
    expect(calls.get).toBe(readsBefore);

    // The cache forgot it: read from the store, unwrapped to the same key, nothing new made.
    time.advance(1);
    expect(sameKey(await keys.forSealing(TENANT, customerId), first)).toBe(true);
    expect(calls.get).toBe(readsBefore + 1);
    expect(calls.save).toBe(1);

    // Another replica, which never saw it made, finds the same key.
    expect(sameKey(await replica().forSealing(TENANT, customerId), first)).toBe(true);
    expect(sql(`SELECT count(*) FROM data_keys WHERE key = '${dataKeyKey(TENANT, customerId)}'`)).toEqual([['1']]);
  });

  it('agrees on one key when replicas make one for a new customer at once (the first write wins)', async () => {
    const customerId = newCustomer();
    const a = replica();
    const b = replica();
    const made = await Promise.all(Array.from({ length: 8 }, (_, i) => (i % 2 ? a : b).forSealing(TENANT, customerId)));
    for (const key of made) expect(sameKey(key, made[0])).toBe(true);
    // And it is the one stored: a replica starting afresh reads it.
    expect(sameKey(await replica().forOpening(TENANT, customerId, made[0]!.id), made[0])).toBe(true);
    // What each sealed, the others open.
    const sealed = seal(made[1]!, { tenantId: TENANT, customerId }, 'x');
    expect(open((await a.forOpening(TENANT, customerId, made[1]!.id))!, { tenantId: TENANT, customerId }, sealed)).toBe('x');
  });

  it('agrees on one key across many customers made at once by two replicas', async () => {
    const customers = Array.from({ length: 10 }, newCustomer);
    const a = replica();
    const b = replica();
    const [fromA, fromB] = await Promise.all([Promise.all(customers.map((c) => a.forSealing(TENANT, c))), Promise.all(customers.map((c) => b.forSealing(TENANT, c)))]);
    customers.forEach((_, i) => expect(sameKey(fromA[i], fromB[i])).toBe(true));
    expect(new Set(fromA.map((k) => k.id)).size).toBe(customers.length);
  });

  it('keeps no plaintext key bytes in the stored row: only the key wrapped under the primary KEK', async () => {
    const customerId = newCustomer();
    const key = await replica().forSealing(TENANT, customerId);
    const stored = row(customerId);
    expect(stored).toBeDefined();
    const wrapped = WrappedDataKeySchema.parse(JSON.parse(stored!));
    expect(wrapped).toMatchObject({ v: 1, id: key.id, kek: 'k1' });
    for (const form of [key.key.toString('base64'), key.key.toString('base64url'), key.key.toString('hex'), key.key.toString('hex').toUpperCase(), key.key.toString('base64').slice(0, 12), key.key.toString('hex').slice(0, 16)]) {
      expect(stored).not.toContain(form);
    }
    // Nor the KEK, nor anywhere else in the table.
    const table = sql(`SELECT key, value::text FROM data_keys`).flat().join('\n');
    for (const form of [key.key.toString('base64'), key.key.toString('base64url'), key.key.toString('hex'), k1, Buffer.from(k1, 'base64').toString('hex')]) {
      expect(table).not.toContain(form);
    }
  });

  it('keeps one key per customer per tenant: the same customer id in two tenants has two keys', async () => {
    const customerId = newCustomer();
    const keys = replica();
    const a = await keys.forSealing('tenant-dk-a', customerId);
    const b = await keys.forSealing('tenant-dk-b', customerId);
    expect(a.id).not.toBe(b.id);
    expect(a.key.equals(b.key)).toBe(false);
  });
});

describe('opening with a customer data key', () => {
  it('gives the key with that id, and nothing for another id or for a customer without a key (making none)', async () => {
    const customerId = newCustomer();
    const key = await replica().forSealing(TENANT, customerId);
    const fresh = replica();
    expect(sameKey(await fresh.forOpening(TENANT, customerId, key.id), key)).toBe(true);
    expect(await fresh.forOpening(TENANT, customerId, 'AAAAAAAAAAA')).toBeUndefined();
    const nobody = newCustomer();
    expect(await fresh.forOpening(TENANT, nobody, key.id)).toBeUndefined();
    expect(row(nobody)).toBeUndefined();
  });

  it('throws Undecryptable (KeyRingUnknownVersion) for a key wrapped under a KEK the ring no longer holds', async () => {
    const customerId = newCustomer();
    const key = await replica().forSealing(TENANT, customerId);
    const retired = replica({ ring: ringK2 });
    await expect(retired.forOpening(TENANT, customerId, key.id)).rejects.toThrow(KeyRingUnknownVersion);
    // Not cached as absent either: asked again, it fails again.
    await expect(retired.forOpening(TENANT, customerId, key.id)).rejects.toThrow(Undecryptable);
  });

  it('throws Undecryptable for a wrapped key copied into another customer\'s row (it is bound to its owner)', async () => {
    const owner = newCustomer();
    const thief = newCustomer();
    const key = await replica().forSealing(TENANT, owner);
    const entry = await sidecar.getState<unknown>(KEY_STORE, dataKeyKey(TENANT, owner));
    await sidecar.saveState(KEY_STORE, dataKeyKey(TENANT, thief), entry!.value);
    await expect(replica().forOpening(TENANT, thief, key.id)).rejects.toThrow(Undecryptable);
    await expect(replica().forSealing(TENANT, thief)).rejects.toThrow(Undecryptable);
  });
});

describe('destroying a customer data key (crypto-shredding)', () => {
  it('makes what it sealed unopenable for good; a later key is a new one with another id', async () => {
    const customerId = newCustomer();
    const ctx = { tenantId: TENANT, customerId };
    const keys = replica();
    const old = await keys.forSealing(TENANT, customerId);
    const sealed = seal(old, ctx, 'old@example.com');

    expect(await keys.destroy(TENANT, customerId)).toBe(true);
    expect(row(customerId)).toBeUndefined();
    // Gone at once on the replica that destroyed it, and on any that did not have it cached.
    expect(await keys.forOpening(TENANT, customerId, old.id)).toBeUndefined();
    expect(await replica().forOpening(TENANT, customerId, old.id)).toBeUndefined();
    // A second erasure finds nothing.
    expect(await keys.destroy(TENANT, customerId)).toBe(false);

    const next = await keys.forSealing(TENANT, customerId);
    expect(next.id).not.toBe(old.id);
    expect(next.key.equals(old.key)).toBe(false);
    expect(WrappedDataKeySchema.parse(JSON.parse(row(customerId)!)).id).toBe(next.id);
    // The old value names the old key, which is gone: nothing opens it, the new key included.
    expect(await keys.forOpening(TENANT, customerId, old.id)).toBeUndefined();
    expect(await replica().forOpening(TENANT, customerId, old.id)).toBeUndefined();
    expect(() => open(next, ctx, sealed)).toThrow(Undecryptable);
    expect(() => open({ id: old.id, key: next.key }, ctx, sealed)).toThrow(Undecryptable);
  });

  it('forgets the key here even when a read of it, begun before, lands after', async () => {
    const customerId = newCustomer();
    const key = await replica().forSealing(TENANT, customerId);
    // The first read of this replica gets its answer from the store, then is held until the
    // erasure has returned: a slow sidecar answer, as under load.
    let fetched!: () => void;
    const wasFetched = new Promise<void>((resolve) => (fetched = resolve));
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let held = false;
    const slow: StatePort = {
      ...counting().port,
      getState: async <T>(store: string, k: string) => {
        const got = await sidecar.getState<T>(store, k);
        if (!held) {
          held = true;
          fetched();
          await released;
        }
        return got;
      },
    };
    const keys = replica({ state: slow });
    const before = keys.forOpening(TENANT, customerId, key.id);
    await wasFetched;
    expect(await keys.destroy(TENANT, customerId)).toBe(true);
    release();
    // The read begun before the erasure answers no key (it landed after the destroy); nothing
    // asked after the destroy returned may see the key either.
    expect(await before).toBeUndefined();
    expect(await keys.forOpening(TENANT, customerId, key.id)).toBeUndefined();
    expect((await keys.forSealing(TENANT, customerId)).id).not.toBe(key.id);
  });

  it('says false for a customer who never had a key', async () => {
    expect(await replica().destroy(TENANT, newCustomer())).toBe(false);
  });

  it('is seen by another replica once its cache forgets the key, and not before, when no announcement reaches it', async () => {
    const customerId = newCustomer();
    const time = clock();
    const { port, calls } = counting();
    const other = replica({ state: port, now: time.now });
    const key = await other.forSealing(TENANT, customerId);

    expect(await replica().destroy(TENANT, customerId)).toBe(true);
    const reads = calls.get;
    time.advance(DATA_KEY_CACHE_TTL_MS - 1);
    expect(sameKey(await other.forOpening(TENANT, customerId, key.id), key)).toBe(true);
    expect(calls.get).toBe(reads);
    time.advance(1);
    expect(await other.forOpening(TENANT, customerId, key.id)).toBeUndefined();
    expect(calls.get).toBe(reads + 1);
  });

  it('honours a shorter cacheTtlMs, and forget() drops every cached key at once', async () => {
    const customerId = newCustomer();
    const time = clock();
    const other = replica({ now: time.now, cacheTtlMs: 10 });
    const key = await other.forSealing(TENANT, customerId);
    expect(await replica().destroy(TENANT, customerId)).toBe(true);
    time.advance(9);
    expect(sameKey(await other.forOpening(TENANT, customerId, key.id), key)).toBe(true);
    other.forget();
    expect(await other.forOpening(TENANT, customerId, key.id)).toBeUndefined();
  });
});

describe('the cache of unwrapped keys', () => {
  it('holds at most maxCached keys, forgetting the oldest first', async () => {
    const { port, calls } = counting();
    const keys = replica({ state: port, maxCached: 2 });
    const [a, b, c] = [newCustomer(), newCustomer(), newCustomer()];
    const ka = await keys.forSealing(TENANT, a);
    await keys.forSealing(TENANT, b);
    const kc = await keys.forSealing(TENANT, c);
    const reads = calls.get;
    expect(sameKey(await keys.forOpening(TENANT, c, kc.id), kc)).toBe(true);
    expect(calls.get).toBe(reads);
    expect(sameKey(await keys.forOpening(TENANT, a, ka.id), ka)).toBe(true);
    expect(calls.get).toBe(reads + 1);
  });

  it('shares one read among the callers asking for the same key at once', async () => {
    const customerId = newCustomer();
    const key = await replica().forSealing(TENANT, customerId);
    const { port, calls } = counting();
    const keys = replica({ state: port });
    const got = await Promise.all(Array.from({ length: 5 }, () => keys.forOpening(TENANT, customerId, key.id)));
    for (const k of got) expect(sameKey(k, key)).toBe(true);
    expect(calls.get).toBe(1);
  });
});

/** Announcements as the apps hear them, moved by hand: trusted or not, a drop heard, a lapse ended. */
function fakeDrops(opts: { announced?: boolean } = {}) {
  const drops: Array<(key: string) => void> = [];
  const resumes: Array<() => void> = [];
  const fake = {
    trusted: true,
    announced: [] as string[],
    live: () => fake.trusted,
    announce: async (key: string) => {
      fake.announced.push(key);
      return opts.announced ?? true;
    },
    onDrop: (fn: (key: string) => void) => void drops.push(fn),
    onResume: (fn: () => void) => void resumes.push(fn),
    forgottenWithinMs: 12_000,
    close: async () => undefined,
    hear: (key: string) => drops.forEach((fn) => fn(key)),
    resume: () => resumes.forEach((fn) => fn()),
  };
  return fake;
}

describe('forgetting a destroyed key everywhere (announcements)', () => {
  it('forgets a key at once when its destruction is heard, long before the TTL', async () => {
    const customerId = newCustomer();
    const drops = fakeDrops();
    const { port, calls } = counting();
    const other = replica({ state: port, drops });
    const key = await other.forSealing(TENANT, customerId);
    const reads = calls.get;
    expect(sameKey(await other.forOpening(TENANT, customerId, key.id), key)).toBe(true);
    expect(calls.get).toBe(reads);

    expect(await replica().destroy(TENANT, customerId)).toBe(true);
    drops.hear(dataKeyKey(TENANT, customerId));
    expect(await other.forOpening(TENANT, customerId, key.id)).toBeUndefined();
    expect(calls.get).toBe(reads + 1);
  });

  it('announces its own destruction, and answers how long until every process forgot: the bound when announced, the TTL when not', async () => {
    const customerId = newCustomer();
    const drops = fakeDrops();
    const keys = replica({ drops });
    await keys.forSealing(TENANT, customerId);
    expect(await keys.destroy(TENANT, customerId)).toBe(true);
    expect(drops.announced).toEqual([dataKeyKey(TENANT, customerId)]);
    expect(await keys.forgetEverywhere(TENANT, customerId)).toBe(12_000);
    expect(await replica({ drops: fakeDrops({ announced: false }) }).forgetEverywhere(TENANT, customerId)).toBe(DATA_KEY_CACHE_TTL_MS);
    expect(await replica({ cacheTtlMs: 5 }).forgetEverywhere(TENANT, customerId)).toBe(5);
  });

  it('neither uses nor keeps a cached key while announcements may be missed, and starts empty when they are heard again', async () => {
    const customerId = newCustomer();
    const drops = fakeDrops();
    const { port, calls } = counting();
    const keys = replica({ state: port, drops });
    const key = await keys.forSealing(TENANT, customerId);
    let reads = calls.get;

    drops.trusted = false;
    for (let i = 0; i < 2; i++) expect(sameKey(await keys.forOpening(TENANT, customerId, key.id), key)).toBe(true);
    expect(calls.get).toBe(reads + 2);

    // Trusted again only after a lapse ends, which empties the cache: one read, then cached.
    drops.resume();
    drops.trusted = true;
    reads = calls.get;
    for (let i = 0; i < 2; i++) expect(sameKey(await keys.forOpening(TENANT, customerId, key.id), key)).toBe(true);
    expect(calls.get).toBe(reads + 1);
    drops.resume();
    expect(sameKey(await keys.forOpening(TENANT, customerId, key.id), key)).toBe(true);
    expect(calls.get).toBe(reads + 2);
  });

  it('does not keep a key whose read a destruction or a lapse overtook', async () => {
    const customerId = newCustomer();
    const key = await replica().forSealing(TENANT, customerId);
    const drops = fakeDrops();
    const { port, calls } = counting();
    const keys = replica({ state: port, drops });

    // Destroyed while being read: the read answers that it is gone.
    const dropped = keys.forOpening(TENANT, customerId, key.id);
    drops.hear(dataKeyKey(TENANT, customerId));
    expect(await dropped).toBeUndefined();

    // A lapse while being read: the key is used once but not kept.
    const lapsed = keys.forOpening(TENANT, customerId, key.id);
    drops.resume();
    expect(sameKey(await lapsed, key)).toBe(true);
    const reads = calls.get;
    expect(sameKey(await keys.forOpening(TENANT, customerId, key.id), key)).toBe(true);
    expect(calls.get).toBe(reads + 1);
  });
});

describe('rewrapping a data key under the primary KEK', () => {
  it('moves a key from k1 to k2, keeping its id, bytes and age; then a ring holding only k2 opens it', async () => {
    const customerId = newCustomer();
    const key = await replica({ ring: ringK1 }).forSealing(TENANT, customerId);
    const before = WrappedDataKeySchema.parse(JSON.parse(row(customerId)!));
    expect(before.kek).toBe('k1');

    expect(await replica({ ring: ringK1K2 }).rewrap(TENANT, customerId)).toBe(true);
    const after = WrappedDataKeySchema.parse(JSON.parse(row(customerId)!));
    expect(after).toMatchObject({ v: 1, id: key.id, kek: 'k2', createdAt: before.createdAt });
    expect(after.wrapped).not.toBe(before.wrapped);

    // k1 retired: the rewrapped key still opens, and what it sealed before the rotation with it.
    const retiredK1 = replica({ ring: ringK2 });
    const opened = await retiredK1.forOpening(TENANT, customerId, key.id);
    expect(sameKey(opened, key)).toBe(true);
    const ctx = { tenantId: TENANT, customerId };
    expect(open(opened!, ctx, seal(key, ctx, 'sealed before'))).toBe('sealed before');
    // Nor is k1 any use on it now.
    expect(() => ringK1.unwrap(after, `${TENANT}|${customerId}`)).toThrow(KeyRingUnknownVersion);
  });

  it('is a no-op for a key already under the primary: nothing written', async () => {
    const customerId = newCustomer();
    await replica({ ring: ringK1K2 }).forSealing(TENANT, customerId);
    const stored = row(customerId);
    const { port, calls } = counting();
    expect(await replica({ state: port, ring: ringK1K2 }).rewrap(TENANT, customerId)).toBe(false);
    expect(calls.save).toBe(0);
    expect(row(customerId)).toBe(stored);
    // Rewrapped once, a second pass changes nothing either.
    const older = newCustomer();
    await replica({ ring: ringK1 }).forSealing(TENANT, older);
    expect(await replica({ ring: ringK1K2 }).rewrap(TENANT, older)).toBe(true);
    const once = row(older);
    expect(await replica({ ring: ringK1K2 }).rewrap(TENANT, older)).toBe(false);
    expect(row(older)).toBe(once);
  });

  it('is a no-op for a customer without a key, and makes none', async () => {
    const customerId = newCustomer();
    expect(await replica({ ring: ringK1K2 }).rewrap(TENANT, customerId)).toBe(false);
    expect(row(customerId)).toBeUndefined();
  });

  it('does not resurrect a destroyed key', async () => {
    const customerId = newCustomer();
    const key = await replica({ ring: ringK1 }).forSealing(TENANT, customerId);
    expect(await replica().destroy(TENANT, customerId)).toBe(true);
    expect(await replica({ ring: ringK1K2 }).rewrap(TENANT, customerId)).toBe(false);
    expect(row(customerId)).toBeUndefined();
    expect(await replica({ ring: ringK1K2 }).forOpening(TENANT, customerId, key.id)).toBeUndefined();
  });

  it('does not resurrect a key destroyed between its read and its write', async () => {
    const customerId = newCustomer();
    const key = await replica({ ring: ringK1 }).forSealing(TENANT, customerId);
    // The rewrap's first read returns the key; before the rewrap writes, the erasure runs.
    let erased = false;
    const racing: StatePort = {
      ...counting().port,
      getState: async <T>(store: string, k: string) => {
        const got = await sidecar.getState<T>(store, k);
        if (!erased) {
          erased = true;
          expect(await replica().destroy(TENANT, customerId)).toBe(true);
        }
        return got;
      },
    };
    expect(await replica({ state: racing, ring: ringK1K2 }).rewrap(TENANT, customerId)).toBe(false);
    expect(erased).toBe(true);
    expect(row(customerId)).toBeUndefined();
    expect(await replica({ ring: ringK1K2 }).forOpening(TENANT, customerId, key.id)).toBeUndefined();
  });

  it('keeps a key made again meanwhile (the write is at the version it read)', async () => {
    const customerId = newCustomer();
    await replica({ ring: ringK1 }).forSealing(TENANT, customerId);
    let remade: DataKey | undefined;
    const racing: StatePort = {
      ...counting().port,
      getState: async <T>(store: string, k: string) => {
        const got = await sidecar.getState<T>(store, k);
        if (!remade) {
          await replica().destroy(TENANT, customerId);
          remade = await replica({ ring: ringK1 }).forSealing(TENANT, customerId);
        }
        return got;
      },
    };
    // The first attempt is refused; the second reads the new key (under k1) and rewraps that one.
    expect(await replica({ state: racing, ring: ringK1K2 }).rewrap(TENANT, customerId)).toBe(true);
    const stored = WrappedDataKeySchema.parse(JSON.parse(row(customerId)!));
    expect(stored).toMatchObject({ id: remade!.id, kek: 'k2' });
    expect(sameKey(await replica({ ring: ringK2 }).forOpening(TENANT, customerId, remade!.id), remade)).toBe(true);
  });
});
