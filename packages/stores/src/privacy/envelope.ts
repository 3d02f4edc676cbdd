// Envelope encryption, the pure part: AES-256-GCM with node:crypto, nothing stored here.
//
// Two layers. A customer's *data key* (32 random bytes) seals their PII field by field; it is
// kept only *wrapped*, sealed in turn under the region's *key-encryption key* (KEK). Destroying
// the wrapped data key makes every copy of that customer's data unreadable at once: in the
// store, in a queue, in a backup (crypto-shredding). Each sealed value names the data key that
// made it; each wrapped key names the KEK version that wrapped it, so a KEK can be rotated while
// the old one still opens what it wrapped.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Sealed } from '@herald/contracts';

const ALGORITHM = 'aes-256-gcm';
const IV_BYTES = 12;
const TAG_BYTES = 16;
export const KEY_BYTES = 32;
const SEALED_VERSION = 's1';
/** Length of a data key's id in base64url characters (8 random bytes). */
const KEY_ID_CHARS = 11;

/** A sealed value failed authentication: tampered with, or opened with another key or context. */
export class Undecryptable extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** A customer's data key, unwrapped: only ever in memory. */
export interface DataKey {
  /** Names this key in every value it seals (base64url, 11 characters). */
  id: string;
  key: Buffer;
}

export function newDataKey(): DataKey {
  return { id: randomBytes(8).toString('base64url'), key: randomBytes(KEY_BYTES) };
}

/** iv ‖ ciphertext ‖ tag, the additional data bound in (a sealed value opens only in its own context). */
export function encrypt(key: Buffer, plaintext: Buffer, aad: string): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv(ALGORITHM, key, iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([iv, body, cipher.getAuthTag()]);
}

export function decrypt(key: Buffer, box: Buffer, aad: string): Buffer {
  if (box.length < IV_BYTES + TAG_BYTES) throw new Undecryptable('sealed value too short');
  const decipher = createDecipheriv(ALGORITHM, key, box.subarray(0, IV_BYTES));
  decipher.setAAD(Buffer.from(aad, 'utf8'));
  decipher.setAuthTag(box.subarray(box.length - TAG_BYTES));
  try {
    return Buffer.concat([decipher.update(box.subarray(IV_BYTES, box.length - TAG_BYTES)), decipher.final()]);
  } catch {
    throw new Undecryptable('sealed value failed authentication');
  }
}

/**
 * What a sealed value is bound to: its tenant and customer, so a value copied into another
 * customer's record does not open there, and the data key that sealed it.
 */
export interface SealContext {
  tenantId: string;
  customerId: string;
}

const aadOf = (ctx: SealContext, keyId: string) => `${ctx.tenantId}\u0000${ctx.customerId}\u0000${keyId}`;

export function seal(dataKey: DataKey, ctx: SealContext, plaintext: string): Sealed {
  const box = encrypt(dataKey.key, Buffer.from(plaintext, 'utf8'), aadOf(ctx, dataKey.id));
  return `${SEALED_VERSION}.${dataKey.id}.${box.toString('base64url')}`;
}

/** The id of the data key a sealed value needs; throws Undecryptable for anything not sealed. */
export function sealedKeyId(sealed: string): string {
  const [version, keyId, body] = sealed.split('.');
  if (version !== SEALED_VERSION || keyId?.length !== KEY_ID_CHARS || !body) throw new Undecryptable('not a sealed value');
  return keyId;
}

export function open(dataKey: DataKey, ctx: SealContext, sealed: string): string {
  const keyId = sealedKeyId(sealed);
  if (keyId !== dataKey.id) throw new Undecryptable(`sealed under data key ${keyId}, not ${dataKey.id}`);
  const body = sealed.slice(SEALED_VERSION.length + 1 + KEY_ID_CHARS + 1);
  return decrypt(dataKey.key, Buffer.from(body, 'base64url'), aadOf(ctx, keyId)).toString('utf8');
}
