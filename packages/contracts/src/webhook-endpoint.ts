import { z } from 'zod';
import { NotificationStatusSchema } from './notification-view.js';

/** Body of `POST /v1/webhooks`. */
export const WebhookRegistrationSchema = z
  .object({
    url: z
      .string()
      .max(2048)
      .url()
      .refine((u) => /^https?:\/\//i.test(u), 'must be an http or https URL'),
    /** Only these statuses are sent; all of them when absent. */
    statuses: z.array(NotificationStatusSchema).min(1).optional(),
    description: z.string().max(256).optional(),
  })
  .strict();
export type WebhookRegistration = z.infer<typeof WebhookRegistrationSchema>;

/** A registered endpoint, as stored. The secret signs every delivery (HMAC-SHA256). */
export const WebhookEndpointSchema = z.object({
  id: z.string().regex(/^whk_[0-9a-z]{26}$/),
  tenantId: z.string().min(1),
  url: z.string(),
  secret: z.string().min(32),
  statuses: z.array(NotificationStatusSchema).optional(),
  description: z.string().optional(),
  createdAt: z.iso.datetime(),
});
export type WebhookEndpoint = z.infer<typeof WebhookEndpointSchema>;
