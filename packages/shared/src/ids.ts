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

function timeOrdered(nowMs: number): string {
  const bytes = new Uint8Array(16);
  let t = BigInt(nowMs);
  for (let i = 5; i >= 0; i--) {
    bytes[i] = Number(t & 0xffn);
    t >>= 8n;
  }
  bytes.set(randomBytes(10), 6);
  return encode128(bytes);
}

export function newNotificationId(nowMs: number = Date.now()): string {
  return `ntf_${timeOrdered(nowMs)}`;
}

/** Webhook endpoint ids: "whk_" + 26 characters, time-ordered like notification ids. */
export function newWebhookId(nowMs: number = Date.now()): string {
  return `whk_${timeOrdered(nowMs)}`;
}

/**
 * `.` and `..` are path segments (RFC 3986 dot segments): as an id in a URL they would name
 * the resource above or beside the one meant, once anything on the way resolves them.
 */
export function isDotSegment(id: string): boolean {
  return id === '.' || id === '..';
}

export function notificationIdFromIdempotencyKey(tenantId: string, key: string): string {
  const digest = createHash('sha256').update(tenantId).update('\0').update(key).digest();
  return `ntf_${encode128(digest)}`;
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
