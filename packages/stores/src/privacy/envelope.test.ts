import * as fc from 'fast-check';
import { SealedSchema } from '@herald/contracts';
import { decrypt, encrypt, KEY_BYTES, newDataKey, open, seal, sealedKeyId, Undecryptable, type DataKey, type SealContext } from './envelope.js';

// The pure layer of the envelope encryption: what a sealed value looks like, and that it opens
// only with its own key in its own context, whatever is done to it on the way.

const ctx: SealContext = { tenantId: 'tenant-a', customerId: 'cust-1' };

/** The sealed value with its decoded body changed by `edit` and encoded again (a byte-level tamper). */
function withBody(sealed: string, edit: (box: Buffer) => Buffer): string {
  const [version, keyId, body] = sealed.split('.');
  return `${version}.${keyId}.${edit(Buffer.from(body!, 'base64url')).toString('base64url')}`;
}

const flipBit = (at: number, bit = 0) => (box: Buffer) => {
  const copy = Buffer.from(box);
  copy[at] = copy[at]! ^ (1 << bit);
  return copy;
};

/** Any id made of the characters the store and the contracts allow (tenants are ours, customers are the API's). */
const idArb = fc.stringMatching(/^[A-Za-z0-9._:@-]{1,40}$/);
const ctxArb = fc.record({ tenantId: idArb, customerId: idArb });

describe('data keys', () => {
  it('are 32 random bytes under an 11-character base64url id, each one new', () => {
    const a = newDataKey();
    const b = newDataKey();
    expect(a.key).toHaveLength(KEY_BYTES);
    expect(a.id).toMatch(/^[A-Za-z0-9_-]{11}$/);
    expect(a.id).not.toBe(b.id);
    expect(a.key.equals(b.key)).toBe(false);
  });
});

describe('sealing and opening a value', () => {
  const key = newDataKey();

  it('opens what it sealed, for any text in any context', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 300 }), ctxArb, (text, where) => {
        expect(open(key, where, seal(key, where, text))).toBe(text);
      }),
    );
  });

  it('keeps the empty string and text beyond the Basic Multilingual Plane intact', () => {
    for (const text of ['', ' ', '\u0000', 'é', '𝔘𝔫𝔦𝔠𝔬𝔡𝔢 🙂', 'a.b.c', 's1.AAAAAAAAAAA.AAAA']) {
      expect(open(key, ctx, seal(key, ctx, text))).toBe(text);
    }
  });

  it('is in the format of the contracts (s1.<key id>.<base64url>), naming the key that sealed it', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 500 }), ctxArb, (text, where) => {
        const sealed = seal(key, where, text);
        expect(SealedSchema.safeParse(sealed).success).toBe(true);
        expect(sealed.startsWith(`s1.${key.id}.`)).toBe(true);
        expect(sealedKeyId(sealed)).toBe(key.id);
      }),
    );
    // The shortest there is (nothing sealed: iv and tag alone) still meets the schema's minimum.
    expect(SealedSchema.parse(seal(key, ctx, ''))).toBeDefined();
  });

  it('is different every time, for the same text, key and context (a random iv each)', () => {
    const seen = new Set(Array.from({ length: 200 }, () => seal(key, ctx, 'same text')));
    expect(seen.size).toBe(200);
    const ivs = new Set([...seen].map((s) => Buffer.from(s.split('.')[2]!, 'base64url').subarray(0, 12).toString('hex')));
    expect(ivs.size).toBe(200);
  });

  it('carries the text in no readable form', () => {
    const marker = 'MARKER-7f3a9c-plaintext';
    const sealed = seal(key, ctx, marker);
    expect(sealed).not.toContain(marker);
    expect(sealed).not.toContain(Buffer.from(marker).toString('base64url'));
    expect(Buffer.from(sealed.split('.')[2]!, 'base64url').includes(Buffer.from(marker))).toBe(false);
  });
});

