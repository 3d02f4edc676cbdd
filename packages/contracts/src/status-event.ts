import { z } from 'zod';
import { ChannelSchema } from './notification-request.js';
import { NotificationStatusSchema } from './notification-view.js';

/**
 * One status change of a notification, as POSTed to a tenant's webhook endpoints. `id` is
 * unique per change (`<notification id>.<timeline index>`), so a receiver can drop the
 * duplicates that at-least-once delivery allows. No recipient, no content: never PII.
 */
export const StatusEventSchema = z.object({
  schemaVersion: z.literal(1),
  id: z.string().min(1),
  type: z.literal('notification.status'),
  tenantId: z.string().min(1),
  notificationId: z.string().min(1),
  customerId: z.string().min(1),
  status: NotificationStatusSchema,
  at: z.iso.datetime(),
  channel: ChannelSchema.optional(),
  attempt: z.number().int().nonnegative().optional(),
  provider: z.string().optional(),
  providerMessageId: z.string().optional(),
  reason: z.string().optional(),
  metadata: z.record(z.string(), z.string()).optional(),
});
export type StatusEvent = z.infer<typeof StatusEventSchema>;
