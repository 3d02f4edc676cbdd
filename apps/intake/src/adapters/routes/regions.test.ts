import { KEY_B, REGIONS, useIntake } from '../intake-harness.test-helper.js';

// A customer of another region, over HTTP on the whole intake app: this intake is region `us`,
// and the customers below were met first by region `eu` (intake-harness.test-helper.ts).

const intake = useIntake();
const call = intake.call;
let n = 0;
/** A customer no test has met yet (homes are remembered across tests, as a replica would). */
const fresh = (): string => `regions-${process.pid}-${++n}`;
const email = (customerId: string) => ({ customerId, channel: 'email', to: { email: 'a@example.com' }, content: { subject: 's', text: 't' } });

describe('a customer of another region', () => {
  it('is answered 421 wrong_region with the home region and its URL, and nothing is written', async () => {
    const customer = fresh();
    await intake.h.homeInEu('tenant-a', customer);
    const before = intake.h.writes();
    const homesBefore = intake.h.state.writes.get('homes') ?? 0;
    const res = await call('POST', '/v1/notifications', { body: email(customer), headers: { 'Idempotency-Key': `k-${customer}` } });
    expect(res.status).toBe(421);
    expect(res.body).toMatchObject({ error: { code: 'wrong_region', field: 'customerId', region: 'eu', baseUrl: REGIONS.eu } });
    expect(intake.h.writes()).toBe(before);
    expect(intake.h.state.writes.get('homes') ?? 0).toBe(homesBefore);
    expect(intake.h.state.texts('datakeys')).toHaveLength(0);
  });

  it('is refused item by item in a batch, beside customers of this region', async () => {
    const theirs = fresh();
    const ours = fresh();
    await intake.h.homeInEu('tenant-a', theirs);
    const res = await call<{ accepted: number; results: Array<{ status: string; error?: { code: string; field: string } }> }>('POST', '/v1/notifications/batch', {
      body: { notifications: [email(ours), email(theirs)] },
    });
    expect(res.status).toBe(202);
    expect(res.body.accepted).toBe(1);
    expect(res.body.results[1]).toMatchObject({ status: 'rejected', error: { code: 'wrong_region', field: 'customerId' } });
    const alone = await call('POST', '/v1/notifications/batch', { body: { notifications: [email(theirs)] } });
    expect(alone.status).toBe(421);
  });

  it.each([
    ['GET', ''],
    ['PUT', ''],
    ['PATCH', ''],
    ['DELETE', ''],
    ['GET', '/notifications'],
    ['GET', '/preferences'],
    ['PUT', '/preferences'],
    ['POST', '/devices'],
  ])('is answered 421 on %s /v1/customers/<id>%s', async (method, path) => {
    const customer = fresh();
    await intake.h.homeInEu('tenant-a', customer);
    const before = intake.h.writes();
    const body = method === 'GET' || method === 'DELETE' ? undefined : path === '/devices' ? { token: 'tok-123456', platform: 'fcmv1' } : { timezone: 'Europe/Berlin' };
    const res = await call(method, `/v1/customers/${customer}${path}`, body === undefined ? {} : { body });
    expect(res.status).toBe(421);
    expect(res.body).toMatchObject({ error: { code: 'wrong_region', region: 'eu' } });
    expect(intake.h.writes()).toBe(before);
  });

  it('is a customer of this region for another tenant', async () => {
    const customer = fresh();
    await intake.h.homeInEu('tenant-a', customer);
    expect((await call('POST', '/v1/notifications', { key: KEY_B, body: email(customer) })).status).toBe(202);
  });
});

describe('a customer no region has met yet', () => {
  it('becomes this region\'s on the first request that writes, and stays here', async () => {
    const customer = fresh();
    expect((await call('PUT', `/v1/customers/${customer}`, { body: { email: 'x@example.com' } })).status).toBe(200);
    await expect(intake.h.homeInEu('tenant-a', customer)).rejects.toThrow(/already lives in us/);
  });

  it('is claimed by no read', async () => {
    const customer = fresh();
    expect((await call('GET', `/v1/customers/${customer}`)).status).toBe(404);
    await intake.h.homeInEu('tenant-a', customer);
  });

  it('is refused 503, never guessed, while the directory cannot be read', async () => {
    intake.h.state.down.add('homes');
    const res = await call('POST', '/v1/notifications', { body: email(fresh()) });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toEqual(expect.any(String));
    const put = await call('PUT', `/v1/customers/${fresh()}`, { body: { email: 'x@example.com' } });
    expect(put.status).toBe(503);
    expect(intake.h.writes()).toBe(0);
  });
});
