import { randomBytes } from 'node:crypto';
import * as fc from 'fast-check';
import {
  ChannelDispatchSchema,
  NotificationRequestSchema,
  ProfileSchema,
  SealedDispatchSchema,
  SealedRequestSchema,
  StoredProfileSchema,
  type SealedDispatch,
  type SealedRequest,
} from '@herald/contracts';
import { newDataKey, open, seal, Undecryptable, type DataKey } from './envelope.js';
import { deviceId, openDispatch, openMetadata, openProfile, sealProfile, sealRequest } from './sealing.js';

// How each kind of PII is sealed: nothing of it readable in what leaves the sealing, and all
// of it back, exactly, where it is opened with the right key.

const TENANT = 'tenant-s';

/** A marker no ciphertext will contain by chance, different on every run. */
const marker = (): string => `MK${randomBytes(9).toString('hex')}`;
/** Twelve random digits: the part of a phone number that would show through. */
const digits = (): string => Array.from(randomBytes(12), (b) => String(b % 10)).join('');

/** Every form the text could take in a JSON document: as is, escaped, and base64/base64url/hex at any alignment. */
function readableForms(text: string): string[] {
  const bytes = Buffer.from(text, 'utf8');
  const forms = [text, JSON.stringify(text).slice(1, -1), bytes.toString('hex')];
  for (let offset = 0; offset < 3; offset++) {
    const part = bytes.subarray(offset);
    // The last quantum depends on what follows the text; the rest does not.
    for (const encoding of ['base64', 'base64url'] as const) forms.push(part.toString(encoding).slice(0, -4));
  }
  // An encoded form this short turns up in any ciphertext by chance; it would prove nothing.
  return forms.filter((form, i) => i < 2 || form.length >= 8);
}

function expectNothingOf(values: string[], within: unknown): void {
  const json = JSON.stringify(within);
  for (const value of values) for (const form of readableForms(value)) expect(json).not.toContain(form);
}

function request(m: string, phone: string) {
  return NotificationRequestSchema.parse({
    customerId: 'cust-s1',
    channels: ['email', 'sms', 'push'],
    to: { email: `${m}.to@example.com`, phone: `+1${phone.slice(0, 10)}`, deviceToken: `dt_${m}_token` },
    content: {
      subject: `subject ${m}`,
      title: `title ${m}`,
      text: `text ${m}`,
      html: `<p>${m}</p>`,
      data: { deeplink: `app://orders/${m}` },
    },
    priority: 'critical',
    sendAt: '2026-12-01T10:00:00Z',
    expiresAt: '2026-12-01T12:00:00Z',
    metadata: { orderRef: `order-${m}`, campaign: `camp-${m}` },
  });
}

/** The dispatch the dispatcher makes of a sealed request for one channel (what reaches a channel app). */
function dispatchOf(sealed: SealedRequest, over: Partial<SealedDispatch> = {}): SealedDispatch {
  return SealedDispatchSchema.parse({
    schemaVersion: 2,
    notificationId: `ntf_${'0'.repeat(26)}`,
    tenantId: TENANT,
    customerId: sealed.customerId,
    attempt: 1,
    channel: 'email',
    priority: sealed.priority,
    to: sealed.to,
    content: sealed.content,
    ...(sealed.expiresAt ? { expiresAt: sealed.expiresAt } : {}),
    traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    ...over,
  });
}

