import { randomBytes } from 'node:crypto';
import type { SecretPort } from '@herald/dapr';
import { newDataKey, Undecryptable } from './envelope.js';
import { KEY_RING_SECRET, KeyRingInvalid, KeyRingUnknownVersion, loadKeyRing, parseKeyRing, WrappedDataKeySchema, type KeyRing } from './key-ring.js';

// The region's key-encryption keys: how their secret is read (and refused), and what rotating
// and retiring a version does to the data keys wrapped under it.

const k1 = randomBytes(32).toString('base64');
const k2 = randomBytes(32).toString('base64');
const ringText = (primary: string, keys: Record<string, string>) => JSON.stringify({ primary, keys });
const ring = (primary: string, keys: Record<string, string>): KeyRing => parseKeyRing(KEY_RING_SECRET, ringText(primary, keys));

/** What parseKeyRing throws for this text (failing the test when it throws nothing). */
function refusal(text: string | undefined): KeyRingInvalid {
  try {
    parseKeyRing(KEY_RING_SECRET, text);
  } catch (err) {
    expect(err).toBeInstanceOf(KeyRingInvalid);
    return err as KeyRingInvalid;
  }
  throw new Error('the key ring was accepted');
}

/** Every form of a key's bytes that a message could carry. */
function formsOf(b64: string): string[] {
  const bytes = Buffer.from(b64, 'base64');
  return [b64, bytes.toString('base64url'), bytes.toString('hex'), b64.slice(0, 16), bytes.toString('base64url').slice(0, 16), bytes.toString('hex').slice(0, 16)];
}

describe('reading the key ring secret', () => {
  it('takes a valid ring: its primary, and every version it holds', () => {
    const r = ring('k2', { k1, k2 });
    expect(r.primary).toBe('k2');
    expect([...r.versions].sort()).toEqual(['k1', 'k2']);
  });

  it('takes keys in base64url as well as base64 (both decode to the same 32 bytes)', () => {
    const r = ring('k1', { k1: Buffer.from(k1, 'base64').toString('base64url') });
    const dk = newDataKey();
    expect(ring('k1', { k1 }).unwrap(r.wrap(dk, 'o'), 'o').key.equals(dk.key)).toBe(true);
  });

  it.each<[string, string | undefined, RegExp]>([
    ['absent', undefined, /not found in the secret store/],
    ['empty', '', /not found in the secret store/],
    ['not JSON', '{"primary":"k1","keys":{"k1":', /is not JSON/],
    ['JSON but not an object', '"k1"', /is not a key ring/],
    ['JSON null', 'null', /is not a key ring/],
    ['without a primary', JSON.stringify({ keys: { k1 } }), /is not a key ring: "primary" must be/],
    ['without keys', JSON.stringify({ primary: 'k1' }), /is not a key ring: "keys" must be/],
    ['a key that is not a string', JSON.stringify({ primary: 'k1', keys: { k1: 5 } }), /is not a key ring: a key in "keys" is not a base64 string/],
    ['a field of its own', JSON.stringify({ primary: 'k1', keys: { k1 }, extra: true }), /is not a key ring/],
    ['a version name with a space', JSON.stringify({ primary: 'k1', keys: { k1, 'k 2': k2 } }), /is not a key ring/],
    ['a primary name with a slash', JSON.stringify({ primary: 'k/1', keys: { k1 } }), /is not a key ring: "primary" must be/],
    ['a key of 16 bytes', ringText('k1', { k1: randomBytes(16).toString('base64') }), /key k1 is 16 bytes, not 32/],
    ['a key of 33 bytes', ringText('k1', { k1, k2: randomBytes(33).toString('base64') }), /key k2 is 33 bytes, not 32/],
    ['a key given in hex', ringText('k1', { k1: randomBytes(32).toString('hex') }), /key k1 is 48 bytes, not 32/],
    ['an empty key', ringText('k1', { k1: '' }), /key k1 is 0 bytes, not 32/],
    ['no keys at all', ringText('k1', {}), /primary k1 is not among its keys/],
    ['a primary it does not hold', ringText('k3', { k1, k2 }), /primary k3 is not among its keys/],
  ])('refuses a secret %s, naming the secret and the problem', (_what, text, problem) => {
    const err = refusal(text);
    expect(err.name).toBe('KeyRingInvalid');
    expect(err.message).toMatch(new RegExp(`^secret ${KEY_RING_SECRET}: `));
    expect(err.message).toMatch(problem);
  });

  it('names the secret it was given, not only the default one', () => {
    expect(() => parseKeyRing('OTHER_RING', undefined)).toThrow(/^secret OTHER_RING: /);
  });

  it('never puts key material in its message, however the secret is wrong', () => {
    const material = randomBytes(32).toString('base64');
    const short = randomBytes(20).toString('base64');
    const texts = [
      ringText('k9', { k1: material }),
      ringText('k1', { k1: short }),
      ringText('k1', { k1: material, k2: short }),
      ringText('k1', { k1: material }).slice(0, -3),
      JSON.stringify({ primary: 'k1', keys: { k1: material }, k1: material }),
      JSON.stringify({ primary: material, keys: { k1: material } }),
      JSON.stringify({ primary: 'k1', keys: [material] }),
      JSON.stringify({ primary: 'k1', keys: { k1: [material] } }),
    ];
    for (const text of texts) {
      const { message } = refusal(text);
      for (const form of [...formsOf(material), ...formsOf(short)]) expect(message).not.toContain(form);
    }
  });

  it('never puts key material in its message when a key stands where a version name belongs', () => {
    // Name and key swapped by hand, or a key pasted in as a name: a slip an operator makes, and
    // the message goes to the logs of every app that refuses to start.
    const material = randomBytes(32).toString('base64');
    for (const text of [
      JSON.stringify({ primary: 'k1', keys: { [material]: 'k1' } }),
      JSON.stringify({ primary: 'k1', keys: { k1: material, [material]: material } }),
      JSON.stringify({ primary: 'k1', keys: { k1: material }, [material]: 'k2' }),
    ]) {
      const { message } = refusal(text);
      for (const form of formsOf(material)) expect(message).not.toContain(form);
    }
  });
});

