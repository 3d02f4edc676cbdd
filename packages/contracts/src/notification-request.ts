import { z } from 'zod';
import { isDotSegment } from './ids.js';

/** Channels Herald can deliver on. Each has its own app and queue. */
export const ChannelSchema = z.enum(['email', 'sms', 'push']);
export type Channel = z.infer<typeof ChannelSchema>;

/** Lanes travel separately end to end: a bulk backlog must not delay a password reset. */
export const PrioritySchema = z.enum(['critical', 'bulk']);
export type Priority = z.infer<typeof PrioritySchema>;

const idPattern = /^[A-Za-z0-9._:@-]+$/;
/** Not `.` or `..`: the id goes in URLs (`/v1/customers/<id>/...`), where those are path segments. */
export const CustomerIdSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(idPattern, 'only letters, digits and . _ : @ -')
  .refine((id) => !isDotSegment(id), 'must not be "." or ".."');

/** E.164: a plus, a country code that does not start with 0, 8 to 15 digits in all. */
export const E164Schema = z.string().regex(/^\+[1-9]\d{7,14}$/, 'must be an E.164 phone number such as +14155550100');

export const EmailSchema = z.email().max(254);
/** A push token as the platforms issue them: FCM registration tokens and APNs hex tokens, no spaces or markup. */
export const DeviceTokenSchema = z.string().min(8).max(4096).regex(/^[A-Za-z0-9_:.\-]+$/, 'must be a device token (letters, digits and _ : . -)');
/** The native format a device takes pushes in: Apple's (APNs) or Firebase Cloud Messaging HTTP v1. */
export const PlatformSchema = z.enum(['apns', 'fcmv1']);
export type Platform = z.infer<typeof PlatformSchema>;
export const DeviceSchema = z.object({ token: DeviceTokenSchema, platform: PlatformSchema }).strict();
export type Device = z.infer<typeof DeviceSchema>;

/**
 * Where to send. In a request every field may be left out: the customer's profile fills it
 * when the notification is sent. `devices` is what a profile gives the push channel (each
 * device in its own platform's format); a request names one `deviceToken`.
 */
export const RecipientSchema = z
  .object({
    email: EmailSchema.optional(),
    phone: E164Schema.optional(),
    deviceToken: DeviceTokenSchema.optional(),
  })
  .strict();
export type Recipient = z.infer<typeof RecipientSchema> & { devices?: Device[] };

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

const instant = z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time such as 2026-11-25T18:00:00Z' });

/**
 * Body of `POST /v1/notifications` (version 1 of the public API). Either `channel`, or
 * `channels`: an ordered fallback list, each tried when the one before fails permanently or
 * runs out of attempts. `to` is optional: a channel whose recipient field it lacks takes the
 * customer's profile at the moment of sending.
 */
export const NotificationRequestSchema = z
  .object({
    customerId: CustomerIdSchema,
    channel: ChannelSchema.optional(),
    channels: z.array(ChannelSchema).min(1).max(3).optional(),
    to: RecipientSchema.default({}),
    content: ContentSchema,
    priority: PrioritySchema.default('bulk'),
    /** Hold until this time (an actor reminder), then send. */
    sendAt: instant.optional(),
    /** Never send after this time: the notification ends `expired` instead. */
    expiresAt: instant.optional(),
    metadata: z.record(z.string().max(64), z.string().max(512)).optional(),
  })
  .strict()
  .superRefine((req, ctx) => {
    if (req.channel === undefined && req.channels === undefined) {
      ctx.addIssue({ code: 'custom', path: ['channel'], message: 'required: give "channel" or "channels"' });
    }
    if (req.channel !== undefined && req.channels !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['channels'], message: 'give either "channel" or "channels", not both' });
    }
    if (req.channels && new Set(req.channels).size !== req.channels.length) {
      ctx.addIssue({ code: 'custom', path: ['channels'], message: 'must not name a channel twice' });
    }
    for (const channel of requestChannels(req)) {
      if (channel === 'email' && req.content.subject === undefined) {
        ctx.addIssue({ code: 'custom', path: ['content', 'subject'], message: 'required for channel "email"' });
      }
    }
    if (req.sendAt && req.expiresAt && Date.parse(req.expiresAt) <= Date.parse(req.sendAt)) {
      ctx.addIssue({ code: 'custom', path: ['expiresAt'], message: 'must be after sendAt' });
    }
  });
export type NotificationRequest = z.infer<typeof NotificationRequestSchema>;

/** The channels of a request, in the order they are tried. */
export function requestChannels(req: Pick<NotificationRequest, 'channel' | 'channels'>): Channel[] {
  return req.channels ?? (req.channel ? [req.channel] : []);
}
