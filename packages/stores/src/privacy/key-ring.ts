// The region's key-encryption keys (KEKs): read once from Dapr's secret store, held in memory,
// used to wrap and unwrap the customers' data keys. Never written anywhere by Herald.
import { optionalSecret, type SecretPort } from '@herald/dapr';
import { z } from 'zod';
import { decrypt, encrypt, KEY_BYTES, Undecryptable, type DataKey } from './envelope.js';

/**
 * The secret's value (JSON): every KEK version still allowed to unwrap, and the one that wraps
 * new data keys. `{"primary":"k2","keys":{"k1":"<base64 of 32 bytes>","k2":"…"}}`. Rotation adds
 * a version and makes it primary; retiring one removes it once no data key needs it.
 */
const VERSION_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;
export const KeyRingSecretSchema = z
  .object({
    primary: z.string().regex(VERSION_PATTERN),
    keys: z.record(z.string().regex(VERSION_PATTERN), z.string()),
  })
  .strict();

/** A data key as the store keeps it: wrapped under one KEK version, never in the clear. */
export const WrappedDataKeySchema = z.object({
  v: z.literal(1),
  /** The data key's id (it names the key in every value the key sealed). */
  id: z.string().length(11),
  /** The KEK version that wrapped it. */
  kek: z.string().min(1),
  /** base64url of iv ‖ wrapped key ‖ tag. */
  wrapped: z.string().min(1),
  createdAt: z.string(),
});
export type WrappedDataKey = z.infer<typeof WrappedDataKeySchema>;

export interface KeyRing {
  readonly primary: string;
  readonly versions: readonly string[];
  wrap(dataKey: DataKey, owner: string, now?: Date): WrappedDataKey;
  /** Throws Undecryptable (wrong or retired KEK, or tampered). */
  unwrap(wrapped: WrappedDataKey, owner: string): DataKey;
}

/** Why a key ring secret cannot be used; the app refuses to start with it. */
export class KeyRingInvalid extends Error {
  constructor(secretName: string, problem: string) {
    super(`secret ${secretName}: ${problem}`);
    this.name = new.target.name;
  }
}

/**
 * The key ring from its secret's text. Anything wrong (absent, not JSON, a key not 32 bytes,
 * a primary it does not hold) is KeyRingInvalid naming the secret: Herald never runs without
 * its keys, and never falls back to keeping PII in the clear.
 */
export function parseKeyRing(secretName: string, text: string | undefined): KeyRing {
  if (text === undefined || text === '') throw new KeyRingInvalid(secretName, 'not found in the secret store (it holds the key-encryption keys)');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new KeyRingInvalid(secretName, 'is not JSON ({"primary":"k1","keys":{"k1":"<base64 of 32 random bytes>"}})');
  }
  const parsed = KeyRingSecretSchema.safeParse(json);
  // Named by kind, never by zod's path or message: those quote the offending field names, and
  // a key pasted where a version name belongs would end up in every app's start-up log.
  if (!parsed.success) throw new KeyRingInvalid(secretName, `is not a key ring: ${keyRingProblem(json)}`);
  const keys = new Map<string, Buffer>();
  for (const [version, b64] of Object.entries(parsed.data.keys)) {
    const key = Buffer.from(b64, 'base64');
    if (key.length !== KEY_BYTES) throw new KeyRingInvalid(secretName, `key ${version} is ${key.length} bytes, not ${KEY_BYTES}`);
    keys.set(version, key);
  }
  const primary = parsed.data.primary;
  const primaryKey = keys.get(primary);
  if (!primaryKey) throw new KeyRingInvalid(secretName, `primary ${primary} is not among its keys`);
  const aad = (owner: string, id: string) => `dek\u0000${owner}\u0000${id}`;
  return {
    primary,
    versions: [...keys.keys()],
    wrap(dataKey, owner, now = new Date()) {
      const box = encrypt(primaryKey, dataKey.key, aad(owner, dataKey.id));
      return { v: 1, id: dataKey.id, kek: primary, wrapped: box.toString('base64url'), createdAt: now.toISOString() };
    },
    unwrap(wrapped, owner) {
      const kek = keys.get(wrapped.kek);
      if (!kek) throw new KeyRingUnknownVersion(wrapped.kek);
      return { id: wrapped.id, key: decrypt(kek, Buffer.from(wrapped.wrapped, 'base64url'), aad(owner, wrapped.id)) };
    },
  };
}

function keyRingProblem(json: unknown): string {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return 'not a JSON object';
  const fields = Object.keys(json);
  if (fields.some((f) => f !== 'primary' && f !== 'keys')) return 'it may hold only "primary" and "keys"';
  const { primary, keys } = json as { primary?: unknown; keys?: unknown };
  if (typeof primary !== 'string' || !VERSION_PATTERN.test(primary)) return '"primary" must be a version name (1 to 32 letters, digits, _ or -)';
  if (typeof keys !== 'object' || keys === null || Array.isArray(keys)) return '"keys" must be an object of version name → base64 key';
  if (Object.keys(keys).some((v) => !VERSION_PATTERN.test(v))) return 'a version name in "keys" is not 1 to 32 letters, digits, _ or -';
  if (Object.values(keys).some((k) => typeof k !== 'string')) return 'a key in "keys" is not a base64 string';
  return 'malformed';
}

/** A data key wrapped under a KEK version this ring does not hold (retired too early, or another region's). */
export class KeyRingUnknownVersion extends Undecryptable {
  constructor(readonly version: string) {
    super(`data key wrapped under KEK ${version}, which the key ring does not hold`);
    this.name = new.target.name;
  }
}

/** The secret that holds the key ring, in every app's secret store. */
export const KEY_RING_SECRET = 'KEY_ENCRYPTION_KEYS';

/**
 * Reads the key ring from Dapr's secret store, once, at start. Missing or malformed, it throws
 * KeyRingInvalid naming the secret: the app must refuse to start.
 */
export async function loadKeyRing(secrets: SecretPort, store: string, secretName = KEY_RING_SECRET): Promise<KeyRing> {
  return parseKeyRing(secretName, await optionalSecret(secrets, store, secretName));
}