describe('loading the key ring from the secret store', () => {
  const secrets = (values: Record<string, string>): SecretPort => ({
    async getSecret(_store, name) {
      return name in values ? { [name]: values[name]! } : {};
    },
  });

  it('reads KEY_ENCRYPTION_KEYS from the named store', async () => {
    const r = await loadKeyRing(secrets({ [KEY_RING_SECRET]: ringText('k1', { k1 }) }), 'secretstore');
    expect(r.primary).toBe('k1');
  });

  it('refuses to start without it, naming it', async () => {
    await expect(loadKeyRing(secrets({}), 'secretstore')).rejects.toThrow(new KeyRingInvalid(KEY_RING_SECRET, 'not found in the secret store (it holds the key-encryption keys)'));
  });
});

describe('wrapping data keys', () => {
  const owner = 'tenant-a|cust-1';

  it('unwraps what it wrapped, for its owner, to the same id and bytes', () => {
    const r = ring('k1', { k1 });
    const dk = newDataKey();
    const wrapped = r.wrap(dk, owner, new Date('2026-12-01T10:00:00.000Z'));
    expect(WrappedDataKeySchema.parse(wrapped)).toEqual(wrapped);
    expect(wrapped).toMatchObject({ v: 1, id: dk.id, kek: 'k1', createdAt: '2026-12-01T10:00:00.000Z' });
    const back = r.unwrap(wrapped, owner);
    expect(back.id).toBe(dk.id);
    expect(back.key.equals(dk.key)).toBe(true);
  });

  it('keeps the data key out of sight: nothing of it in the wrapped form', () => {
    const dk = newDataKey();
    const text = JSON.stringify(ring('k1', { k1 }).wrap(dk, owner));
    for (const form of [dk.key.toString('base64'), dk.key.toString('base64url'), dk.key.toString('hex')]) expect(text).not.toContain(form);
    for (const form of formsOf(k1)) expect(text).not.toContain(form);
  });

  it('wraps each time anew (a random iv), and each opens', () => {
    const r = ring('k1', { k1 });
    const dk = newDataKey();
    const a = r.wrap(dk, owner);
    const b = r.wrap(dk, owner);
    expect(a.wrapped).not.toBe(b.wrapped);
    expect(r.unwrap(a, owner).key.equals(r.unwrap(b, owner).key)).toBe(true);
  });

  it('wraps under the primary only', () => {
    const dk = newDataKey();
    expect(ring('k2', { k1, k2 }).wrap(dk, owner).kek).toBe('k2');
    expect(ring('k1', { k1, k2 }).wrap(dk, owner).kek).toBe('k1');
  });

  it('binds a wrapped key to its owner: copied to another customer or tenant, it does not open', () => {
    const r = ring('k1', { k1 });
    const wrapped = r.wrap(newDataKey(), owner);
    expect(() => r.unwrap(wrapped, 'tenant-a|cust-2')).toThrow(Undecryptable);
    expect(() => r.unwrap(wrapped, 'tenant-b|cust-1')).toThrow(Undecryptable);
    expect(() => r.unwrap(wrapped, '')).toThrow(Undecryptable);
  });

  it('binds a wrapped key to its id: relabelled, it does not open', () => {
    const r = ring('k1', { k1 });
    const wrapped = r.wrap(newDataKey(), owner);
    expect(() => r.unwrap({ ...wrapped, id: newDataKey().id }, owner)).toThrow(Undecryptable);
  });

  it('refuses a wrapped key that was tampered with, or swapped to another version it holds', () => {
    const r = ring('k1', { k1, k2 });
    const wrapped = r.wrap(newDataKey(), owner);
    const box = Buffer.from(wrapped.wrapped, 'base64url');
    for (const at of [0, 12, box.length - 1]) {
      const copy = Buffer.from(box);
      copy[at] = copy[at]! ^ 1;
      expect(() => r.unwrap({ ...wrapped, wrapped: copy.toString('base64url') }, owner)).toThrow(Undecryptable);
    }
    expect(() => r.unwrap({ ...wrapped, wrapped: box.subarray(0, 20).toString('base64url') }, owner)).toThrow(Undecryptable);
    expect(() => r.unwrap({ ...wrapped, kek: 'k2' }, owner)).toThrow(Undecryptable);
  });

  it('does not open under a ring of the same version name with other key bytes (another region)', () => {
    const wrapped = ring('k1', { k1 }).wrap(newDataKey(), owner);
    expect(() => ring('k1', { k1: k2 }).unwrap(wrapped, owner)).toThrow(Undecryptable);
  });
});

