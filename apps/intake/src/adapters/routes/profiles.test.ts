import { StoredProfileSchema, type ProfileView } from '@herald/contracts';
import { KEY_STORE, recordKeys, RECORD_STORE } from '@herald/stores';
import { KEY_A, KEY_B, useIntake } from '../intake-harness.test-helper.js';

// The profile routes over HTTP, on the whole intake app with the real data keys and customer
// store over an in-memory state store (intake-harness.test-helper.ts).

const intake = useIntake();
const call = intake.call;

// jest's asymmetric matchers, typed as what they stand for.
const A_STRING = expect.any(String) as unknown as string;
const A_DEVICE_ID = expect.stringMatching(/^[A-Za-z0-9_-]{16}$/) as unknown as string;

const path = '/v1/customers/cust-1';
const token = (n: number): string => `fcm-token:${String(n).padStart(6, '0')}-APA91b`;
const profile = {
  email: 'jane.marker-5f1e@example.com',
  phone: '+14155550100',
  locale: 'de-DE',
  timezone: 'Europe/Berlin',
  devices: [{ token: token(1), platform: 'fcmv1' }],
};

const storeKey = `${RECORD_STORE}\u0000${recordKeys.profile('tenant-a', 'cust-1')}`;
/** cust-1's profile as the store keeps it, as its JSON text. */
const storedText = (): string | undefined => {
  const entry = intake.h.state.entries.get(storeKey);
  return entry && JSON.stringify(entry.value);
};

describe('PUT and GET /v1/customers/:customerId', () => {
  it('answers 404 customer_not_found before there is a profile', async () => {
    const res = await call('GET', path);
    expect(res.status).toBe(404);
    expect(res.body.error).toMatchObject({ code: 'customer_not_found', field: 'customerId' });
  });

  it('keeps the profile, shows it with an id for each device, and to no other tenant', async () => {
    const put = await call<ProfileView>('PUT', path, { body: profile });
    expect(put.status).toBe(200);
    expect(put.body).toEqual({
      customerId: 'cust-1',
      email: profile.email,
      phone: profile.phone,
      locale: 'de-DE',
      timezone: 'Europe/Berlin',
      devices: [{ id: A_DEVICE_ID, platform: 'fcmv1', token: token(1) }],
      updatedAt: A_STRING,
    });
    expect(await call('GET', path)).toMatchObject({ status: 200, body: put.body });
    expect((await call('GET', path, { key: KEY_B })).status).toBe(404);
  });

  it('keeps every value sealed: no address, number or token in the store', async () => {
    expect((await call('PUT', path, { body: profile })).status).toBe(200);
    const text = storedText();
    expect(text).toBeDefined();
    for (const value of [profile.email, profile.phone, token(1), 'Europe/Berlin', 'de-DE']) expect(text).not.toContain(value);
    expect(StoredProfileSchema.safeParse(JSON.parse(text ?? '')).success).toBe(true);
  });

  it('replaces the whole profile', async () => {
    await call('PUT', path, { body: profile });
    const put = await call<ProfileView>('PUT', path, { body: { phone: '+14155550199' } });
    expect(put.body).toEqual({ customerId: 'cust-1', phone: '+14155550199', devices: [], updatedAt: A_STRING });
    expect((await call<ProfileView>('GET', path)).body).toEqual(put.body);
  });

  it('takes an empty profile (a customer known by id only)', async () => {
    expect(await call('PUT', path, { body: {} })).toMatchObject({ status: 200, body: { customerId: 'cust-1', devices: [] } });
    expect((await call('GET', path)).status).toBe(200);
  });

  it.each([
    ['an email that is none', { email: 'jane' }, 'email'],
    ['a phone number not in E.164', { phone: '0155 550100' }, 'phone'],
    ['a locale that is no language tag', { locale: 'english please' }, 'locale'],
    ['a time zone that does not exist', { timezone: 'Mars/Olympus_Mons' }, 'timezone'],
    ['a device on an unknown platform', { devices: [{ token: token(1), platform: 'wns' }] }, 'devices.0.platform'],
    ['a device token with markup', { devices: [{ token: '<script>alert(1)</script>', platform: 'apns' }] }, 'devices.0.token'],
    ['the same token twice', { devices: [{ token: token(1), platform: 'apns' }, { token: token(1), platform: 'fcmv1' }] }, 'devices.1.token'],
    ['eleven devices', { devices: Array.from({ length: 11 }, (_, i) => ({ token: token(i), platform: 'apns' })) }, 'devices'],
    ['a field it does not know', { ...profile, address: '1 Main St' }, '(body)'],
    ['a body that is not an object', ['jane@example.com'], '(body)'],
  ])('refuses %s with 400 and the field, writing nothing', async (_what, body, field) => {
    const res = await call('PUT', path, { body });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'validation_failed', field });
    expect(intake.h.writes()).toBe(0);
  });

  it('refuses an invalid customer id', async () => {
    const res = await call('PUT', '/v1/customers/not%20valid', { body: profile });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'invalid_customer_id', field: 'customerId' });
  });

  it('refuses a body over 16 KiB with 413, before reading it as a profile', async () => {
    const res = await call('PUT', path, { body: { ...profile, locale: 'x'.repeat(17 * 1024) } });
    expect(res.status).toBe(413);
    expect(res.body.error).toMatchObject({ code: 'payload_too_large', field: '(body)' });
    expect(res.body.error.message).toContain('16384');
    expect(intake.h.writes()).toBe(0);
  });

  it('answers 404 once the customer\'s data key is gone: nothing of theirs opens any more', async () => {
    await call('PUT', path, { body: profile });
    expect(await intake.h.dataKeys.destroy('tenant-a', 'cust-1')).toBe(true);
    expect((await call('GET', path)).status).toBe(404);
    expect((await call('PATCH', path, { body: { locale: 'fr-FR' } })).status).toBe(404);
    // A new profile is made under the customer's new key.
    expect((await call('PUT', path, { body: profile })).status).toBe(200);
    expect((await call<ProfileView>('GET', path)).body.email).toBe(profile.email);
  });

  it('answers 404 for a profile whose values do not open (altered in the store)', async () => {
    await call('PUT', path, { body: profile });
    const stored = StoredProfileSchema.parse(intake.h.state.entries.get(storeKey)?.value);
    const altered = `${stored.email?.slice(0, -4)}AAAA`;
    intake.h.state.entries.set(storeKey, { value: { ...stored, email: altered }, etag: 'x' });
    expect((await call('GET', path)).status).toBe(404);
  });

  it('answers 503 with Retry-After when the key store is out of reach, and writes nothing', async () => {
    intake.h.state.down.add(KEY_STORE);
    const res = await call('PUT', path, { body: profile });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).not.toBeNull();
    expect(res.body.error.code).toBe('unavailable');
    expect(intake.h.state.entries.has(storeKey)).toBe(false);
  });
});

