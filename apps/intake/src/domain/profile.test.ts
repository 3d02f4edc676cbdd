import { MAX_DEVICES, type Device } from '@herald/contracts';
import { addDevice, patchProfile, removeDevices } from './profile.js';

const device = (n: number): Device => ({ token: `token-${String(n).padStart(8, '0')}`, platform: n % 2 ? 'apns' : 'fcmv1' });

describe('patchProfile', () => {
  const profile = { email: 'jane@example.com', phone: '+14155550100', locale: 'en-US', devices: [device(1)] };

  it('replaces the fields given, removes those given as null, keeps the others', () => {
    expect(patchProfile(profile, { phone: '+14155550199', email: null })).toEqual({ phone: '+14155550199', locale: 'en-US', devices: [device(1)] });
    expect(patchProfile(profile, { devices: null, timezone: 'Europe/Berlin' })).toEqual({ email: 'jane@example.com', phone: '+14155550100', locale: 'en-US', timezone: 'Europe/Berlin' });
  });

  it('changes nothing for an empty patch, and leaves the profile it was given alone', () => {
    expect(patchProfile(profile, {})).toEqual(profile);
    patchProfile(profile, { email: null });
    expect(profile.email).toBe('jane@example.com');
  });
});

describe('addDevice', () => {
  it('adds a new token last, and changes nothing for one already there, whatever its platform now', () => {
    expect(addDevice({ devices: [device(1)] }, device(2))).toEqual({ added: true, profile: { devices: [device(1), device(2)] }, dropped: [] });
    expect(addDevice({}, device(1))).toEqual({ added: true, profile: { devices: [device(1)] }, dropped: [] });
    expect(addDevice({ devices: [device(1)] }, { ...device(1), platform: 'fcmv1' })).toEqual({ added: false });
  });

  it(`keeps at most ${MAX_DEVICES}, dropping the oldest`, () => {
    const full = Array.from({ length: MAX_DEVICES }, (_, i) => device(i));
    const change = addDevice({ email: 'jane@example.com', devices: full }, device(99));
    expect(change).toEqual({ added: true, profile: { email: 'jane@example.com', devices: [...full.slice(1), device(99)] }, dropped: [device(0)] });
  });
});

describe('removeDevices', () => {
  it('removes the devices picked, and the list once it is empty', () => {
    expect(removeDevices({ email: 'a@example.com', devices: [device(1), device(2)] }, (i) => i === 0)).toEqual({ email: 'a@example.com', devices: [device(2)] });
    expect(removeDevices({ email: 'a@example.com', devices: [device(1)] }, () => true)).toEqual({ email: 'a@example.com' });
  });
});
