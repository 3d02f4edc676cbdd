import { z } from 'zod';
import { ChannelSchema, ContentSchema, DeviceSchema, PrioritySchema, RecipientSchema } from './notification-request.js';
import { SealedRecipientSchema, SealedRequestSchema, SealedSchema } from './sealed.js';

// Every message between apps carries `schemaVersion`. Readers accept the versions they know
// and ignore fields they do not (zod strips unknown keys), so producers and consumers can be
// rolled out in any order.

export const NotificationIdSchema = z.string().regex(/^ntf_[0-9a-z]{26}$/, 'not a notification id');

/**
 * Published by intake on the lane's topic; consumed by the dispatcher. Version 2: the request's
 * recipient, content and metadata values are sealed (version 1 carried them in the clear).
 */
export const NotificationAcceptedSchema = z.object({
  schemaVersion: z.literal(2),
  id: NotificationIdSchema,
  tenantId: z.string().min(1),
  acceptedAt: z.iso.datetime(),
  request: SealedRequestSchema,
  /**
   * The caller's trace context. Carried in the event itself because intake publishes in bulk
   * (many requests in one publish), where a per-request header has nowhere to go.
   */
  traceparent: z.string().max(128).optional(),
});
export type NotificationAccepted = z.infer<typeof NotificationAcceptedSchema>;

/**
 * Published by the notification actor to its channel's queue in its lane (version 2: sealed).
 * It carries only the recipient field its channel needs, sealed, and the sealed content; the
 * channel app opens them in memory, with the customer's data key, just before it sends.
 */
export const SealedDispatchSchema = z.object({
  schemaVersion: z.literal(2),
  notificationId: NotificationIdSchema,
  tenantId: z.string().min(1),
  customerId: z.string().min(1),
  attempt: z.number().int().positive(),
  channel: ChannelSchema,
  priority: PrioritySchema,
  to: SealedRecipientSchema,
  content: SealedSchema,
  /** The channel does not send after this time; it reports `expired` instead. */
  expiresAt: z.iso.datetime({ offset: true }).optional(),
  traceparent: z.string().optional(),
});
export type SealedDispatch = z.infer<typeof SealedDispatchSchema>;

/** A dispatch opened by its channel app: what a provider adapter sends, held only in memory. */
export const ChannelDispatchSchema = SealedDispatchSchema.extend({
  to: RecipientSchema.extend({ devices: z.array(DeviceSchema).optional() }),
  content: ContentSchema,
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
  /**
   * Not sent: the customer's data key is gone (the customer was erased), so nothing in the
   * dispatch can be read any more. The notification ends `canceled` (`customer_erased`).
   */
  z.object({ kind: z.literal('erased'), provider: z.string() }),
  /**
   * Not sent: the sealed recipient or content failed authentication (tampered with, or sealed
   * under another key). The notification ends `failed` (`undecryptable`); no retry can help.
   */
  z.object({ kind: z.literal('undecryptable'), provider: z.string() }),
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
