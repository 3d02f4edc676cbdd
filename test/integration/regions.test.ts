import { randomBytes } from 'node:crypto';
import { createClient } from '../harness/client.js';
import { scanFiles, scanPostgres, scanQueues, scanRedis, type Finding } from '../harness/pii-scan.js';
import { createDatabase, dropDatabase, psql } from '../harness/postgres.js';
import { cleanBrokers, killInstance, startInstance, startStack, stopStack, waitFor, waitSidecarHealthy, type StackInfo } from '../harness/stack.js';
import { SETTLED, waitSettled } from '../harness/tally.js';

// Two regions side by side, each a stack of its own from its folder (components/us,
// components/eu): its own Redis, database, RabbitMQ virtual host, sentry, placement and
// scheduler. They share only the customer directory. What one region is sent for the other's
// customers is refused with 421, and nothing of a customer of one region is ever written in the
// other: every key of its Redis, every row of its database, every queue and message of its
// virtual host and every file of its folder are read for the other's customer ids.

const run = `r${Date.now().toString(36)}`;
const directoryDatabase = `herald_${run}_directory`;
const bases = { us: 23_000, eu: 23_500 };
const urls = { us: `http://127.0.0.1:${bases.us + 10}`, eu: `http://127.0.0.1:${bases.eu + 10}` };
const homeDirectoryKey = randomBytes(32).toString('hex');
const stacks: Partial<Record<'us' | 'eu', StackInfo>> = {};
const stackOf = (region: 'us' | 'eu'): StackInfo => {
  const stack = stacks[region];
  if (!stack) throw new Error(`region ${region} did not start`);
  return stack;
};

beforeAll(async () => {
  createDatabase(directoryDatabase);
  for (const name of ['us', 'eu'] as const) {
    stacks[name] = await startStack({
      portBase: bases[name],
      region: { name, regions: urls, directoryDatabase, homeDirectoryKey },
      appEnv: { RETRY_BASE_DELAY_MS: '200', RETRY_MAX_DELAY_MS: '1000' },
      // A lane message held by a Redis that stopped is claimed again after seconds, not a minute.
      // A few PostgreSQL connections per component: the server allows 100, and the suite's own stack
      // holds about 45 of them while this runs (its pools keep what they opened).
      componentSettings: { processingTimeout: '8s', redeliverInterval: '2s', maxConns: '4' },
    });
  }
}, 300_000);

afterAll(async () => {
  for (const stack of Object.values(stacks)) {
    await stopStack(stack);
    await cleanBrokers(stack);
  }
  dropDatabase(directoryDatabase);
}, 120_000);

const email = (customerId: string) => ({ customerId, channel: 'email', to: { email: `${customerId}@example.com` }, content: { subject: 's', text: 't' } });
const sms = (customerId: string) => ({ customerId, channel: 'sms', to: { phone: '+14155550100' }, content: { text: 't' } });

/** Sends each customer's notification to its region's intake; resolves the ids accepted. */
async function sendAll(region: 'us' | 'eu', customers: readonly string[], channel: 'email' | 'sms' = 'email'): Promise<string[]> {
  const api = createClient(stackOf(region));
  const ids: string[] = [];
  for (const customer of customers) {
    const res = await api.send(channel === 'email' ? email(customer) : sms(customer));
    expect(res.status).toBe(202);
    ids.push((res.body as { id: string }).id);
  }
  return ids;
}

/** Everything a region keeps, read for the markers: its Redis, database, virtual host and folder. */
async function findIn(stack: StackInfo, markers: string[]): Promise<{ findings: Finding[]; read: string }> {
  const redis = await scanRedis(stack, markers);
  const pg = scanPostgres(stack, markers);
  const queues = await scanQueues(stack, markers);
  const files = scanFiles(stack, markers);
  return {
    findings: [...redis.findings, ...pg.findings, ...queues.findings, ...files.findings],
    read: `${redis.keys} Redis keys, ${pg.rows} PostgreSQL rows, ${queues.queues} queues (${queues.messages} messages), ${files.files} files`,
  };
}