describe('rotating and retiring a key-encryption key', () => {
  const owner = 'tenant-a|cust-1';
  const before = ring('k1', { k1 });
  const rotated = ring('k2', { k1, k2 });
  const retired = ring('k2', { k2 });

  it('still opens a data key wrapped under k1 once k2 is primary', () => {
    const dk = newDataKey();
    const wrapped = before.wrap(dk, owner);
    expect(rotated.unwrap(wrapped, owner).key.equals(dk.key)).toBe(true);
  });

  it('opens a data key rewrapped under k2 with a ring that holds only k2', () => {
    const dk = newDataKey();
    const underK1 = before.wrap(dk, owner);
    const underK2 = { ...rotated.wrap(rotated.unwrap(underK1, owner), owner), createdAt: underK1.createdAt };
    expect(underK2.kek).toBe('k2');
    expect(underK2.id).toBe(dk.id);
    const back = retired.unwrap(underK2, owner);
    expect(back.id).toBe(dk.id);
    expect(back.key.equals(dk.key)).toBe(true);
  });

  it('refuses a data key under a retired version with KeyRingUnknownVersion, an Undecryptable that names it', () => {
    const wrapped = before.wrap(newDataKey(), owner);
    let caught: unknown;
    try {
      retired.unwrap(wrapped, owner);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(KeyRingUnknownVersion);
    expect(caught).toBeInstanceOf(Undecryptable);
    expect((caught as KeyRingUnknownVersion).name).toBe('KeyRingUnknownVersion');
    expect((caught as KeyRingUnknownVersion).version).toBe('k1');
    expect((caught as Error).message).toContain('k1');
    for (const form of formsOf(k2)) expect((caught as Error).message).not.toContain(form);
  });

  it('refuses a version no ring ever had the same way', () => {
    const wrapped = rotated.wrap(newDataKey(), owner);
    expect(() => rotated.unwrap({ ...wrapped, kek: 'k9' }, owner)).toThrow(KeyRingUnknownVersion);
  });
});
