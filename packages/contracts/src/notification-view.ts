import { z } from 'zod';
import { ChannelSchema, PrioritySchema } from './notification-request.js';

export const NotificationStatusSchema = z.enum([
  'accepted',
  'scheduled',
  'dispatched',
  'retrying',
  'sent',
  'delivered',
  'bounced',
  'undeliverable',
  'suppressed',
  'failed',
  'expired',
  'canceled',
]);
export type NotificationStatus = z.infer<typeof NotificationStatusSchema>;

/** One line of a notification's timeline: the audit record of one transition. */
export const TimelineEntrySchema = z.object({
  at: z.iso.datetime(),
  status: NotificationStatusSchema,
  channel: ChannelSchema.optional(),
  attempt: z.number().int().nonnegative().optional(),
  provider: z.string().optional(),
  providerMessageId: z.string().optional(),
  reason: z.string().optional(),
  traceId: z.string().optional(),
});
export type TimelineEntry = z.infer<typeof TimelineEntrySchema>;

/**
 * What the status API returns: the notification without its recipient or content (PII). In the
 * moments between its `202` and the dispatcher taking it up, intake answers for it with what it
 * knows then: id, tenant, `accepted` and when; customer, channels and priority follow.
 */
export const NotificationViewSchema = z.object({
  id: z.string(),
  tenantId: z.string(),
  customerId: z.string().optional(),
  /** The channel in use now (or last used). */
  channel: ChannelSchema.optional(),
  /** Every channel that may be tried, in order. */
  channels: z.array(ChannelSchema).optional(),
  priority: PrioritySchema.optional(),
  status: NotificationStatusSchema,
  sendAt: z.iso.datetime({ offset: true }).optional(),
  expiresAt: z.iso.datetime({ offset: true }).optional(),
  metadata: z.record(z.string(), z.string()).optional(),
  attempts: z.number().int().nonnegative(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
  timeline: z.array(TimelineEntrySchema),
});
export type NotificationView = z.infer<typeof NotificationViewSchema>;