describe('PATCH /v1/customers/:customerId', () => {
  it('answers 404 without a profile, making none', async () => {
    const res = await call('PATCH', path, { body: { email: 'jane@example.com' } });
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('customer_not_found');
    expect(intake.h.writes()).toBe(0);
  });

  it('changes the fields given and removes those given as null', async () => {
    await call('PUT', path, { body: profile });
    const res = await call<ProfileView>('PATCH', path, { body: { phone: '+14155550199', email: null, devices: null } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ customerId: 'cust-1', phone: '+14155550199', locale: 'de-DE', timezone: 'Europe/Berlin', devices: [], updatedAt: A_STRING });
    expect((await call<ProfileView>('GET', path)).body).toEqual(res.body);
  });

  it('refuses an invalid value, a field it does not know, and a device list with a token twice', async () => {
    await call('PUT', path, { body: profile });
    const writes = intake.h.writes();
    expect((await call('PATCH', path, { body: { phone: 'call me' } })).body.error).toMatchObject({ code: 'validation_failed', field: 'phone' });
    expect((await call('PATCH', path, { body: { name: 'Jane' } })).body.error).toMatchObject({ code: 'validation_failed', field: '(body)' });
    const twice = { devices: [{ token: token(2), platform: 'apns' }, { token: token(2), platform: 'apns' }] };
    expect((await call('PATCH', path, { body: twice })).body.error).toMatchObject({ code: 'validation_failed', field: 'devices.1.token' });
    expect(intake.h.writes()).toBe(writes);
  });
});

