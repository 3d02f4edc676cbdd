import { createHmac, createPublicKey, timingSafeEqual, verify, type KeyObject } from 'node:crypto';

/** Headers the providers sign their callbacks with. */
export const SENDGRID_SIGNATURE_HEADER = 'X-Twilio-Email-Event-Webhook-Signature';
export const SENDGRID_TIMESTAMP_HEADER = 'X-Twilio-Email-Event-Webhook-Timestamp';
export const TWILIO_SIGNATURE_HEADER = 'X-Twilio-Signature';

/**
 * SendGrid's Signed Event Webhook ("Getting Started with the Event Webhook Security Features"):
 * an ECDSA P-256 / SHA-256 signature, base64 of DER, over the timestamp header followed by the
 * raw body bytes exactly as received (re-serialised JSON would not verify). The verification key
 * is shown by SendGrid as base64 of a DER SubjectPublicKeyInfo without PEM armour; PEM works too.
 * Any malformed input is a failed verification, never an exception.
 */
export function verifySendGridSignature(publicKey: string, payload: Buffer | string, signatureB64: string, timestamp: string): boolean {
  if (!signatureB64 || !timestamp) return false;
  try {
    const signed = Buffer.concat([Buffer.from(timestamp, 'utf8'), typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload]);
    return verify('sha256', signed, sendGridKey(publicKey), Buffer.from(signatureB64, 'base64'));
  } catch {
    return false;
  }
}

/**
 * Twilio's request signature ("Secure webhooks"): base64(HMAC-SHA1(auth token, url + each POST
 * parameter's name and value, sorted by name)). `url` is the full URL Twilio requested,
 * query string included, exactly as configured in the statusCallback.
 */
export function verifyTwilioSignature(authToken: string, url: string, params: Record<string, string>, signatureB64: string): boolean {
  if (!authToken || !signatureB64) return false;
  const data = Object.keys(params)
    .sort()
    .reduce((acc, name) => acc + name + (params[name] ?? ''), url);
  const expected = createHmac('sha1', authToken).update(data, 'utf8').digest();
  const given = Buffer.from(signatureB64, 'base64');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function sendGridKey(publicKey: string): KeyObject {
  return publicKey.includes('-----BEGIN')
    ? createPublicKey(publicKey)
    : createPublicKey({ key: Buffer.from(publicKey.replace(/\s+/g, ''), 'base64'), format: 'der', type: 'spki' });
}
