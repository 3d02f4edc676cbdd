import { MAX_DEVICES, type Device, type Profile, type ProfilePatch } from '@herald/contracts';

// How a customer's profile changes, in the clear and in memory: the adapter opens the stored
// profile, applies one of these, and seals the result.

/** The profile with the patch applied: a field given replaces the stored one, `null` removes it. */
export function patchProfile(profile: Profile, patch: ProfilePatch): Profile {
  const next: Profile = { ...profile };
  const apply = <K extends keyof Profile>(field: K, value: Profile[K] | null | undefined): void => {
    if (value === null) delete next[field];
    else if (value !== undefined) next[field] = value;
  };
  apply('email', patch.email);
  apply('phone', patch.phone);
  apply('locale', patch.locale);
  apply('timezone', patch.timezone);
  apply('devices', patch.devices);
  return next;
}

export type DeviceAdded = { added: false } | { added: true; profile: Profile; dropped: Device[] };

/**
 * The profile with one more device, last in the list (the list runs oldest first). A token
 * already there is no change (whatever platform it came with now). Past MAX_DEVICES the oldest
 * ones make room: a customer's old phones stop getting pushes rather than the new one.
 */
export function addDevice(profile: Profile, device: Device): DeviceAdded {
  const devices = profile.devices ?? [];
  if (devices.some((d) => d.token === device.token)) return { added: false };
  const all = [...devices, device];
  const keep = all.slice(-MAX_DEVICES);
  return { added: true, profile: { ...profile, devices: keep }, dropped: all.slice(0, all.length - keep.length) };
}

/** The profile without the devices `remove` picks out (by index in its list). */
export function removeDevices(profile: Profile, remove: (index: number) => boolean): Profile {
  const devices = (profile.devices ?? []).filter((_d, i) => !remove(i));
  const { devices: _old, ...rest } = profile;
  return devices.length > 0 ? { ...rest, devices } : rest;
}
