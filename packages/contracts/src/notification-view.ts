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

/**
 * The part of a notification actor's stored state that a reader outside the actor may rely on:
 * a customer's history is read by querying the store for these (no actor is woken for it), and
 * shown through `notificationViewOf`, exactly as the actor shows itself. The recipient and
 * content are in the store too, and never read from here.
 */
export const StoredNotificationSchema = z.object({
  id: z.string(),
  tenantId: z.string(),
  customerId: z.string(),
  channels: z.array(ChannelSchema).min(1),
  channelIndex: z.number().int().nonnegative(),
  priority: PrioritySchema,
  status: NotificationStatusSchema,
  sendAt: z.string().optional(),
  expiresAt: z.string().optional(),
  metadata: z.record(z.string(), z.string()).optional(),
  attempt: z.number().int().nonnegative(),
  createdAt: z.string(),
  updatedAt: z.string(),
  timeline: z.array(TimelineEntrySchema),
});
export type StoredNotification = z.infer<typeof StoredNotificationSchema>;

/** The status view of a stored notification: everything but its recipient and content. */
export function notificationViewOf(state: StoredNotification): NotificationView {
  return {
    id: state.id,
    tenantId: state.tenantId,
    customerId: state.customerId,
    channel: state.channels[state.channelIndex] ?? state.channels[0],
    channels: state.channels,
    priority: state.priority,
    status: state.status,
    ...(state.sendAt ? { sendAt: state.sendAt } : {}),
    ...(state.expiresAt ? { expiresAt: state.expiresAt } : {}),
    ...(state.metadata ? { metadata: state.metadata } : {}),
    attempts: state.attempt,
    createdAt: state.createdAt,
    updatedAt: state.updatedAt,
    timeline: state.timeline,
  };
}