describe('devices', () => {
  const devices = `${path}/devices`;
  const idOf = async (t: string): Promise<string | undefined> => (await call<ProfileView>('GET', path)).body.devices.find((d) => d.token === t)?.id;

  it('adds a device (201), and a token already there changes nothing (200)', async () => {
    await call('PUT', path, { body: profile });
    const added = await call<ProfileView>('POST', devices, { body: { token: token(2), platform: 'apns' } });
    expect(added.status).toBe(201);
    expect(added.body.devices.map((d) => d.token)).toEqual([token(1), token(2)]);
    expect(added.body.email).toBe(profile.email);
    const writes = intake.h.writes();
    const again = await call<ProfileView>('POST', devices, { body: { token: token(2), platform: 'apns' } });
    expect(again.status).toBe(200);
    expect(again.body).toEqual(added.body);
    expect(intake.h.writes()).toBe(writes);
  });

  it('makes the profile of a customer who has none', async () => {
    const res = await call<ProfileView>('POST', devices, { body: { token: token(3), platform: 'fcmv1' } });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ customerId: 'cust-1', devices: [{ id: A_STRING, token: token(3), platform: 'fcmv1' }], updatedAt: A_STRING });
  });

  it('keeps ten at most: the eleventh drops the oldest', async () => {
    await call('PUT', path, { body: { devices: Array.from({ length: 10 }, (_, i) => ({ token: token(i), platform: 'apns' })) } });
    const res = await call<ProfileView>('POST', devices, { body: { token: token(10), platform: 'apns' } });
    expect(res.status).toBe(201);
    expect(res.body.devices.map((d) => d.token)).toEqual(Array.from({ length: 10 }, (_, i) => token(i + 1)));
  });

  it('removes a device by the id GET shows (204), and answers 404 for one not there', async () => {
    await call('PUT', path, { body: { ...profile, devices: [{ token: token(1), platform: 'fcmv1' }, { token: token(2), platform: 'apns' }] } });
    const id = await idOf(token(1));
    expect(id).toBeDefined();
    const removed = await call('DELETE', `${devices}/${id}`);
    expect(removed.status).toBe(204);
    expect((await call<ProfileView>('GET', path)).body.devices.map((d) => d.token)).toEqual([token(2)]);
    const again = await call('DELETE', `${devices}/${id}`);
    expect(again.status).toBe(404);
    expect(again.body.error).toMatchObject({ code: 'device_not_found', field: 'deviceId' });
    expect((await call('DELETE', `${devices}/not-a-device-id`)).body.error.code).toBe('device_not_found');
    // Sent as it is (fetch would resolve the dot segment before sending).
    const dots = await intake.h.send('DELETE', `${devices}/..`, { headers: { authorization: `Bearer ${KEY_A}` } });
    expect(dots.status).toBe(400);
  });

  it('answers 404 customer_not_found for removing a device of a customer without a profile', async () => {
    const res = await call('DELETE', `${devices}/AAAAAAAAAAAAAAAA`);
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('customer_not_found');
  });

  it('names a device by an id that says nothing of its token, and differs per customer', async () => {
    await call('PUT', path, { body: profile });
    await call('PUT', '/v1/customers/cust-2', { body: profile });
    const [one, two] = await Promise.all(['cust-1', 'cust-2'].map(async (c) => (await call<ProfileView>('GET', `/v1/customers/${c}`)).body.devices[0]?.id));
    expect(one).not.toBe(two);
    expect(token(1)).not.toContain(one);
  });

  it.each([
    [{ token: token(1) }, 'platform'],
    [{ token: 'has spaces in it', platform: 'apns' }, 'token'],
    [{ token: token(1), platform: 'apns', label: 'phone' }, '(body)'],
  ])('refuses a device %j with 400 and the field', async (body, field) => {
    const res = await call('POST', devices, { body });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'validation_failed', field });
    expect(intake.h.writes()).toBe(0);
  });

  it('loses no device to concurrent adds: each reads again after the store refuses its stale write', async () => {
    await call('PUT', path, { body: { email: 'jane@example.com' } });
    const answers = await Promise.all([2, 3, 4, 5].map((n) => call('POST', devices, { body: { token: token(n), platform: 'apns' } })));
    expect(answers.map((a) => a.status)).toEqual([201, 201, 201, 201]);
    const tokens = (await call<ProfileView>('GET', path)).body.devices.map((d) => d.token);
    expect(tokens.sort()).toEqual([2, 3, 4, 5].map(token));
  });
});
