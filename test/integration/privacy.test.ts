import amqp from 'amqplib';
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { SealedDispatchSchema, type NotificationView } from '@herald/contracts';
import { channelTopic, createSidecar, deadLetterTopic, lanePubsub, laneTopic } from '@herald/dapr';
import { createDataKeys, parseKeyRing, sealedKeyId } from '@herald/stores';
import { createClient, request, stackRedis } from '../harness/client.js';
import { uniqueCustomer } from '../harness/ids.js';
import { scanFiles, scanPostgres, scanQueues, scanRedis, type Finding } from '../harness/pii-scan.js';
import { cleanBrokers, keyRingSecret, killInstance, ROOT, startInstance, startStack, stopStack, waitFor, waitSidecarHealthy, type StackInfo } from '../harness/stack.js';

// PII at rest is ciphertext, erasure shreds it, and the key-encryption key rotates under load,
// on a stack of this file's own (its sidecars' key ring is changed and the stack restarted).
// The real provider adapters run against the provider simulator.
const k1 = randomBytes(32);
const k2 = randomBytes(32);
let stack: StackInfo;
let api: ReturnType<typeof createClient>;
let sim: string;

const APPS = ['intake', 'dispatcher', 'channel-email', 'channel-sms', 'channel-push'] as const;
const simConfig = (provider: string, settings: Record<string, unknown>) => request(`${sim}/_sim/config`, { method: 'PUT', body: JSON.stringify({ [provider]: settings }) });
const stop = async (app: string) => {
  await killInstance(stack, app);
  await killInstance(stack, `${app}-daprd`);
};
const start = async (app: string) => {
  await startInstance(stack, `${app}-daprd`);
  await startInstance(stack, app);
  await waitSidecarHealthy(stack, app);
};

/** Every sidecar gets this key ring, and every app and sidecar starts again to read it. */
async function restartWithKeyRing(secret: string, apps: readonly string[] = APPS): Promise<void> {
  // One environment object serves every sidecar's launch (startStack): set once, seen by all.
  const env = stack.launch['intake-daprd']?.env;
  if (!env) throw new Error('no sidecar launch to change');
  env.HERALD_KEY_ENCRYPTION_KEYS = secret;
  for (const app of apps) await stop(app);
  for (const app of apps) await start(app);
}

beforeAll(async () => {
  stack = await startStack({
    portBase: 27000,
    simulator: true,
    secrets: { KEY_ENCRYPTION_KEYS: keyRingSecret({ k1 }, 'k1') },
    channelEnv: { BREAKER_OPEN_MS: '1000' },
    appEnv: { RETRY_BASE_DELAY_MS: '200', RETRY_MAX_DELAY_MS: '1000', RETRY_MAX_ATTEMPTS: '50' },
  });
  api = createClient(stack);
  sim = `http://127.0.0.1:${stack.simulatorPort ?? 0}`;
}, 120_000);

afterAll(async () => {
  if (!stack) return;
  await stopStack(stack);
  await cleanBrokers(stack);
}, 60_000);

const accepted = (res: { status: number; body: unknown }): string => {
  expect(res.status).toBe(202);
  return (res.body as { id: string }).id;
};
/** Puts an event on a channel topic's exchange, as the dispatcher's sidecar would. */
async function publishToQueue(topic: string, event: unknown): Promise<void> {
  const conn = await amqp.connect('amqp://guest:guest@127.0.0.1:5672');
  try {
    const ch = await conn.createConfirmChannel();
    ch.publish(topic, '', Buffer.from(JSON.stringify(event)), { contentType: 'application/cloudevents+json', deliveryMode: 2 });
    await ch.waitForConfirms();
    await ch.close();
  } finally {
    await conn.close();
  }
}
const view = async (id: string) => (await api.status(id)).body as NotificationView;
const statusOf = async (id: string) => (await view(id)).status;

