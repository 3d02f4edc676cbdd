import { createHash, randomBytes } from 'node:crypto';

// Notification ids: "ntf_" + 26 lowercase Crockford base32 characters (128 bits).
// Fresh ids are time-ordered like ULIDs (48 bits of milliseconds, 80 random bits), so they
// sort by creation. Ids derived from an Idempotency-Key are a hash of (tenant, key): the same
// request retried, on any intake replica, lands on the same notification actor.

const alphabet = '0123456789abcdefghjkmnpqrstvwxyz';

function encode128(bytes: Uint8Array): string {
  let value = 0n;
  for (const b of bytes.subarray(0, 16)) value = (value << 8n) | BigInt(b);
  let out = '';
  for (let i = 0; i < 26; i++) {
    out = alphabet[Number(value & 31n)] + out;
    value >>= 5n;
  }
  return out;
}

function decode128(text: string): Uint8Array | undefined {
  let value = 0n;
  for (const ch of text) {
    const digit = alphabet.indexOf(ch);
    if (digit < 0) return undefined;
    value = (value << 5n) | BigInt(digit);
  }
  if (text.length !== 26 || value >> 128n !== 0n) return undefined;
  const bytes = new Uint8Array(16);
  for (let i = 15; i >= 0; i--) {
    bytes[i] = Number(value & 0xffn);
    value >>= 8n;
  }
  return bytes;
}

/** 16 bytes: 48 bits of milliseconds, then 80 random bits. */
export function timeOrderedBytes(nowMs: number): Uint8Array {
  const bytes = new Uint8Array(16);
  let t = BigInt(nowMs);
  for (let i = 5; i >= 0; i--) {
    bytes[i] = Number(t & 0xffn);
    t >>= 8n;
  }
  bytes.set(randomBytes(10), 6);
  return bytes;
}

/** The milliseconds a time-ordered id's first 48 bits hold. */
export function timeOfBytes(bytes: Uint8Array): number {
  let t = 0;
  for (let i = 0; i < 6; i++) t = t * 256 + (bytes[i] ?? 0);
  return t;
}

export function newNotificationId(nowMs: number = Date.now()): string {
  return notificationIdOf(timeOrderedBytes(nowMs));
}

/** The notification id that 16 bytes encode. */
export function notificationIdOf(bytes: Uint8Array): string {
  return `ntf_${encode128(bytes)}`;
}

/** The 16 bytes a notification id encodes; undefined for a string that is not one. */
export function notificationIdBytes(id: string): Uint8Array | undefined {
  return id.startsWith('ntf_') ? decode128(id.slice(4)) : undefined;
}

/** Webhook endpoint ids: "whk_" + 26 characters, time-ordered like notification ids. */
export function newWebhookId(nowMs: number = Date.now()): string {
  return `whk_${encode128(timeOrderedBytes(nowMs))}`;
}

/**
 * `.` and `..` are path segments (RFC 3986 dot segments): as an id in a URL they would name
 * the resource above or beside the one meant, once anything on the way resolves them.
 */
export function isDotSegment(id: string): boolean {
  return id === '.' || id === '..';
}

export function notificationIdFromIdempotencyKey(tenantId: string, key: string): string {
  return notificationIdOf(createHash('sha256').update(tenantId).update('\0').update(key).digest());
}

/**
 * A fingerprint of a request body that does not depend on key order or whitespace: two
 * requests with the same Idempotency-Key are "the same" when their fingerprints are.
 */
export function requestFingerprint(body: unknown): string {
  return createHash('sha256').update(canonicalJson(body)).digest('base64url');
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
