import { z } from 'zod';
import { ChannelSchema, ContentSchema, NotificationRequestSchema, PrioritySchema, RecipientSchema } from './notification-request.js';

// Every message between apps carries `schemaVersion`. Readers accept the versions they know
// and ignore fields they do not (zod strips unknown keys), so producers and consumers can be
// rolled out in any order.

export const NotificationIdSchema = z.string().regex(/^ntf_[0-9a-z]{26}$/, 'not a notification id');

/** Published by intake on the lane's topic; consumed by the dispatcher. */
export const NotificationAcceptedSchema = z.object({
  schemaVersion: z.literal(1),
  id: NotificationIdSchema,
  tenantId: z.string().min(1),
  acceptedAt: z.iso.datetime(),
  request: NotificationRequestSchema,
  /**
   * The caller's trace context. Carried in the event itself because intake publishes in bulk
   * (many requests in one publish), where a per-request header has nowhere to go.
   */
  traceparent: z.string().max(128).optional(),
});
export type NotificationAccepted = z.infer<typeof NotificationAcceptedSchema>;

/** Published by the notification actor to its channel's queue in its lane. */
export const ChannelDispatchSchema = z.object({
  schemaVersion: z.literal(1),
  notificationId: NotificationIdSchema,
  attempt: z.number().int().positive(),
  channel: ChannelSchema,
  priority: PrioritySchema,
  to: RecipientSchema,
  content: ContentSchema,
  /** The channel does not send after this time; it reports `expired` instead. */
  expiresAt: z.iso.datetime({ offset: true }).optional(),
  traceparent: z.string().optional(),
});
export type ChannelDispatch = z.infer<typeof ChannelDispatchSchema>;

/** What a provider call came to. Expected failures are data, not exceptions. */
export const DeliveryOutcomeSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('sent'), provider: z.string(), providerMessageId: z.string() }),
  z.object({
    kind: z.literal('transient'),
    provider: z.string(),
    reason: z.string(),
    retryAfterMs: z.number().int().nonnegative().optional(),
  }),
  z.object({ kind: z.literal('permanent'), provider: z.string(), reason: z.string() }),
  /** The dispatch reached the channel after its `expiresAt` (a backlog): nothing was sent. */
  z.object({ kind: z.literal('expired'), provider: z.string() }),
  /**
   * Not tried at all: the provider's breaker is open. Nothing was sent and no attempt is used
   * up; the notification waits `retryAfterMs` and goes again.
   */
  z.object({ kind: z.literal('deferred'), provider: z.string(), reason: z.string(), retryAfterMs: z.number().int().nonnegative() }),
]);
export type DeliveryOutcome = z.infer<typeof DeliveryOutcomeSchema>;

/** Reported by a channel app to the notification's actor. */
export const DeliveryResultSchema = z.object({
  schemaVersion: z.literal(1),
  notificationId: NotificationIdSchema,
  attempt: z.number().int().positive(),
  channel: ChannelSchema,
  at: z.iso.datetime(),
  outcome: DeliveryOutcomeSchema,
  traceId: z.string().optional(),
});
export type DeliveryResult = z.infer<typeof DeliveryResultSchema>;