describe('PII at rest', () => {
  it('keeps no address, number, token or text in the clear in Redis, PostgreSQL, the queues or any file; an erased customer’s queued messages no longer open', async () => {
    const mark = `zq${randomBytes(6).toString('hex')}`;
    const digits = () => `${2 + Math.floor(Math.random() * 8)}${randomBytes(8).readBigUInt64BE().toString().slice(0, 9)}`;
    const phoneA = digits();
    const phoneB = digits();
    const markers = [mark, phoneA, phoneB];
    const alice = uniqueCustomer();
    const bob = uniqueCustomer();
    const profile = (who: string, phone: string) => ({
      email: `${mark}.${who}@example.com`,
      phone: `+1${phone}`,
      locale: 'en-US',
      timezone: 'Europe/Berlin',
      devices: [
        { platform: 'apns', token: `${mark}${'a'.repeat(40)}` },
        { platform: 'fcmv1', token: `${mark}:${'b'.repeat(120)}` },
      ],
    });
    expect((await api.call('PUT', `/v1/customers/${alice}`, profile('alice', phoneA))).status).toBe(200);
    expect((await api.call('PUT', `/v1/customers/${bob}`, profile('bob', phoneB))).status).toBe(200);
    const content = { subject: `Hello ${mark}`, text: `Your code ${mark}`, html: `<p>${mark}</p>`, title: `T ${mark}`, data: { k: mark } };
    const metadata = { order: mark };

    // SMS held in its queue: the channel app and its sidecar are down.
    await stop('channel-sms');
    const heldSms = [
      accepted(await api.send({ customerId: alice, channel: 'sms', priority: 'critical', content, metadata })),
      accepted(await api.send({ customerId: bob, channel: 'sms', priority: 'critical', content, metadata })),
      accepted(await api.send({ customerId: bob, channel: 'sms', to: { phone: `+1${phoneB}` }, priority: 'critical', content })),
    ];
    // Email held by a provider outage: the breaker defers, the actors wait on reminders.
    await simConfig('sendgrid', { outage: true });
    const heldEmail = [
      accepted(await api.send({ customerId: alice, channel: 'email', priority: 'critical', content, metadata })),
      accepted(await api.send({ customerId: bob, channel: 'email', to: { email: `${mark}.direct@example.com` }, priority: 'critical', content })),
    ];
    // Push to every device of a profile goes through.
    const pushed = accepted(await api.send({ customerId: bob, channel: 'push', priority: 'critical', content, metadata }));
    await api.waitForStatus(pushed, 'sent', 30_000);
    for (const id of heldSms) await api.waitForStatus(id, 'dispatched', 30_000);
    for (const id of heldEmail) await waitFor(`${id} held by the outage`, async () => (['retrying', 'dispatched'].includes(await statusOf(id)) ? true : undefined), 30_000, 200);

    // A dead letter holding a real accepted event: an entry of the lane, published again broken.
    const redis = await stackRedis(stack);
    try {
      const lane = laneTopic('critical', stack.topicPrefix);
      const [entry] = await redis.xRange(lane, '-', '+', { COUNT: 1 });
      expect(entry).toBeDefined();
      const event = JSON.parse(String(entry?.message.data)) as { data: Record<string, unknown> };
      const sidecar = createSidecar('127.0.0.1', stack.apps.intake.daprHttp, { apiToken: stack.tokens?.intake?.dapr });
      await sidecar.publish(lanePubsub('critical'), lane, { ...event.data, id: 'not-an-id' });
      await waitFor('the dead letter', async () => ((await redis.xLen(deadLetterTopic(stack.topicPrefix))) > 0 ? true : undefined), 30_000, 200);
    } finally {
      redis.destroy();
    }

    const queued = await scanQueues(stack, markers);
    const redisScan = await scanRedis(stack, markers);
    const pgScan = scanPostgres(stack, markers);
    const fileScan = scanFiles(stack, markers, [join('logs', 'provider-sim.log')]);
    console.log(`scanned ${redisScan.keys} Redis keys, ${pgScan.rows} PostgreSQL rows, ${queued.messages} queued messages, ${fileScan.files} files`);
    // A scan that read nothing would pass for the wrong reason.
    expect(Math.min(redisScan.keys, pgScan.rows, queued.messages, fileScan.files)).toBeGreaterThan(0);
    const everywhere: Finding[] = [...redisScan.findings, ...pgScan.findings, ...queued.findings, ...fileScan.findings];
    expect(everywhere).toEqual([]);
    const smsQueue = [...queued.bodies.entries()].find(([q]) => q.includes('sms') && q.includes('critical'))?.[1] ?? [];
    expect(smsQueue.length).toBeGreaterThanOrEqual(3);

    // The push app opens a push of Alice's: her key is in its cache now, for minutes.
    const alicesPush = accepted(await api.send({ customerId: alice, channel: 'push', priority: 'critical', content }));
    await api.waitForStatus(alicesPush, 'sent', 30_000);

    // Erase Alice: her key goes first, then her records and notifications.
    const erasure = await api.call('DELETE', `/v1/customers/${alice}`);
    expect(erasure.status).toBe(202);
    const erasureId = (erasure.body as { id: string }).id;
    expect(erasure.headers.get('location')).toBe(`/v1/erasures/${erasureId}`);
    expect((await api.call('DELETE', `/v1/customers/${alice}`)).body).toMatchObject({ id: erasureId });
    await waitFor('the erasure to complete', async () => {
      const res = await api.call('GET', `/v1/erasures/${erasureId}`);
      return (res.body as { status: string }).status === 'completed' ? res.body : undefined;
    }, 90_000, 500);

    // Her message still queued cannot be opened: its data key is gone from the store.
    const ring = parseKeyRing('KEY_ENCRYPTION_KEYS', keyRingSecret({ k1 }, 'k1'));
    const keys = createDataKeys({ state: createSidecar('127.0.0.1', stack.apps.intake.daprHttp, { apiToken: stack.tokens?.intake?.dapr }), ring });
    const dispatches = smsQueue.map((text) => SealedDispatchSchema.parse((JSON.parse(text) as { data: unknown }).data));
    const hers = dispatches.filter((d) => d.customerId === alice);
    expect(hers).toHaveLength(1);
    for (const d of hers) expect(await keys.forOpening(d.tenantId, d.customerId, sealedKeyId(d.content))).toBeUndefined();
    for (const d of dispatches.filter((x) => x.customerId === bob)) expect(await keys.forOpening(d.tenantId, d.customerId, sealedKeyId(d.content))).toBeDefined();

    // Nor by the push app, which had her key cached: the erasure's announcement made it forget
    // the key, minutes before its cache would have. A copy of her queued dispatch, addressed to
    // push, arrives there now and does not open.
    const pushStats = async () => (await request(`http://127.0.0.1:${stack.apps['channel-push'].app}/stats`)).body as { erased: number };
    const erasedBefore = (await pushStats()).erased;
    const herEvent = JSON.parse(smsQueue.find((text) => SealedDispatchSchema.parse((JSON.parse(text) as { data: unknown }).data).customerId === alice) ?? '{}') as { data: Record<string, unknown> };
    await publishToQueue(channelTopic('push', 'critical', stack.topicPrefix), { ...herEvent, data: { ...herEvent.data, channel: 'push', attempt: 99 } });
    await waitFor('the push app to find her key gone', async () => ((await pushStats()).erased > erasedBefore ? true : undefined), 30_000, 200);

    // Her notifications: ended canceled (customer_erased), their views statuses and times only.
    for (const id of [heldSms[0] as string, heldEmail[0] as string]) {
      const v = await api.waitForStatus(id, 'canceled', 30_000);
      expect(v.timeline.at(-1)).toMatchObject({ status: 'canceled', reason: 'customer_erased' });
      expect(v.customerId).toBeUndefined();
      expect(v.metadata).toBeUndefined();
      expect(JSON.stringify(v)).not.toContain(mark);
    }
    expect((await api.call('GET', `/v1/customers/${alice}`)).status).toBe(404);
    expect(((await api.call('GET', `/v1/customers/${alice}/notifications`)).body as { items: unknown[] }).items).toEqual([]);

    // Back up: Bob's are sent, Alice's queued SMS is not (her key is gone), nothing is lost.
    await simConfig('sendgrid', { outage: false });
    await start('channel-sms');
    for (const id of [...heldSms.slice(1), ...heldEmail.slice(1)]) await api.waitForStatus(id, 'sent', 60_000);
    expect(await statusOf(heldSms[0] as string)).toBe('canceled');
    const bobsView = await view(heldSms[1] as string);
    expect(bobsView.metadata).toEqual(metadata);
  }, 300_000);
});

