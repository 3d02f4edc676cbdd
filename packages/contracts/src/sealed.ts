import { z } from 'zod';
import { CustomerIdSchema, PlatformSchema, PrioritySchema, ChannelSchema } from './notification-request.js';

// PII never travels or rests in the clear: wherever Herald keeps or queues an address, a
// token, a message or a metadata value, it keeps a *sealed* string instead, encrypted under
// the customer's own data key (AES-256-GCM). Only the shapes are here; the sealing is
// @herald/stores' privacy module.

/**
 * `s1.<data key id>.<base64url of iv, ciphertext and tag>`: the format's version, then which
 * of the customer's data keys sealed it (a key made after an erasure has another id).
 */
// The bound is only against nonsense: sealing adds a third (base64) and 39 characters to the
// JSON it seals, so anything a request body within intake's limits (8 MiB for a batch) can hold
// seals to well under 16 MB. A tighter bound here would turn a request intake accepted into
// an event the dispatcher refuses.
export const SealedSchema = z.string().max(16_000_000).regex(/^s1\.[A-Za-z0-9_-]{11}\.[A-Za-z0-9_-]{38,}$/, 'not a sealed value');
export type Sealed = z.infer<typeof SealedSchema>;

export const SealedDeviceSchema = z.object({ id: z.string().min(1).max(32), platform: PlatformSchema, token: SealedSchema });
export type SealedDevice = z.infer<typeof SealedDeviceSchema>;

/** A recipient with every field sealed. */
export const SealedRecipientSchema = z.object({
  email: SealedSchema.optional(),
  phone: SealedSchema.optional(),
  deviceToken: SealedSchema.optional(),
  devices: z.array(SealedDeviceSchema).max(20).optional(),
});
export type SealedRecipient = z.infer<typeof SealedRecipientSchema>;

/**
 * A notification request as intake passes it on: validated, with `to` sealed field by field
 * (a channel's queue gets only its own field), the whole `content` as one sealed JSON, and
 * each metadata value sealed (its keys stay readable: they name things, they hold no data).
 */
export const SealedRequestSchema = z.object({
  customerId: CustomerIdSchema,
  channel: ChannelSchema.optional(),
  channels: z.array(ChannelSchema).min(1).max(3).optional(),
  to: SealedRecipientSchema,
  content: SealedSchema,
  priority: PrioritySchema,
  sendAt: z.string().optional(),
  expiresAt: z.string().optional(),
  metadata: z.record(z.string().max(64), SealedSchema).optional(),
});
export type SealedRequest = z.infer<typeof SealedRequestSchema>;
