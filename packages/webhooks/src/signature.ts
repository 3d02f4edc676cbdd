import { createHmac, timingSafeEqual } from 'node:crypto';

// Every webhook delivery carries `herald-signature: t=<unix seconds>,v1=<hex HMAC-SHA256>`,
// the scheme Stripe documents ("Verify webhook signatures manually"): the MAC covers
// "<t>.<raw body>", so a captured request cannot be replayed once `t` is older than the
// receiver's tolerance, nor its body altered. Several `v1=` entries may appear while a secret
// is rotated: the receiver accepts the request if any of them matches a secret it holds.

export const WEBHOOK_SIGNATURE_HEADER = 'herald-signature';

const DEFAULT_TOLERANCE_SEC = 300;
const HEX_SHA256 = /^[0-9a-f]{64}$/;

function mac(secret: string, body: string, timestampSec: number): Buffer {
  return createHmac('sha256', secret).update(`${timestampSec}.${body}`, 'utf8').digest();
}

/**
 * The header value for `body` sent at `timestampSec`. Pass several secrets during a rotation
 * to emit one `v1=` per secret.
 */
export function signWebhook(secret: string | readonly string[], body: string, timestampSec: number): string {
  if (!Number.isSafeInteger(timestampSec) || timestampSec < 0) throw new RangeError('timestampSec must be a non-negative integer');
  const secrets = typeof secret === 'string' ? [secret] : secret;
  return [`t=${timestampSec}`, ...secrets.map((s) => `v1=${mac(s, body, timestampSec).toString('hex')}`)].join(',');
}

export interface VerifyWebhookOptions {
  /** Largest accepted distance between `t` and now, either way. Default 300 s. */
  toleranceSec?: number;
  nowSec?: number;
}

/**
 * True when `header` is well formed, its timestamp is within tolerance of now and one of its
 * `v1=` entries is the MAC of `body` under `secret`. `body` must be the raw body as received:
 * re-serialised JSON would not verify. Never throws: malformed input is a failed verification.
 */
export function verifyWebhookSignature(secret: string, body: string, header: string | undefined, opts: VerifyWebhookOptions = {}): boolean {
  if (!secret || !header) return false;
  let timestamp: number | undefined;
  const candidates: Buffer[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) return false;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't') {
      if (timestamp !== undefined || !/^\d{1,12}$/.test(value)) return false;
      timestamp = Number(value);
    } else if (key === 'v1') {
      if (!HEX_SHA256.test(value)) return false;
      candidates.push(Buffer.from(value, 'hex'));
    }
    // Other schemes (a future v2) are ignored, so senders can add one without breaking receivers.
  }
  if (timestamp === undefined || candidates.length === 0) return false;
  const nowSec = opts.nowSec ?? Math.floor(Date.now() / 1000);
  if (Math.abs(nowSec - timestamp) > (opts.toleranceSec ?? DEFAULT_TOLERANCE_SEC)) return false;
  const expected = mac(secret, body, timestamp);
  // Compare against every candidate, not stopping at the first match: the time taken does not
  // tell which entry matched.
  let ok = false;
  for (const candidate of candidates) ok = timingSafeEqual(candidate, expected) || ok;
  return ok;
}