describe('a sealed value that was tampered with does not open', () => {
  const key = newDataKey();

  it('with any bit of its body flipped (iv, ciphertext or tag)', () => {
    const sealed = seal(key, ctx, 'hello@example.com');
    const length = Buffer.from(sealed.split('.')[2]!, 'base64url').length;
    fc.assert(
      fc.property(fc.integer({ min: 0, max: length - 1 }), fc.integer({ min: 0, max: 7 }), (at, bit) => {
        expect(() => open(key, ctx, withBody(sealed, flipBit(at, bit)))).toThrow(Undecryptable);
      }),
    );
    // The first and last byte of each part, by name.
    for (const at of [0, 11, 12, length - 17, length - 16, length - 1]) {
      expect(() => open(key, ctx, withBody(sealed, flipBit(at)))).toThrow(Undecryptable);
    }
  });

  it('cut short anywhere, or with bytes added to its body', () => {
    const sealed = seal(key, ctx, 'a message of some length');
    for (let end = 0; end < sealed.length; end++) {
      expect(() => open(key, ctx, sealed.slice(0, end))).toThrow(Undecryptable);
    }
    expect(() => open(key, ctx, withBody(sealed, (box) => box.subarray(0, box.length - 1)))).toThrow(Undecryptable);
    expect(() => open(key, ctx, withBody(sealed, (box) => box.subarray(1)))).toThrow(Undecryptable);
    expect(() => open(key, ctx, withBody(sealed, (box) => Buffer.concat([box, Buffer.from([0])])))).toThrow(Undecryptable);
  });

  it('under another key id, even with the same key bytes (the id is bound in)', () => {
    const sealed = seal(key, ctx, 'text');
    const other = newDataKey();
    const relabelled = `s1.${other.id}.${sealed.split('.')[2]!}`;
    // The key the label now names, with the bytes that did seal it: the binding still refuses.
    expect(() => open({ id: other.id, key: key.key }, ctx, relabelled)).toThrow(Undecryptable);
    // And the key that did seal it refuses a value that names another.
    expect(() => open(key, ctx, relabelled)).toThrow(Undecryptable);
  });

  it('in another tenant or for another customer (copied into their records)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 50 }), ctxArb, ctxArb, (text, a, b) => {
        fc.pre(a.tenantId !== b.tenantId || a.customerId !== b.customerId);
        expect(() => open(key, b, seal(key, a, text))).toThrow(Undecryptable);
      }),
    );
    const sealed = seal(key, ctx, 'text');
    expect(() => open(key, { ...ctx, tenantId: 'tenant-b' }, sealed)).toThrow(Undecryptable);
    expect(() => open(key, { ...ctx, customerId: 'cust-2' }, sealed)).toThrow(Undecryptable);
    // The separator keeps the two ids apart: moving a character across them is another context.
    expect(() => open(key, { tenantId: 'tenant-', customerId: 'acust-1' }, seal(key, { tenantId: 'tenant-a', customerId: 'cust-1' }, 'x'))).toThrow(Undecryptable);
  });
});

describe('a sealed value opened with the wrong key', () => {
  it('does not open, whether the key is another one or has the right id and other bytes', () => {
    const key = newDataKey();
    const sealed = seal(key, ctx, 'text');
    expect(() => open(newDataKey(), ctx, sealed)).toThrow(Undecryptable);
    expect(() => open({ id: key.id, key: newDataKey().key }, ctx, sealed)).toThrow(Undecryptable);
  });

  it('says which key it needs and which it was given, never the text', () => {
    const key = newDataKey();
    const other = newDataKey();
    let message = '';
    try {
      open(other, ctx, seal(key, ctx, 'secret-text-42'));
    } catch (err) {
      expect(err).toBeInstanceOf(Undecryptable);
      expect((err as Error).name).toBe('Undecryptable');
      message = (err as Error).message;
    }
    expect(message).toContain(key.id);
    expect(message).toContain(other.id);
    expect(message).not.toContain('secret-text-42');
  });
});

describe('what is not a sealed value', () => {
  const key = newDataKey();

  it.each([
    ['empty', ''],
    ['plain text', 'hello@example.com'],
    ['another format version', `s2.${key.id}.${'A'.repeat(40)}`],
    ['no body', `s1.${key.id}.`],
    ['no body or dot', `s1.${key.id}`],
    ['a key id too short', `s1.${key.id.slice(1)}.${'A'.repeat(40)}`],
    ['a key id too long', `s1.${key.id}A.${'A'.repeat(40)}`],
    ['a body too short for iv and tag', `s1.${key.id}.${'A'.repeat(30)}`],
    ['a body of 40 zero bytes', `s1.${key.id}.${Buffer.alloc(40).toString('base64url')}`],
    ['dots only', '...'],
  ])('is Undecryptable: %s', (_what, value) => {
    expect(() => open(key, ctx, value)).toThrow(Undecryptable);
  });

  it('is Undecryptable for any string the contracts would not take as sealed', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (value) => {
        fc.pre(!SealedSchema.safeParse(value).success);
        expect(() => open(key, ctx, value)).toThrow(Undecryptable);
      }),
    );
  });

  it('makes sealedKeyId throw Undecryptable, not return something', () => {
    for (const value of ['', 'x', 's1..body', `s1.${key.id}.`, `S1.${key.id}.AAAA`]) {
      expect(() => sealedKeyId(value)).toThrow(Undecryptable);
    }
  });
});

describe('the raw box (iv ‖ ciphertext ‖ tag)', () => {
  const key: DataKey = newDataKey();

  it('opens only with its own additional data', () => {
    const box = encrypt(key.key, Buffer.from('payload'), 'aad-1');
    expect(box).toHaveLength(12 + 'payload'.length + 16);
    expect(decrypt(key.key, box, 'aad-1').toString()).toBe('payload');
    expect(() => decrypt(key.key, box, 'aad-2')).toThrow(Undecryptable);
    expect(() => decrypt(key.key, box.subarray(0, 27), 'aad-1')).toThrow(Undecryptable);
  });
});
