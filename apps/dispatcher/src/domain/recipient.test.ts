import type { StoredProfile } from '@herald/contracts';
import { newDataKey, seal } from '@herald/stores';
import { hasRecipient, profileRecipient, recipientFor } from './recipient.js';

const key = newDataKey();
const sealed = (text: string) => seal(key, { tenantId: 't', customerId: 'c' }, text);
const email = sealed('a@example.com');
const phone = sealed('+14155550100');
const deviceToken = sealed('device-token-1');
const devices = [
  { id: 'dev-1', platform: 'apns' as const, token: sealed('apns-token-1') },
  { id: 'dev-2', platform: 'fcmv1' as const, token: sealed('fcm-token-2') },
];
const profile: StoredProfile = { email, phone, locale: sealed('en-US'), devices, updatedAt: '2026-11-25T10:00:00.000Z' };

describe('recipientFor', () => {
  it("keeps the channel's own field and nothing else", () => {
    const all = { email, phone, deviceToken, devices };
    expect(recipientFor('email', all)).toEqual({ email });
    expect(recipientFor('sms', all)).toEqual({ phone });
    expect(recipientFor('push', all)).toEqual({ deviceToken });
    expect(recipientFor('push', { email, devices })).toEqual({ devices });
  });

  it('is empty when the field is missing, and so is a push recipient with no devices', () => {
    expect(recipientFor('email', { phone })).toEqual({});
    expect(recipientFor('push', { devices: [] })).toEqual({});
    expect(hasRecipient('push', { devices: [] })).toBe(false);
    expect(hasRecipient('sms', { email })).toBe(false);
    expect(hasRecipient('sms', { phone })).toBe(true);
  });
});

describe('profileRecipient', () => {
  it('takes email for email, phone for sms, and every device for push', () => {
    expect(profileRecipient('email', profile)).toEqual({ email });
    expect(profileRecipient('sms', profile)).toEqual({ phone });
    expect(profileRecipient('push', profile)).toEqual({ devices });
  });

  it('finds no contact point in a profile without the field, with no devices, or in no profile at all', () => {
    const bare: StoredProfile = { updatedAt: profile.updatedAt };
    expect(profileRecipient('email', bare)).toBeUndefined();
    expect(profileRecipient('sms', { ...bare, email })).toBeUndefined();
    expect(profileRecipient('push', { ...bare, devices: [] })).toBeUndefined();
    expect(profileRecipient('email', undefined)).toBeUndefined();
  });
});
