import { newNotificationId, notificationIdFromIdempotencyKey, requestFingerprint } from './ids.js';
import { NotificationIdSchema } from './events.js';

describe('notification ids', () => {
  it('are valid ids', () => {
    expect(NotificationIdSchema.safeParse(newNotificationId()).success).toBe(true);
    expect(NotificationIdSchema.safeParse(notificationIdFromIdempotencyKey('t', 'k')).success).toBe(true);
  });

  it('sort by creation time', () => {
    const a = newNotificationId(1_700_000_000_000);
    const b = newNotificationId(1_700_000_000_001);
    const c = newNotificationId(1_800_000_000_000);
    expect([c, b, a].sort()).toEqual([a, b, c]);
  });

  it('are unique within the same millisecond', () => {
    const ids = new Set(Array.from({ length: 1000 }, () => newNotificationId(1_700_000_000_000)));
    expect(ids.size).toBe(1000);
  });

  it('derive the same id from the same tenant and Idempotency-Key, and another for another tenant', () => {
    expect(notificationIdFromIdempotencyKey('tenant-a', 'order-42')).toBe(notificationIdFromIdempotencyKey('tenant-a', 'order-42'));
    expect(notificationIdFromIdempotencyKey('tenant-a', 'order-42')).not.toBe(notificationIdFromIdempotencyKey('tenant-b', 'order-42'));
    // the separator keeps ("ab","c") and ("a","bc") apart
    expect(notificationIdFromIdempotencyKey('ab', 'c')).not.toBe(notificationIdFromIdempotencyKey('a', 'bc'));
  });
});

describe('request fingerprints', () => {
  it('ignore key order and undefined fields, and tell different bodies apart', () => {
    expect(requestFingerprint({ a: 1, b: { c: [1, 2], d: 'x' } })).toBe(requestFingerprint({ b: { d: 'x', c: [1, 2] }, a: 1, e: undefined }));
    expect(requestFingerprint({ a: 1, b: [1, 2] })).not.toBe(requestFingerprint({ a: 1, b: [2, 1] }));
    expect(requestFingerprint({ a: '1' })).not.toBe(requestFingerprint({ a: 1 }));
  });
});
