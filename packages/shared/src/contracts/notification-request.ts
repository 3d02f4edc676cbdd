import { z } from 'zod';

/** Channels Herald can deliver on. Each has its own app and queue. */
export const ChannelSchema = z.enum(['email', 'sms', 'push']);
export type Channel = z.infer<typeof ChannelSchema>;

/** Lanes travel separately end to end: a bulk backlog must not delay a password reset. */
export const PrioritySchema = z.enum(['critical', 'bulk']);
export type Priority = z.infer<typeof PrioritySchema>;

const idPattern = /^[A-Za-z0-9._:@-]+$/;
export const CustomerIdSchema = z.string().min(1).max(128).regex(idPattern, 'only letters, digits and . _ : @ -');

/** E.164: a plus, a country code that does not start with 0, 8 to 15 digits in all. */
export const E164Schema = z.string().regex(/^\+[1-9]\d{7,14}$/, 'must be an E.164 phone number such as +14155550100');

export const RecipientSchema = z
  .object({
    email: z.email().max(254).optional(),
    phone: E164Schema.optional(),
    deviceToken: z.string().min(8).max(4096).optional(),
  })
  .strict();
export type Recipient = z.infer<typeof RecipientSchema>;

export const ContentSchema = z
  .object({
    subject: z.string().min(1).max(998).optional(), // RFC 5322 line length limit
    title: z.string().min(1).max(256).optional(),
    text: z.string().min(1).max(32_768),
    html: z.string().min(1).max(49_152).optional(),
    data: z.record(z.string().max(256), z.string().max(4096)).optional(),
  })
  .strict();
export type Content = z.infer<typeof ContentSchema>;

/** Which recipient field each channel needs. */
export const recipientFieldFor = { email: 'email', sms: 'phone', push: 'deviceToken' } as const satisfies Record<
  Channel,
  keyof Recipient
>;

/** Body of `POST /v1/notifications` (version 1 of the public API). */
export const NotificationRequestSchema = z
  .object({
    customerId: CustomerIdSchema,
    channel: ChannelSchema,
    to: RecipientSchema,
    content: ContentSchema,
    priority: PrioritySchema.default('bulk'),
    metadata: z.record(z.string().max(64), z.string().max(512)).optional(),
  })
  .strict()
  .superRefine((req, ctx) => {
    const field = recipientFieldFor[req.channel];
    if (req.to[field] === undefined) {
      ctx.addIssue({ code: 'custom', path: ['to', field], message: `required for channel "${req.channel}"` });
    }
    if (req.channel === 'email' && req.content.subject === undefined) {
      ctx.addIssue({ code: 'custom', path: ['content', 'subject'], message: 'required for channel "email"' });
    }
  });
export type NotificationRequest = z.infer<typeof NotificationRequestSchema>;