describe('two regions', () => {
  it('keep every customer in their own region: the other answers 421, and keeps nothing of theirs', async () => {
    const customers = {
      us: Array.from({ length: 12 }, (_, i) => `us-${run}-${i}`),
      eu: Array.from({ length: 12 }, (_, i) => `eu-${run}-${i}`),
    };
    // With the SMS channel stopped in both regions, their SMS wait in the queues while the
    // queues are read: the reading sees messages, not only empty queues.
    for (const region of ['us', 'eu'] as const) {
      await killInstance(stackOf(region), 'channel-sms-daprd');
      await killInstance(stackOf(region), 'channel-sms');
    }
    const ids = { us: await sendAll('us', customers.us), eu: await sendAll('eu', customers.eu) };
    const queued = { us: await sendAll('us', customers.us.slice(0, 4), 'sms'), eu: await sendAll('eu', customers.eu.slice(0, 4), 'sms') };

    // Each region's customer, sent once to the other region: refused, pointing home.
    for (const [wrong, home] of [['us', 'eu'], ['eu', 'us']] as const) {
      const res = await createClient(stackOf(wrong)).send(email(customers[home][0]!));
      expect(res.status).toBe(421);
      expect(res.body).toMatchObject({ error: { code: 'wrong_region', region: home, baseUrl: urls[home] } });
      const profile = await createClient(stackOf(wrong)).call('PUT', `/v1/customers/${customers[home][1]}`, { email: 'x@example.com' });
      expect(profile.status).toBe(421);
    }

    for (const region of ['us', 'eu'] as const) {
      const api = createClient(stackOf(region));
      const settled = await waitSettled(api, ids[region], 60_000);
      expect([...settled.values()].every((s) => s === 'sent')).toBe(true);
      for (const id of queued[region]) await api.waitForStatus(id, 'dispatched', 30_000);
    }

    for (const [region, other] of [['us', 'eu'], ['eu', 'us']] as const) {
      const foreign = [...customers[other], ...ids[other], ...queued[other]];
      const { findings, read } = await findIn(stackOf(region), foreign);
      console.log(`region ${region}: read ${read}; ${findings.length} of region ${other}'s customer or notification ids`);
      expect(read).toMatch(/\(([1-9]\d*) messages\)/);
      expect(findings).toEqual([]);
      // The same reading finds the region's own, in its queues too: the scan reads what the stores hold.
      const own = (await findIn(stackOf(region), [...ids[region], ...queued[region]])).findings;
      expect(own.some((f) => f.where.startsWith('rabbitmq'))).toBe(true);
      expect(own.some((f) => f.where.startsWith('postgres'))).toBe(true);
    }

    for (const region of ['us', 'eu'] as const) {
      const stack = stackOf(region);
      // Together: the channel app waits for its sidecar before it listens.
      await Promise.all([startInstance(stack, 'channel-sms'), startInstance(stack, 'channel-sms-daprd')]);
      await waitSidecarHealthy(stack, 'channel-sms');
      const settled = await waitSettled(createClient(stack), queued[region], 60_000);
      expect([...settled.values()].every((s) => s === 'sent')).toBe(true);
    }

    // The directory they share holds hashes and region names: no customer id, no notification id.
    const homes = psql("SELECT key, value->>'region' FROM public.homes WHERE key <> 'home|directory'", directoryDatabase);
    expect(homes.length).toBeGreaterThanOrEqual(customers.us.length + customers.eu.length);
    for (const [key, region] of homes) {
      expect(key).toMatch(/^home\|[0-9a-f]{40}$/);
      expect(['us', 'eu']).toContain(region);
    }
    const directory = psql('SELECT t::text FROM public.homes t', directoryDatabase).flat().join('\n');
    for (const marker of [...customers.us, ...customers.eu, ...ids.us, ...ids.eu]) expect(directory).not.toContain(marker);
  }, 240_000);

  it('hold a region\'s work while its Redis is down: it answers 503, completes everything after, and the other carries on', async () => {
    const eu = stackOf('eu');
    const us = stackOf('us');
    const accepted = { us: [] as string[], eu: [] as string[] };
    const refused = { eu: 0, retryAfter: 0 };
    const sentAt = { us: [] as number[] };
    let sending = true;
    let n = 0;
    const faultAt = { start: 0, end: 0 };
    // A steady trickle to each region, about 20 a second each, until told to stop.
    const load = async (region: 'us' | 'eu'): Promise<void> => {
      const api = createClient(stackOf(region));
      while (sending) {
        const started = Date.now();
        const res = await api.send(email(`${region}-load-${run}-${n++ % 50}`)).catch(() => undefined);
        if (res?.status === 202) {
          accepted[region].push((res.body as { id: string }).id);
          if (region === 'us') sentAt.us.push(Date.now());
        } else if (region === 'eu' && res?.status === 503) {
          refused.eu++;
          if (res.headers.get('retry-after')) refused.retryAfter++;
        }
        await new Promise((r) => setTimeout(r, Math.max(0, 50 - (Date.now() - started))));
      }
    };
    const loadStart = Date.now();
    const loads = [load('us'), load('eu')];
    await waitFor('load in both regions', () => (accepted.us.length > 40 && accepted.eu.length > 40 ? true : undefined), 30_000);

    faultAt.start = Date.now();
    await killInstance(eu, 'redis');
    await waitFor('EU intake to refuse with 503', () => (refused.eu > 5 ? true : undefined), 30_000, 100);
    await new Promise((r) => setTimeout(r, 5_000));
    await startInstance(eu, 'redis');
    faultAt.end = Date.now();
    const acceptedBeforeRestart = accepted.eu.length;
    await waitFor('EU to accept again', () => (accepted.eu.length > acceptedBeforeRestart + 20 ? true : undefined), 60_000, 200);
    sending = false;
    await Promise.all(loads);

    const settledEu = await waitSettled(createClient(eu), accepted.eu, 120_000);
    const settledUs = await waitSettled(createClient(us), accepted.us, 60_000);
    const lost = (m: Map<string, string>) => [...m.values()].filter((s) => !SETTLED.has(s)).length;
    const rate = (from: number, to: number) => sentAt.us.filter((t) => t >= from && t < to).length / ((to - from) / 1000);
    const outage = (faultAt.end - faultAt.start) / 1000;
    const usBefore = rate(loadStart, faultAt.start);
    const usDuring = rate(faultAt.start, faultAt.end);
    console.log(
      `EU Redis down ${outage.toFixed(1)} s: EU accepted ${accepted.eu.length} (lost ${lost(settledEu)}), refused ${refused.eu} with 503 ` +
        `(${refused.retryAfter} with Retry-After); US accepted ${accepted.us.length} (lost ${lost(settledUs)}), ` +
        `${usBefore.toFixed(1)}/s before the fault, ${usDuring.toFixed(1)}/s during it`,
    );
    expect(lost(settledEu)).toBe(0);
    expect([...settledEu.values()].every((s) => s === 'sent')).toBe(true);
    expect(lost(settledUs)).toBe(0);
    expect(refused.retryAfter).toBe(refused.eu);
    // The US went on at its pace (a trickle: what slows it is only the machine both share).
    expect(usDuring).toBeGreaterThan(usBefore * 0.5);

    // And nothing of an EU customer reached the US meanwhile.
    const { findings } = await findIn(us, [...accepted.eu, `eu-load-${run}`]);
    expect(findings).toEqual([]);
  }, 300_000);
});
