// How each kind of PII is sealed and opened: a request's recipient, content and metadata, a
// profile, a dispatch. Pure, given the customer's data key.
import { createHmac } from 'node:crypto';
import {
  ContentSchema,
  type ChannelDispatch,
  type Content,
  type NotificationRequest,
  type Profile,
  type ProfileView,
  type Recipient,
  type SealedDispatch,
  type SealedRecipient,
  type SealedRequest,
  type StoredProfile,
} from '@herald/contracts';
import { open, seal, Undecryptable, type DataKey, type SealContext } from './envelope.js';

const sealValues = (key: DataKey, ctx: SealContext, values: Record<string, string>): Record<string, string> =>
  Object.fromEntries(Object.entries(values).map(([k, v]) => [k, seal(key, ctx, v)]));

function sealRecipient(key: DataKey, ctx: SealContext, to: Recipient): SealedRecipient {
  const out: SealedRecipient = {};
  if (to.email !== undefined) out.email = seal(key, ctx, to.email);
  if (to.phone !== undefined) out.phone = seal(key, ctx, to.phone);
  if (to.deviceToken !== undefined) out.deviceToken = seal(key, ctx, to.deviceToken);
  return out;
}

/** A validated request with its PII sealed under the customer's data key. */
export function sealRequest(key: DataKey, tenantId: string, req: NotificationRequest): SealedRequest {
  const ctx = { tenantId, customerId: req.customerId };
  const { to, content, metadata, ...rest } = req;
  return {
    ...rest,
    to: sealRecipient(key, ctx, to),
    content: seal(key, ctx, JSON.stringify(content)),
    ...(metadata ? { metadata: sealValues(key, ctx, metadata) } : {}),
  };
}

/** Metadata values opened (for a status view or a webhook event). */
export function openMetadata(key: DataKey, ctx: SealContext, metadata: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(metadata).map(([k, v]) => [k, open(key, ctx, v)]));
}

/** A sealed dispatch opened in memory for its provider. Throws Undecryptable. */
export function openDispatch(key: DataKey, dispatch: SealedDispatch): ChannelDispatch {
  const ctx = { tenantId: dispatch.tenantId, customerId: dispatch.customerId };
  const to: ChannelDispatch['to'] = {};
  if (dispatch.to.email !== undefined) to.email = open(key, ctx, dispatch.to.email);
  if (dispatch.to.phone !== undefined) to.phone = open(key, ctx, dispatch.to.phone);
  if (dispatch.to.deviceToken !== undefined) to.deviceToken = open(key, ctx, dispatch.to.deviceToken);
  if (dispatch.to.devices !== undefined) to.devices = dispatch.to.devices.map((d) => ({ platform: d.platform, token: open(key, ctx, d.token) }));
  let content: Content;
  try {
    content = ContentSchema.parse(JSON.parse(open(key, ctx, dispatch.content)));
  } catch (err) {
    if (err instanceof Undecryptable) throw err;
    throw new Undecryptable('sealed content is not a notification content');
  }
  return { ...dispatch, to, content };
}

/**
 * A device's id: a keyed hash of its token under the customer's data key. Stable (the same
 * token is the same device), says nothing about the token, and means nothing once the key is
 * destroyed.
 */
export function deviceId(key: DataKey, token: string): string {
  return createHmac('sha256', key.key).update(token).digest('base64url').slice(0, 16);
}

export function sealProfile(key: DataKey, ctx: SealContext, profile: Profile, now = new Date()): StoredProfile {
  const out: StoredProfile = { updatedAt: now.toISOString() };
  for (const field of ['email', 'phone', 'locale', 'timezone'] as const) {
    const value = profile[field];
    if (value !== undefined) out[field] = seal(key, ctx, value);
  }
  if (profile.devices?.length) out.devices = profile.devices.map((d) => ({ id: deviceId(key, d.token), platform: d.platform, token: seal(key, ctx, d.token) }));
  return out;
}

export function openProfile(key: DataKey, ctx: SealContext, stored: StoredProfile): Profile & Pick<ProfileView, 'devices'> {
  const out: Profile & Pick<ProfileView, 'devices'> = { devices: [] };
  for (const field of ['email', 'phone', 'locale', 'timezone'] as const) {
    const value = stored[field];
    if (value !== undefined) out[field] = open(key, ctx, value);
  }
  out.devices = (stored.devices ?? []).map((d) => ({ id: d.id, platform: d.platform, token: open(key, ctx, d.token) }));
  return out;
}
