// Where a dispatch goes: the recipient field its channel uses, sealed, from the request or, when
// the request left it out, from the customer's profile as it is when the message is sent (so a
// retry after the customer changed their address goes to the new one).
import type { Channel, SealedRecipient, StoredProfile } from '@herald/contracts';

/**
 * What of `to` the channel uses, and nothing else: the push queue never holds an email address.
 * Push takes the request's one device token, else every device listed.
 */
export function recipientFor(channel: Channel, to: SealedRecipient): SealedRecipient {
  switch (channel) {
    case 'email':
      return to.email !== undefined ? { email: to.email } : {};
    case 'sms':
      return to.phone !== undefined ? { phone: to.phone } : {};
    case 'push':
      if (to.deviceToken !== undefined) return { deviceToken: to.deviceToken };
      return to.devices?.length ? { devices: to.devices } : {};
  }
}

/** Whether `to` holds somewhere for the channel to send to. */
export function hasRecipient(channel: Channel, to: SealedRecipient): boolean {
  return Object.keys(recipientFor(channel, to)).length > 0;
}

/**
 * The channel's recipient from the customer's profile: email → its email, sms → its phone, push →
 * all its devices. Undefined when the profile (or the customer) has no contact point for it.
 */
export function profileRecipient(channel: Channel, profile: StoredProfile | undefined): SealedRecipient | undefined {
  if (!profile) return undefined;
  const to = recipientFor(channel, {
    ...(profile.email !== undefined ? { email: profile.email } : {}),
    ...(profile.phone !== undefined ? { phone: profile.phone } : {}),
    ...(profile.devices !== undefined ? { devices: profile.devices } : {}),
  });
  return hasRecipient(channel, to) ? to : undefined;
}
