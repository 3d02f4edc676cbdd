// The faults that break notification services, as repeatable scenarios: each offers a load,
// does its damage mid-way, undoes it, and reports what became of every notification accepted
// with 202 (settled by status, lost, sent twice) and how long the stack took to settle after
// the fault ended. `npm run chaos -- <scenario>` runs one at full size (chaos.ts); the
// integration tests run the same code at a small size.
import type { NotificationView } from '@herald/contracts';
import { createClient, request } from '../harness/client.js';
import { uniqueCustomer } from '../harness/ids.js';
import { killInstance, startInstance, waitFor, type StackInfo, type StackOptions } from '../harness/stack.js';
import { ownPostgres, ownRabbit } from './own-services.js';
import { sandboxSends, sendBatch, statusesOf, tally, viewsOf, waitSettled, type Tally } from '../harness/tally.js';

export interface ChaosSize {
  /** Notifications offered before the fault (a batch). */
  count: number;
  /** How long the fault lasts, seconds. */
  downSeconds: number;
  /** How long to wait for everything to settle after the fault, seconds. */
  settleSeconds: number;
}

export interface ChaosOutcome {
  tally: Tally;
  /** Seconds from the end of the fault until every accepted notification had settled. */
  recoverSeconds: number;
  /** Whatever else the scenario saw (refusals while down, sends per notification …). */
  notes: Record<string, string | number>;
}

export interface Scenario {
  summary: string;
  /** What the stack needs beyond the defaults (replicas, its own Redis …). */
  stack?: StackOptions;
  /** Started before the stack, stopped after it (e.g. a Redis of the scenario's own). */
  around?: { start(): Promise<void>; stop(): Promise<void>; stackOptions: StackOptions };
  run(stack: StackInfo, size: ChaosSize): Promise<ChaosOutcome>;
}

/**
 * The stack a scenario runs on: `base` (the caller's ports, and any settings it wants), then the
 * scenario's own, then its own services'; the environments and component settings are merged
 * key by key, so a scenario adds to what the caller set instead of replacing it.
 */
export function stackOptionsFor(scenario: Scenario, base: StackOptions): StackOptions {
  const own = scenario.stack ?? {};
  const services = scenario.around?.stackOptions ?? {};
  const merged = (pick: (o: StackOptions) => Record<string, string> | undefined): Record<string, string> => ({ ...pick(base), ...pick(own), ...pick(services) });
  return {
    ...base,
    ...own,
    ...services,
    appEnv: merged((o) => o.appEnv),
    channelEnv: merged((o) => o.channelEnv),
    componentSettings: merged((o) => o.componentSettings),
  };
}

type Api = ReturnType<typeof createClient>;
const sms = () => ({ customerId: uniqueCustomer(), channel: 'sms', to: { phone: '+14155550100' }, content: { text: 'x' } });

/**
 * Sends while the fault lasts, one a tenth of a second: what intake accepts joins the tally, the
 * rest is counted by status. Each time it also asks the status of one notification accepted
 * earlier, counted as `status read <code>`: a store that is down may make it 503, never 404.
 */
