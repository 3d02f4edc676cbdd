import type { Profile, ProfileView, StoredProfile } from '@herald/contracts';
import { StateConflict } from '@herald/dapr';
import type { Logger } from '@herald/service';
import { deviceId, openProfile, sealedKeyId, sealProfile, Undecryptable, type CustomerStore, type DataKey, type DataKeys } from '@herald/stores';

// Customers' profiles, kept sealed under the customer's data key (every value, each device's
// token) through the customer store, opened only in memory to answer or to change one.

/** A profile as opened: the plain fields, and each device with the id that names it. */
export type OpenedProfile = Omit<Profile, 'devices'> & Pick<ProfileView, 'devices'>;

/** What a change decides, given the profile as it is now (undefined: none, or none that opens). */
export type ProfileChange<R> = { result: R; write?: Profile };

export interface Profiles {
  /** The profile, or undefined when there is none, or none that opens (the customer's key is gone). */
  view(tenantId: string, customerId: string): Promise<ProfileView | undefined>;
  /** Replaces the profile (or makes it). */
  replace(tenantId: string, customerId: string, profile: Profile): Promise<ProfileView>;
  /**
   * Reads the profile, lets `change` decide, and writes what it decided at the version read,
   * reading again when the profile changed meanwhile (a few times, then StateConflict). The view
   * is the profile after the change (undefined when there is none).
   */
  modify<R>(tenantId: string, customerId: string, change: (current: OpenedProfile | undefined) => ProfileChange<R>): Promise<{ result: R; view?: ProfileView }>;
}

export interface ProfilesOptions {
  customers: Pick<CustomerStore, 'profileEntry' | 'putProfile'>;
  dataKeys: Pick<DataKeys, 'forSealing' | 'forOpening'>;
  log: Logger;
  now?: () => Date;
  /** How many times `modify` reads again after a concurrent change. */
  attempts?: number;
}

/** The profile in the clear, without the device ids (they are made again when it is sealed). */
export function plainProfile(opened: OpenedProfile): Profile {
  const { devices, ...fields } = opened;
  return devices.length > 0 ? { ...fields, devices: devices.map(({ token, platform }) => ({ token, platform })) } : fields;
}

/** Any one sealed value of a stored profile: they were all sealed under the same key. */
function anySealed(stored: StoredProfile): string | undefined {
  return stored.email ?? stored.phone ?? stored.locale ?? stored.timezone ?? stored.devices?.[0]?.token;
}

export function createProfiles(opts: ProfilesOptions): Profiles {
  const now = opts.now ?? (() => new Date());
  const attempts = opts.attempts ?? 5;

  const viewOf = (customerId: string, { email, phone, locale, timezone, devices }: OpenedProfile, updatedAt: string): ProfileView => ({
    customerId,
    ...(email !== undefined ? { email } : {}),
    ...(phone !== undefined ? { phone } : {}),
    ...(locale !== undefined ? { locale } : {}),
    ...(timezone !== undefined ? { timezone } : {}),
    devices,
    updatedAt,
  });

  /** Opens a stored profile: undefined when its key is gone or a value does not open. */
  async function open(tenantId: string, customerId: string, stored: StoredProfile): Promise<{ profile: OpenedProfile; key?: DataKey } | undefined> {
    const sealed = anySealed(stored);
    if (sealed === undefined) return { profile: { devices: [] } };
    try {
      const key = await opts.dataKeys.forOpening(tenantId, customerId, sealedKeyId(sealed));
      return key && { profile: openProfile(key, { tenantId, customerId }, stored), key };
    } catch (err) {
      if (!(err instanceof Undecryptable)) throw err;
      // Sealed under a key that is not the customer's, or altered: answered as no profile, and
      // a PUT replaces it. The message names key ids at most, never a value.
      opts.log.warn({ tenantId, err: err.message }, 'a stored profile does not open');
      return undefined;
    }
  }

  /** Seals and writes; the view of what was written. */
  async function write(tenantId: string, customerId: string, profile: Profile, key: DataKey, etag?: string | null): Promise<ProfileView> {
    const ctx = { tenantId, customerId };
    const stored = sealProfile(key, ctx, profile, now());
    await opts.customers.putProfile(tenantId, customerId, stored, etag);
    const { devices = [], ...fields } = profile;
    return viewOf(customerId, { ...fields, devices: devices.map((d) => ({ id: deviceId(key, d.token), platform: d.platform, token: d.token })) }, stored.updatedAt);
  }

  return {
    async view(tenantId, customerId) {
      const entry = await opts.customers.profileEntry(tenantId, customerId);
      if (!entry) return undefined;
      const opened = await open(tenantId, customerId, entry.profile);
      return opened && viewOf(customerId, opened.profile, entry.profile.updatedAt);
    },

    async replace(tenantId, customerId, profile) {
      return write(tenantId, customerId, profile, await opts.dataKeys.forSealing(tenantId, customerId));
    },

    async modify(tenantId, customerId, change) {
      for (let attempt = 1; ; attempt++) {
        const entry = await opts.customers.profileEntry(tenantId, customerId);
        const opened = entry && (await open(tenantId, customerId, entry.profile));
        const decided = change(opened?.profile);
        if (decided.write === undefined) {
          return { result: decided.result, ...(entry && opened ? { view: viewOf(customerId, opened.profile, entry.profile.updatedAt) } : {}) };
        }
        // The key that opened it is the customer's current one; a profile that did not open is
        // replaced, under the key the customer has now (made if they have none).
        const key = opened?.key ?? (await opts.dataKeys.forSealing(tenantId, customerId));
        try {
          // At the version read, or only if there is still none: a concurrent change is read again, not overwritten.
          return { result: decided.result, view: await write(tenantId, customerId, decided.write, key, entry ? entry.etag : null) };
        } catch (err) {
          if (!(err instanceof StateConflict) || attempt >= attempts) throw err;
        }
      }
    },
  };
}
