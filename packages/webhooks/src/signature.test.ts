import { createHmac } from 'node:crypto';
import { signWebhook, verifyWebhookSignature, WEBHOOK_SIGNATURE_HEADER } from './signature.js';

const secret = 'whsec_0123456789abcdefghijklmnopqrstuvwxyzABCDEFG';
const body = '{"id":"ntf_1.3","status":"delivered"}';
const t = 1_790_000_000;

describe('webhook signature', () => {
  it('is Stripe style: t=<ts>,v1=<hex HMAC-SHA256(secret, "<ts>.<body>")>', () => {
    const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
    expect(signWebhook(secret, body, t)).toBe(`t=${t},v1=${expected}`);
    expect(WEBHOOK_SIGNATURE_HEADER).toBe('herald-signature');
  });

  it('verifies what it signs, within the tolerance either way', () => {
    const header = signWebhook(secret, body, t);
    expect(verifyWebhookSignature(secret, body, header, { nowSec: t })).toBe(true);
    expect(verifyWebhookSignature(secret, body, header, { nowSec: t + 300 })).toBe(true);
    expect(verifyWebhookSignature(secret, body, header, { nowSec: t - 300 })).toBe(true);
  });

  it('uses the clock when no nowSec is given', () => {
    const now = Math.floor(Date.now() / 1000);
    expect(verifyWebhookSignature(secret, body, signWebhook(secret, body, now))).toBe(true);
    expect(verifyWebhookSignature(secret, body, signWebhook(secret, body, now - 301))).toBe(false);
  });

  it('rejects stale and future timestamps', () => {
    const header = signWebhook(secret, body, t);
    expect(verifyWebhookSignature(secret, body, header, { nowSec: t + 301 })).toBe(false);
    expect(verifyWebhookSignature(secret, body, header, { nowSec: t - 301 })).toBe(false);
    expect(verifyWebhookSignature(secret, body, header, { nowSec: t + 3_600, toleranceSec: 3_600 })).toBe(true);
  });

  it('rejects another body, another secret, another timestamp', () => {
    const header = signWebhook(secret, body, t);
    expect(verifyWebhookSignature(secret, `${body} `, header, { nowSec: t })).toBe(false);
    expect(verifyWebhookSignature(`${secret}x`, body, header, { nowSec: t })).toBe(false);
    const v1 = header.split(',')[1]!;
    expect(verifyWebhookSignature(secret, body, `t=${t + 1},${v1}`, { nowSec: t })).toBe(false);
  });

  it('accepts any of several v1 entries (secret rotation) and ignores unknown schemes', () => {
    const old = 'whsec_old_old_old_old_old_old_old_old_old';
    const header = signWebhook([old, secret], body, t);
    expect(header.split(',')).toHaveLength(3);
    expect(verifyWebhookSignature(secret, body, header, { nowSec: t })).toBe(true);
    expect(verifyWebhookSignature(old, body, header, { nowSec: t })).toBe(true);
    expect(verifyWebhookSignature('whsec_another_another_another_another', body, header, { nowSec: t })).toBe(false);
    expect(verifyWebhookSignature(secret, body, `v0=abc, ${header.replace(',', ' , ')}`, { nowSec: t })).toBe(true);
  });

  it.each([
    ['empty', ''],
    ['undefined', undefined],
    ['no timestamp', `v1=${'a'.repeat(64)}`],
    ['no v1', `t=${t}`],
    ['two timestamps', `t=${t},t=${t},v1=${'a'.repeat(64)}`],
    ['non-numeric timestamp', `t=abc,v1=${'a'.repeat(64)}`],
    ['negative timestamp', `t=-1,v1=${'a'.repeat(64)}`],
    ['fractional timestamp', `t=${t}.5,v1=${'a'.repeat(64)}`],
    ['short v1', `t=${t},v1=abcd`],
    ['non-hex v1', `t=${t},v1=${'z'.repeat(64)}`],
    ['upper-case hex v1', `t=${t},v1=${'A'.repeat(64)}`],
    ['entry without =', `t=${t},v1`],
    ['empty key', `t=${t},=x`],
    ['garbage', 'not a signature'],
  ])('rejects a malformed header (%s) without throwing', (_name, header) => {
    expect(verifyWebhookSignature(secret, body, header, { nowSec: t })).toBe(false);
  });

  it('rejects an empty secret, and refuses to sign with a bad timestamp', () => {
    expect(verifyWebhookSignature('', body, signWebhook('', body, t), { nowSec: t })).toBe(false);
    expect(() => signWebhook(secret, body, 1.5)).toThrow(RangeError);
    expect(() => signWebhook(secret, body, -1)).toThrow(RangeError);
  });
});