async function offerWhileDown(api: Api, seconds: number, ids: string[]): Promise<Record<string, number>> {
  const answers: Record<string, number> = {};
  const count = (kind: string) => (answers[kind] = (answers[kind] ?? 0) + 1);
  let slowest = 0;
  const until = Date.now() + seconds * 1000;
  for (let i = 0; Date.now() < until; i++) {
    const started = Date.now();
    const res = await api.send(sms()).catch(() => ({ status: 0, body: undefined, headers: new Headers() }));
    // A refusal must say when to come back; an answer must come in time.
    count(res.status === 503 && !res.headers.get('retry-after') ? '503 without Retry-After' : String(res.status || 'no answer'));
    slowest = Math.max(slowest, Date.now() - started);
    if (res.status === 202) ids.push((res.body as { id: string }).id);
    const earlier = ids[(i * 37) % ids.length];
    if (earlier) count(`status read ${(await api.status(earlier).catch(() => ({ status: 0 }))).status || 'no answer'}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { ...answers, 'slowest answer, ms': slowest };
}

/** How the scenario counts what reached the provider: the sandbox's record, or the simulator's counts. */
interface SendCounter {
  /** Sends the provider accepted so far. */
  sent(): Promise<number>;
  /** Of `ids`, how many the provider got more than once (sent twice or more). */
  twice(ids: readonly string[], statuses: Map<string, string>): Promise<number>;
  /** What else the provider saw, for the report. */
  notes(): Promise<Record<string, number>>;
}

const sandboxCounter = (stack: StackInfo): SendCounter => ({
  sent: async () => (await sandboxSends(stack, 'sms')).size,
  twice: async (ids) => {
    const sends = await sandboxSends(stack, 'sms');
    return ids.filter((id) => (sends.get(id) ?? 0) > 1).length;
  },
  notes: async () => ({}),
});

interface SimStats { accepted: number; rejected429: number; failed5xx: number; maxPerSecond: number }
const simUrl = (stack: StackInfo) => `http://127.0.0.1:${stack.simulatorPort ?? 0}`;
const twilioStats = async (stack: StackInfo): Promise<SimStats> => ((await request(`${simUrl(stack)}/_sim/stats`)).body as { twilio: SimStats }).twilio;
const configureTwilio = async (stack: StackInfo, twilio: Record<string, unknown>): Promise<void> => {
  const res = await request(`${simUrl(stack)}/_sim/config`, { method: 'PUT', body: JSON.stringify({ twilio }) });
  if (res.status !== 200) throw new Error(`the simulator refused ${JSON.stringify(twilio)}: ${res.status}`);
};

/** The provider simulator's Twilio: it counts sends, not which notification each was, so "twice" is its surplus over the sent. */
const simulatorCounter = (stack: StackInfo): SendCounter => ({
  sent: async () => (await twilioStats(stack)).accepted,
  twice: async (_ids, statuses) => {
    const sent = [...statuses.values()].filter((s) => s === 'sent').length;
    return Math.max(0, (await twilioStats(stack)).accepted - sent);
  },
  notes: async () => {
    const t = await twilioStats(stack);
    return { 'provider: answered 429': t.rejected429, 'provider: answered 5xx': t.failed5xx, 'provider: most sends in one second': t.maxPerSecond };
  },
});

/**
 * Attempts per notification (mean and most), and how many were handed to their queue again
 * (a `dispatched` after a `dispatched` of the same attempt: a failed or unanswered hand-over),
 * from the timelines of every notification (up to 2,000; one whose status call fails is left out).
 */
async function attemptsOf(api: Api, ids: readonly string[]): Promise<Record<string, number>> {
  const views = [...(await viewsOf(api, ids.slice(0, 2_000), 32)).values()].filter((v): v is NotificationView => typeof v !== 'string');
  const attempts = views.map((v) => v.attempts);
  const handedAgain = views.filter((v) => v.timeline.some((e, i, all) => e.status === 'dispatched' && all[i - 1]?.status === 'dispatched' && all[i - 1]?.attempt === e.attempt));
  const mean = attempts.reduce((a, b) => a + b, 0) / Math.max(1, attempts.length);
  return {
    'attempts per notification, mean': Number(mean.toFixed(2)),
    'attempts per notification, most': Math.max(0, ...attempts),
    'handed to their queue again (same attempt)': handedAgain.length,
  };
}

/** The common shape: a batch, the fault once a share of it is sent, load while it lasts, recovery, the tally. */
async function faultUnderLoad(stack: StackInfo, size: ChaosSize, fault: { begin(): Promise<void>; end(): Promise<void> }, counter = sandboxCounter(stack)): Promise<ChaosOutcome> {
  const api = createClient(stack);
  const before = await counter.sent();
  const started = Date.now();
  const ids = await sendBatch(api, Array.from({ length: size.count }, sms));
  const share = Math.min(Math.floor(size.count * 0.3), 300);
  await waitFor(`${share} of the batch sent`, async () => ((await counter.sent()) - before >= share ? true : undefined), 60_000, 50);
  await fault.begin();
  const whileDown = await offerWhileDown(api, size.downSeconds, ids);
  await fault.end();
  const ended = Date.now();
  const statuses = await waitSettled(api, ids, size.settleSeconds * 1000);
  const settled = Date.now();
  const t = { ...tally(statuses, new Map()), duplicates: await counter.twice(ids, statuses) };
  const notes: Record<string, string | number> = Object.fromEntries(Object.entries(whileDown).map(([answer, n]) => [`while down: ${answer}`, n]));
  const sentCount = [...statuses.values()].filter((status) => status === 'sent').length;
  notes['sent per second, batch start to settled'] = Math.round(sentCount / ((settled - started) / 1000));
  return { tally: t, recoverSeconds: (settled - ended) / 1000, notes: { ...notes, ...(await counter.notes()), ...(await attemptsOf(api, ids)) } };
}

const crash = (stack: StackInfo, names: string[]) => ({
  begin: async () => {
    for (const name of names) await killInstance(stack, name);
  },
  // Together: a channel app waits for its sidecar before it listens, and a sidecar for its app before it is healthy.
  end: async () => {
    await Promise.all(names.map((name) => startInstance(stack, name)));
  },
});

export const RABBIT_CHAOS_PORT = 5679;
export const POSTGRES_CHAOS_PORT = 5499;
const rabbit = ownRabbit(RABBIT_CHAOS_PORT);
const postgres = ownPostgres(POSTGRES_CHAOS_PORT);

export const SCENARIOS: Record<string, Scenario> = {
  'dispatcher-crash': {
    summary: 'the dispatcher app killed (SIGKILL) mid-batch, started again after the fault',
    run: (stack, size) => faultUnderLoad(stack, size, crash(stack, ['dispatcher'])),
  },
  'dispatcher-sidecar-crash': {
    summary: 'the dispatcher app and its daprd killed together mid-batch, both started again',
    run: (stack, size) => faultUnderLoad(stack, size, crash(stack, ['dispatcher-daprd', 'dispatcher'])),
  },
  'dispatcher-replica-crash': {
    summary: 'one of two dispatcher instances (app and daprd) killed mid-batch and never restarted',
    stack: { replicas: { dispatcher: 2 } },
    run: (stack, size) => faultUnderLoad(stack, size, { begin: crash(stack, ['dispatcher-r2-daprd', 'dispatcher-r2']).begin, end: async () => {} }),
  },
  'channel-crash': {
    summary: 'the SMS channel app killed mid-send, started again after the fault',
    run: (stack, size) => faultUnderLoad(stack, size, crash(stack, ['channel-sms'])),
  },
  'scheduler-restart': {
    summary: 'the scheduler killed with scheduled sends pending, started again: all fire, none twice',
    run: async (stack, size) => {
      const api = createClient(stack);
      const sendAt = new Date(Date.now() + 15_000 + size.count * 2).toISOString();
      const ids = await sendBatch(api, Array.from({ length: size.count }, () => ({ ...sms(), sendAt })));
      await waitSettledAs(api, ids, 'scheduled', 60_000);
      await killInstance(stack, 'scheduler');
      await new Promise((r) => setTimeout(r, size.downSeconds * 1000));
      await startInstance(stack, 'scheduler');
      const ended = Date.now();
      const statuses = await waitSettled(api, ids, Math.max(size.settleSeconds * 1000, Date.parse(sendAt) - Date.now() + size.settleSeconds * 1000));
      return { tally: tally(statuses, await sandboxSends(stack, 'sms')), recoverSeconds: (Date.now() - ended) / 1000, notes: { 'sendAt from the fault end, s': Math.round((Date.parse(sendAt) - ended) / 1000) } };
    },
  },
  'redis-restart': {
    summary: "the stack's Redis (lanes, send ledger, rate limits; append-only file on) killed mid-batch and started again from its file",
    run: (stack, size) => faultUnderLoad(stack, size, crash(stack, ['redis'])),
  },
  'postgres-restart': {
    summary: 'PostgreSQL (the store of record: actor state, records) killed mid-batch and started again: it recovers from its log',
    around: { start: postgres.start, stop: postgres.remove, stackOptions: { postgres: postgres.server } },
    run: (stack, size) => faultUnderLoad(stack, size, { begin: postgres.kill, end: postgres.start }),
  },
  'provider-outage': {
    summary: 'the SMS provider (simulated Twilio) answers 503 to everything for the fault, then recovers',
    stack: { simulator: true, channelEnv: { PROVIDER_RATE_PER_SEC: '200', BREAKER_OPEN_MS: '2000' } },
    run: (stack, size) =>
      faultUnderLoad(stack, size, { begin: () => configureTwilio(stack, { outage: true }), end: () => configureTwilio(stack, { outage: false }) }, simulatorCounter(stack)),
  },
  'provider-rate-limit': {
    summary: 'the SMS provider takes 50/s and answers 429 above it, the account is limited to 50/s, and the batch offers far more',
    stack: { simulator: true, channelEnv: { PROVIDER_RATE_PER_SEC: '50' } },
    run: async (stack, size) => {
      await configureTwilio(stack, { ratePerSec: 50 });
      return faultUnderLoad(stack, size, { begin: async () => {}, end: async () => {} }, simulatorCounter(stack));
    },
  },
  'rabbitmq-restart': {
    summary: 'RabbitMQ (the channel queues; durable, persistent, confirmed) killed mid-batch and started again',
    around: {
      start: rabbit.start,
      stop: rabbit.remove,
      stackOptions: {
        componentSettings: { 'connectionString@pubsub.rabbitmq': `amqp://guest:guest@127.0.0.1:${RABBIT_CHAOS_PORT}` },
        appEnv: { AMQP_URL: `amqp://guest:guest@127.0.0.1:${RABBIT_CHAOS_PORT}` },
      },
    },
    run: (stack, size) => faultUnderLoad(stack, size, { begin: rabbit.kill, end: rabbit.start }),
  },
};

async function waitSettledAs(api: Api, ids: string[], status: string, timeoutMs: number): Promise<void> {
  await waitFor(`${ids.length} notifications ${status}`, async () => {
    const statuses = await statusesOf(api, ids, 32);
    return [...statuses.values()].every((s) => s === status) ? true : undefined;
  }, timeoutMs, 500);
}
