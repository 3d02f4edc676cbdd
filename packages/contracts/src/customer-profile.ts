import { z } from 'zod';
import { DeviceSchema, E164Schema, EmailSchema } from './notification-request.js';
import { SealedDeviceSchema, SealedSchema } from './sealed.js';
import { TimeZoneSchema } from './preferences.js';

const isLocale = (tag: string): boolean => {
  try {
    return Intl.getCanonicalLocales(tag).length === 1;
  } catch {
    return false;
  }
};

export const LocaleSchema = z.string().min(2).max(35).refine(isLocale, 'must be a BCP 47 language tag such as en-US');
/** A customer has at most this many push devices; adding one more replaces the oldest. */
export const MAX_DEVICES = 10;

/**
 * A customer's contact points (`PUT /v1/customers/<id>`): where their notifications go when a
 * request leaves out `to`. Every field is optional; a profile with none is allowed (a customer
 * known only by id).
 */
export const ProfileSchema = z
  .object({
    email: EmailSchema.optional(),
    phone: E164Schema.optional(),
    locale: LocaleSchema.optional(),
    timezone: TimeZoneSchema.optional(),
    devices: z.array(DeviceSchema).max(MAX_DEVICES).optional(),
  })
  .strict()
  .superRefine((p, ctx) => {
    const tokens = new Set<string>();
    for (const [i, d] of (p.devices ?? []).entries()) {
      if (tokens.has(d.token)) ctx.addIssue({ code: 'custom', path: ['devices', i, 'token'], message: 'listed twice' });
      tokens.add(d.token);
    }
  });
export type Profile = z.infer<typeof ProfileSchema>;

/** `PATCH /v1/customers/<id>`: the fields given replace those stored; `null` removes one. */
export const ProfilePatchSchema = z
  .object({
    email: EmailSchema.nullable().optional(),
    phone: E164Schema.nullable().optional(),
    locale: LocaleSchema.nullable().optional(),
    timezone: TimeZoneSchema.nullable().optional(),
    devices: z.array(DeviceSchema).max(MAX_DEVICES).nullable().optional(),
  })
  .strict();
export type ProfilePatch = z.infer<typeof ProfilePatchSchema>;

/** A profile as the store keeps it: every value sealed under the customer's data key. */
export const StoredProfileSchema = z.object({
  email: SealedSchema.optional(),
  phone: SealedSchema.optional(),
  locale: SealedSchema.optional(),
  timezone: SealedSchema.optional(),
  devices: z.array(SealedDeviceSchema).optional(),
  updatedAt: z.string(),
});
export type StoredProfile = z.infer<typeof StoredProfileSchema>;

/** What `GET /v1/customers/<id>` answers: the profile, each device with the id that removes it. */
export interface ProfileView {
  customerId: string;
  email?: string;
  phone?: string;
  locale?: string;
  timezone?: string;
  devices: { id: string; platform: 'apns' | 'fcmv1'; token: string }[];
  updatedAt: string;
}

/**
 * An erasure (`DELETE /v1/customers/<id>`), which is also its audit record: who asked, when,
 * and what was erased. No PII: the customer is named by id only. Kept for the retention period.
 */
export const ErasureSchema = z.object({
  id: z.string().regex(/^ers_[0-9a-z]{26}$/),
  tenantId: z.string().min(1),
  customerId: z.string().min(1),
  status: z.enum(['running', 'completed']),
  requestedAt: z.iso.datetime(),
  /** Which API key asked for it: its fingerprint, never the key. */
  requestedBy: z.string(),
  completedAt: z.iso.datetime().optional(),
  erased: z.object({
    /** The customer's data key was destroyed: everything it sealed, anywhere, is unreadable. */
    dataKey: z.boolean(),
    profile: z.boolean(),
    preferences: z.boolean(),
    /** Notifications found in the customer's history, and how many of them are done: stripped to statuses and times, the pending ones canceled. */
    notificationsFound: z.number().int().nonnegative(),
    notificationsErased: z.number().int().nonnegative(),
    notificationsCanceled: z.number().int().nonnegative(),
  }),
});
export type Erasure = z.infer<typeof ErasureSchema>;
