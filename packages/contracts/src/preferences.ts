import { z } from 'zod';
import { ChannelSchema } from './notification-request.js';

const isTimeZone = (tz: string): boolean => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
};

export const TimeZoneSchema = z.string().min(1).max(64).refine(isTimeZone, 'must be an IANA time zone such as Europe/Berlin');
const wallTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be HH:MM (24-hour)');

/**
 * A customer's delivery preferences (`PUT /v1/customers/<id>/preferences`). Quiet hours are in
 * the customer's own time zone and may cross midnight (22:00 → 07:00); they defer bulk
 * notifications to the end of the window. Opted-out channels suppress bulk notifications.
 * Critical notifications ignore both: a password reset is not marketing.
 */
export const PreferencesSchema = z
  .object({
    timezone: TimeZoneSchema.optional(),
    quietHours: z.object({ start: wallTime, end: wallTime }).strict().optional(),
    optedOut: z.array(ChannelSchema).optional(),
  })
  .strict()
  .superRefine((p, ctx) => {
    if (p.quietHours && !p.timezone) ctx.addIssue({ code: 'custom', path: ['timezone'], message: 'required with quietHours' });
    if (p.quietHours && p.quietHours.start === p.quietHours.end) {
      ctx.addIssue({ code: 'custom', path: ['quietHours', 'end'], message: 'must differ from start' });
    }
  });
export type Preferences = z.infer<typeof PreferencesSchema>;
