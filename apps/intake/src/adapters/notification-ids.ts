import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { notificationIdBytes, notificationIdOf, timeOfBytes, timeOrderedBytes } from '@herald/contracts';

/**
 * Ids intake can recognise as its own. Between the `202` and the dispatcher's first turn for a
 * notification there is no state to read; an id that carries intake's mark lets a status request
 * in that moment be answered `accepted` without any write on the accept path.
 *
 * A fresh id is 48 bits of milliseconds, 40 random bits, and a 40-bit tag: an HMAC, under a key
 * every intake replica shares, of the tenant and the first 88 bits. Only intake can make one, and
 * only for the tenant it names: another tenant's id, or one made up, does not verify.
 */
export interface NotificationIds {
  /** A fresh id for a notification of `tenantId`, accepted at `nowMs`. */
  fresh(tenantId: string, nowMs: number): string;
  /** When intake minted `id` for `tenantId`; undefined for an id it did not mint for that tenant. */
  mintedAt(tenantId: string, id: string): number | undefined;
}

const HEAD_BYTES = 11;
const TAG_BYTES = 5;

export function createNotificationIds(key: Buffer): NotificationIds {
  if (key.length < 16) throw new Error('the notification id key must be at least 16 bytes');
  const tag = (tenantId: string, head: Uint8Array): Buffer =>
    createHmac('sha256', key).update(tenantId).update('\0').update(head).digest().subarray(0, TAG_BYTES);
  return {
    fresh(tenantId, nowMs) {
      const bytes = timeOrderedBytes(nowMs);
      bytes.set(tag(tenantId, bytes.subarray(0, HEAD_BYTES)), HEAD_BYTES);
      return notificationIdOf(bytes);
    },
    mintedAt(tenantId, id) {
      const bytes = notificationIdBytes(id);
      if (!bytes) return undefined;
      const expected = tag(tenantId, bytes.subarray(0, HEAD_BYTES));
      return timingSafeEqual(bytes.subarray(HEAD_BYTES), expected) ? timeOfBytes(bytes) : undefined;
    },
  };
}

/** A key for one process's ids, when none is configured: its ids are recognised by it alone. */
export const processLocalIdKey = (): Buffer => randomBytes(32);
