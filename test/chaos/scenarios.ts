// The faults that break notification services, as repeatable scenarios: each offers a load,
// does its damage mid-way, undoes it, and reports what became of every notification accepted
// with 202 (settled by status, lost, sent twice) and how long the stack took to settle after
// the fault ended. `npm run chaos -- <scenario>` runs one at full size (chaos.ts); the
// integration tests run the same code at a small size.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '../harness/client.js';
import { uniqueCustomer } from '../harness/ids.js';
import { killInstance, portOpen, startInstance, waitFor, type StackInfo, type StackOptions } from '../harness/stack.js';
import { sandboxSends, sendBatch, statusesOf, tally, waitSettled, type Tally } from '../harness/tally.js';

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

type Api = ReturnType<typeof createClient>;
const sms = () => ({ customerId: uniqueCustomer(), channel: 'sms', to: { phone: '+14155550100' }, content: { text: 'x' } });

/** Sends while the fault lasts, one a tenth of a second: what intake accepts joins the tally, the rest is counted by status. */
async function offerWhileDown(api: Api, seconds: number, ids: string[]): Promise<Record<string, number>> {
  const answers: Record<string, number> = {};
  let slowest = 0;
  const until = Date.now() + seconds * 1000;
  while (Date.now() < until) {
    const started = Date.now();
    const res = await api.send(sms()).catch(() => ({ status: 0, body: undefined, headers: new Headers() }));
    // A refusal must say when to come back; an answer must come in time.
    const kind = res.status === 503 && !res.headers.get('retry-after') ? '503 without Retry-After' : String(res.status || 'no answer');
    answers[kind] = (answers[kind] ?? 0) + 1;
    slowest = Math.max(slowest, Date.now() - started);
    if (res.status === 202) ids.push((res.body as { id: string }).id);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { ...answers, 'slowest answer, ms': slowest };
}

async function sentSoFar(stack: StackInfo): Promise<number> {
  return (await sandboxSends(stack, 'sms')).size;
}

/** The common shape: a batch, the fault once a share of it is sent, load while it lasts, recovery, the tally. */
async function faultUnderLoad(stack: StackInfo, size: ChaosSize, fault: { begin(): Promise<void>; end(): Promise<void> }): Promise<ChaosOutcome> {
  const api = createClient(stack);
  const before = await sentSoFar(stack);
  const ids = await sendBatch(api, Array.from({ length: size.count }, sms));
  const share = Math.min(Math.floor(size.count * 0.3), 300);
  await waitFor(`${share} of the batch sent`, async () => ((await sentSoFar(stack)) - before >= share ? true : undefined), 60_000, 50);
  await fault.begin();
  const whileDown = await offerWhileDown(api, size.downSeconds, ids);
  await fault.end();
  const ended = Date.now();
  const statuses = await waitSettled(api, ids, size.settleSeconds * 1000);
  const recoverSeconds = (Date.now() - ended) / 1000;
  const t = tally(statuses, await sandboxSends(stack, 'sms'));
  return { tally: t, recoverSeconds, notes: Object.fromEntries(Object.entries(whileDown).map(([answer, n]) => [`while down: ${answer}`, n])) };
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

/** A Redis of the scenario's own, with append-only persistence as production runs it, to kill and start again. */
function ownRedis(port: number) {
  const dir = mkdtempSync(join(tmpdir(), 'herald-chaos-redis-'));
  let pid: number | undefined;
  const start = async () => {
    const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--appendonly', 'yes', '--appendfsync', 'everysec', '--save', '', '--dir', dir], { detached: true, stdio: 'ignore' });
    child.unref();
    pid = child.pid;
    await waitFor(`redis on ${port}`, async () => ((await portOpen(port)) ? true : undefined), 10_000, 50);
  };
  const kill = async () => {
    if (pid) process.kill(pid, 'SIGKILL');
    await waitFor(`redis on ${port} to stop`, async () => ((await portOpen(port)) ? undefined : true), 10_000, 50);
  };
  return { start, kill, dir };
}

export const REDIS_CHAOS_PORT = 6391;
const redis = ownRedis(REDIS_CHAOS_PORT);

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
    summary: 'Redis (lanes, actor state, ledger; append-only file on) killed mid-batch and started again',
    around: {
      start: redis.start,
      stop: redis.kill,
      stackOptions: { componentSettings: { redisHost: `127.0.0.1:${REDIS_CHAOS_PORT}` }, appEnv: { REDIS_URL: `redis://127.0.0.1:${REDIS_CHAOS_PORT}` } },
    },
    run: (stack, size) => faultUnderLoad(stack, size, { begin: redis.kill, end: redis.start }),
  },
};

async function waitSettledAs(api: Api, ids: string[], status: string, timeoutMs: number): Promise<void> {
  await waitFor(`${ids.length} notifications ${status}`, async () => {
    const statuses = await statusesOf(api, ids, 32);
    return [...statuses.values()].every((s) => s === status) ? true : undefined;
  }, timeoutMs, 500);
}