describe('key rotation', () => {
  it('sends after the rotation a notification accepted before it, with the old key retired', async () => {
    const carol = uniqueCustomer();
    expect((await api.call('PUT', `/v1/customers/${carol}`, { phone: '+14155550123' })).status).toBe(200);
    await stop('channel-sms');
    const before = accepted(await api.send({ customerId: carol, channel: 'sms', priority: 'critical', content: { text: 'sealed under k1' } }));
    await api.waitForStatus(before, 'dispatched', 30_000);

    // k2 joins as primary while k1 still opens; every data key is wrapped anew under k2.
    await restartWithKeyRing(keyRingSecret({ k1, k2 }, 'k2'), APPS.filter((a) => a !== 'channel-sms'));
    const cli = (command: string) =>
      JSON.parse(execFileSync(process.execPath, [join(ROOT, 'apps/intake/dist/keys-cli.js'), command], {
        env: { ...process.env, DAPR_HTTP_PORT: String(stack.apps.intake.daprHttp), ...(stack.tokens?.intake ? { DAPR_API_TOKEN: stack.tokens.intake.dapr } : {}) },
        encoding: 'utf8',
      })) as { dataKeysByVersion: Record<string, number>; rewrapped?: number; failed?: unknown[] };
    expect(cli('status').dataKeysByVersion.k1).toBeGreaterThan(0);
    const rewrap = cli('rewrap');
    expect(rewrap.failed).toEqual([]);
    expect(rewrap.rewrapped).toBeGreaterThan(0);
    expect(Object.keys(rewrap.dataKeysByVersion)).toEqual(['k2']);

    // k1 retired: only k2 is left anywhere, and the notification from before is sent.
    await restartWithKeyRing(keyRingSecret({ k2 }, 'k2'), APPS.filter((a) => a !== 'channel-sms'));
    stack.launch['channel-sms-daprd']!.env.HERALD_KEY_ENCRYPTION_KEYS = keyRingSecret({ k2 }, 'k2');
    await start('channel-sms');
    await api.waitForStatus(before, 'sent', 60_000);
    const after = accepted(await api.send({ customerId: carol, channel: 'sms', priority: 'critical', content: { text: 'sealed under k2' } }));
    await api.waitForStatus(after, 'sent', 30_000);
  }, 300_000);
});
