import { z } from 'zod';
import { NotificationIdSchema } from './events.js';

/**
 * What a provider told us about a message after it accepted it (SendGrid event webhook, Twilio
 * status callback), reduced to what Herald records. Intake parses the provider's own format
 * and hands this to the notification's actor.
 */
export const ProviderEventSchema = z.object({
  schemaVersion: z.literal(1),
  notificationId: NotificationIdSchema,
  /** The attempt the provider's message belongs to, when the callback carries it. */
  attempt: z.number().int().positive().optional(),
  provider: z.string().min(1),
  providerMessageId: z.string().optional(),
  status: z.enum(['delivered', 'bounced', 'undeliverable']),
  /** The provider's own words: bounce reason, error code. Never an address. */
  reason: z.string().max(500).optional(),
  at: z.iso.datetime(),
});
export type ProviderEvent = z.infer<typeof ProviderEventSchema>;

/**
 * Intake's route for Twilio status callbacks: the SMS channel sends it as each message's
 * `StatusCallback` (with `herald_id` and `herald_attempt` in the query), intake serves it.
 */
export const TWILIO_STATUS_PATH = '/v1/providers/twilio/status';