describe('sealing a notification request', () => {
  const key = newDataKey();

  it('leaves nothing of its recipient, content or metadata values readable anywhere in it', () => {
    const m = marker();
    const phone = digits();
    const req = request(m, phone);
    const sealed = sealRequest(key, TENANT, req);
    expect(SealedRequestSchema.parse(sealed)).toEqual(sealed);
    expectNothingOf([m, phone.slice(0, 10), req.to.email!, req.to.phone!, req.to.deviceToken!], sealed);
    // What names things stays readable: the customer, the channels, the metadata's keys, the times.
    expect(sealed).toMatchObject({ customerId: 'cust-s1', channels: ['email', 'sms', 'push'], priority: 'critical', sendAt: req.sendAt, expiresAt: req.expiresAt });
    expect(Object.keys(sealed.metadata!).sort()).toEqual(['campaign', 'orderRef']);
  });

  it('opens back to exactly what was sealed, with the customer key, in its tenant and customer', () => {
    const req = request(marker(), digits());
    const sealed = sealRequest(key, TENANT, req);
    const ctx = { tenantId: TENANT, customerId: req.customerId };
    expect(open(key, ctx, sealed.to.email!)).toBe(req.to.email);
    expect(open(key, ctx, sealed.to.phone!)).toBe(req.to.phone);
    expect(open(key, ctx, sealed.to.deviceToken!)).toBe(req.to.deviceToken);
    expect(JSON.parse(open(key, ctx, sealed.content))).toEqual(req.content);
    expect(openMetadata(key, ctx, sealed.metadata!)).toEqual(req.metadata);
    // In another tenant, or for another customer, none of it opens.
    expect(() => open(key, { ...ctx, tenantId: 'tenant-other' }, sealed.content)).toThrow(Undecryptable);
    expect(() => openMetadata(key, { ...ctx, customerId: 'cust-other' }, sealed.metadata!)).toThrow(Undecryptable);
  });

  it('keeps what a request leaves out left out (no recipient, no metadata)', () => {
    const req = NotificationRequestSchema.parse({ customerId: 'cust-s2', channel: 'sms', content: { text: 'hi' } });
    const sealed = sealRequest(key, TENANT, req);
    expect(sealed.to).toEqual({});
    expect('metadata' in sealed).toBe(false);
    expect(SealedRequestSchema.safeParse(sealed).success).toBe(true);
  });

  it('seals a request at the limits of the request schema to one the sealed schema takes', () => {
    // The largest content a request may carry: the batch route's body limit lets it through,
    // and a sealed request the dispatcher cannot parse is a notification accepted and lost.
    const largest = (char: string) =>
      NotificationRequestSchema.parse({
        customerId: 'cust-big',
        channel: 'email',
        content: { subject: char.repeat(998), title: char.repeat(256), text: char.repeat(32_768), html: char.repeat(49_152) },
      });
    for (const char of ['a', 'é', '€']) {
      const sealed = sealRequest(key, TENANT, largest(char));
      const parsed = SealedRequestSchema.safeParse(sealed);
      expect({ char, length: sealed.content.length, issues: parsed.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`) ?? [] }).toEqual({ char, length: sealed.content.length, issues: [] });
    }
  });

  it('round-trips any text and metadata, leaving none of it readable', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', minLength: 1, maxLength: 200 }),
        fc.dictionary(fc.stringMatching(/^[a-z]{1,10}$/), fc.string({ maxLength: 100 }), { maxKeys: 5 }),
        (text, metadata) => {
          const m = marker();
          const req = NotificationRequestSchema.parse({
            customerId: 'cust-p',
            channel: 'sms',
            content: { text: `${text}${m}` },
            metadata: Object.fromEntries(Object.entries(metadata).map(([k, v]) => [k, `${v}${m}`])),
          });
          const sealed = sealRequest(key, TENANT, req);
          expectNothingOf([m], sealed);
          const ctx = { tenantId: TENANT, customerId: 'cust-p' };
          expect(JSON.parse(open(key, ctx, sealed.content))).toEqual(req.content);
          expect(openMetadata(key, ctx, sealed.metadata ?? {})).toEqual(req.metadata ?? {});
        },
      ),
      { numRuns: 50 },
    );
  });
});

describe('opening a dispatch for its provider', () => {
  const key = newDataKey();
  const customerId = 'cust-d1';
  const ctx = { tenantId: TENANT, customerId };

  it('gives back the recipient and content of the request it came from, and every other field as it was', () => {
    const req = { ...request(marker(), digits()), customerId };
    const dispatch = dispatchOf(sealRequest(key, TENANT, req));
    const opened = openDispatch(key, dispatch);
    expect(ChannelDispatchSchema.parse(opened)).toEqual(opened);
    expect(opened.to).toEqual(req.to);
    expect(opened.content).toEqual(req.content);
    const { to: _to, content: _content, ...rest } = dispatch;
    expect(opened).toMatchObject(rest);
  });

  it('opens a profile\'s devices, each to its platform and token', () => {
    const tokens = [`apns${randomBytes(16).toString('hex')}`, `fcm:${randomBytes(20).toString('base64url')}`];
    const dispatch = dispatchOf(sealRequest(key, TENANT, { ...request(marker(), digits()), customerId }), {
      channel: 'push',
      to: {
        devices: [
          { id: deviceId(key, tokens[0]!), platform: 'apns', token: seal(key, ctx, tokens[0]!) },
          { id: deviceId(key, tokens[1]!), platform: 'fcmv1', token: seal(key, ctx, tokens[1]!) },
        ],
      },
    });
    expectNothingOf(tokens, dispatch);
    const opened = openDispatch(key, dispatch);
    expect(opened.to).toEqual({ devices: [{ platform: 'apns', token: tokens[0] }, { platform: 'fcmv1', token: tokens[1] }] });
    expect(ChannelDispatchSchema.safeParse(opened).success).toBe(true);
  });

  it('refuses, as Undecryptable, a dispatch opened with another key or moved to another tenant or customer', () => {
    const dispatch = dispatchOf(sealRequest(key, TENANT, { ...request(marker(), digits()), customerId }));
    expect(() => openDispatch(newDataKey(), dispatch)).toThrow(Undecryptable);
    expect(() => openDispatch({ id: key.id, key: newDataKey().key }, dispatch)).toThrow(Undecryptable);
    expect(() => openDispatch(key, { ...dispatch, tenantId: 'tenant-other' })).toThrow(Undecryptable);
    expect(() => openDispatch(key, { ...dispatch, customerId: 'cust-other' })).toThrow(Undecryptable);
  });

  it('refuses, as Undecryptable, a dispatch whose recipient or device was swapped for another customer\'s', () => {
    const other = { tenantId: TENANT, customerId: 'cust-d2' };
    const dispatch = dispatchOf({ customerId, to: {}, content: seal(key, ctx, JSON.stringify({ text: 'hi' })), priority: 'bulk' });
    expect(() => openDispatch(key, { ...dispatch, to: { email: seal(key, other, 'x@example.com') } })).toThrow(Undecryptable);
    expect(() => openDispatch(key, { ...dispatch, to: { devices: [{ id: 'd', platform: 'apns', token: seal(key, other, 'tokentoken') }] } })).toThrow(Undecryptable);
  });

  it('refuses, as Undecryptable, content that opens but is not a notification content', () => {
    const dispatch = dispatchOf({ customerId, to: {}, content: seal(key, ctx, JSON.stringify({ text: 'hi' })), priority: 'bulk' });
    expect(openDispatch(key, dispatch).content).toEqual({ text: 'hi' });
    for (const content of ['not json', '', 'null', '[]', JSON.stringify({ text: '' }), JSON.stringify({ title: 'no text' }), JSON.stringify({ text: 'hi', extra: 1 })]) {
      expect(() => openDispatch(key, { ...dispatch, content: seal(key, ctx, content) })).toThrow(Undecryptable);
    }
  });

  it('refuses, as Undecryptable, a content value that is not sealed at all', () => {
    const dispatch = dispatchOf({ customerId, to: {}, content: seal(key, ctx, JSON.stringify({ text: 'hi' })), priority: 'bulk' });
    expect(() => openDispatch(key, { ...dispatch, content: JSON.stringify({ text: 'hi' }) })).toThrow(Undecryptable);
  });
});

describe('device ids', () => {
  const token = `apns${randomBytes(32).toString('hex')}`;

  it('are stable for the same key and token, and short enough for the stored profile', () => {
    const key = newDataKey();
    const id = deviceId(key, token);
    expect(deviceId(key, token)).toBe(id);
    expect(deviceId({ id: key.id, key: Buffer.from(key.key) }, token)).toBe(id);
    expect(id).toMatch(/^[A-Za-z0-9_-]{16}$/);
  });

  it('differ for different tokens under one key', () => {
    const key = newDataKey();
    const ids = new Set(Array.from({ length: 100 }, (_, i) => deviceId(key, `${token}${i}`)));
    expect(ids.size).toBe(100);
  });

  it("differ for the same token under two keys (two customers, or one customer's key made again after an erasure)", () => {
    const a: DataKey = newDataKey();
    const b: DataKey = newDataKey();
    expect(deviceId(a, token)).not.toBe(deviceId(b, token));
  });

  it('say nothing readable of the token', () => {
    const key = newDataKey();
    expectNothingOf([token.slice(0, 20), token.slice(-20)], deviceId(key, token));
  });
});

describe('sealing and opening a profile', () => {
  const key = newDataKey();
  const ctx = { tenantId: TENANT, customerId: 'cust-p1' };
  const now = new Date('2026-12-01T09:30:00.000Z');

  function fullProfile(m: string) {
    return ProfileSchema.parse({
      email: `${m}@example.com`,
      phone: '+14155550142',
      locale: 'de-CH',
      timezone: 'Europe/Zurich',
      devices: [
        { token: `apns${m}aaaa`, platform: 'apns' },
        { token: `fcm:${m}bbbb`, platform: 'fcmv1' },
      ],
    });
  }

  it('keeps every value sealed, each device under the id of its token', () => {
    const m = marker();
    const profile = fullProfile(m);
    const stored = sealProfile(key, ctx, profile, now);
    expect(StoredProfileSchema.parse(stored)).toEqual(stored);
    expect(stored.updatedAt).toBe(now.toISOString());
    expectNothingOf([m, '+14155550142', '4155550142', 'de-CH', 'Europe/Zurich'], stored);
    expect(stored.devices!.map((d) => d.id)).toEqual(profile.devices!.map((d) => deviceId(key, d.token)));
    expect(stored.devices!.map((d) => d.platform)).toEqual(['apns', 'fcmv1']);
  });

  it('opens back to the profile, with each device under its id', () => {
    const profile = fullProfile(marker());
    const opened = openProfile(key, ctx, sealProfile(key, ctx, profile, now));
    expect(opened).toEqual({ ...profile, devices: profile.devices!.map((d) => ({ id: deviceId(key, d.token), platform: d.platform, token: d.token })) });
  });

  it('keeps what a profile leaves out left out, and opens an empty one to no devices', () => {
    const empty = sealProfile(key, ctx, {}, now);
    expect(empty).toEqual({ updatedAt: now.toISOString() });
    expect(openProfile(key, ctx, empty)).toEqual({ devices: [] });
    const emailOnly = sealProfile(key, ctx, { email: 'only@example.com', devices: [] }, now);
    expect(Object.keys(emailOnly).sort()).toEqual(['email', 'updatedAt']);
    expect(openProfile(key, ctx, emailOnly)).toEqual({ email: 'only@example.com', devices: [] });
  });

  it('does not open for another customer or with another key', () => {
    const stored = sealProfile(key, ctx, fullProfile(marker()), now);
    expect(() => openProfile(key, { ...ctx, customerId: 'cust-p2' }, stored)).toThrow(Undecryptable);
    expect(() => openProfile(newDataKey(), ctx, stored)).toThrow(Undecryptable);
  });

  it('takes the time of sealing as its updatedAt when none is given', () => {
    const before = Date.now();
    const stored = sealProfile(key, ctx, { locale: 'en-US' });
    expect(Date.parse(stored.updatedAt)).toBeGreaterThanOrEqual(before);
    expect(Date.parse(stored.updatedAt)).toBeLessThanOrEqual(Date.now());
  });
});
