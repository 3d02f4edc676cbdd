import { NotificationIdSchema, newNotificationId, notificationIdBytes, notificationIdOf } from '@herald/contracts';
import { createNotificationIds } from './notification-ids.js';

const ids = createNotificationIds(Buffer.from('a key of at least sixteen bytes'));
const at = Date.parse('2026-12-02T10:00:00.000Z');

describe('notification ids intake can recognise', () => {
  it('mints ids of the usual shape, time-ordered, that it recognises with their time for their tenant only', () => {
    const id = ids.fresh('tenant-a', at);
    expect(NotificationIdSchema.safeParse(id).success).toBe(true);
    expect(ids.fresh('tenant-a', at + 1) > id).toBe(true);
    expect(ids.mintedAt('tenant-a', id)).toBe(at);
    expect(ids.mintedAt('tenant-b', id)).toBeUndefined();
    expect(createNotificationIds(Buffer.from('another key, also sixteen bytes')).mintedAt('tenant-a', id)).toBeUndefined();
  });

  it('does not recognise ids it did not mint, altered ones, or strings that are no id', () => {
    expect(ids.mintedAt('tenant-a', newNotificationId(at))).toBeUndefined();
    const bytes = notificationIdBytes(ids.fresh('tenant-a', at))!;
    bytes[3]! ^= 1;
    expect(ids.mintedAt('tenant-a', notificationIdOf(bytes))).toBeUndefined();
    for (const junk of ['ntf_', 'ntf_zzzzzzzzzzzzzzzzzzzzzzzzzz', `ntf_${'0'.repeat(25)}!`, 'whk_01jd0000000000000000000000']) {
      expect(ids.mintedAt('tenant-a', junk)).toBeUndefined();
    }
  });

  it('reads back the bytes an id encodes', () => {
    const id = newNotificationId(at);
    expect(notificationIdOf(notificationIdBytes(id)!)).toBe(id);
  });

  it('refuses a key too short to be one', () => {
    expect(() => createNotificationIds(Buffer.from('short'))).toThrow('at least 16 bytes');
  });
});
