// npm run bench: offers a scenario's load to the real stack and reports what came of it —
// throughput, latency per lane, broker messages, state writes, CPU and bytes kept per
// notification (read from PostgreSQL's, Redis's, RabbitMQ's and the kernel's own counters,
// never from Herald's bookkeeping), lost and duplicate notifications, and how long a status or
// history read takes — as a table, a JSON result and an HTML plot.
//
//   npm run bench                                   steady, 1000/s for 60 s
//   npm run bench -- --scenario ramp                find the knee
//   npm run bench -- --scenario flood               critical latency under a bulk flood
//   npm run bench -- --scenario outage              a provider outage mid-run (simulator)
//   npm run bench -- --help                         every option (options.ts)
//
// Run it under the shared lock: flock /tmp/herald-stack.lock npm run bench -- …
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createRedis, type Redis } from '@herald/stores';
import { ROOT, reapOrphans, startStack, stateFileFor, stopStack, cleanBrokers, type StackInfo } from '../harness/stack.js';
import { buildResult, machineBusyMs, machineFacts } from './result.js';
import {
  closeObservers,
  costSnapshot,
  laneBacklog,
  readTimelines,
  redisProcessId,
  sandboxCounter,
  simConfigure,
  simReset,
  simulatorCounter,
  stackProcesses,
  type ProviderCounter,
} from './observe.js';
import { createGenerator } from './load.js';
import { parseBenchArgs, USAGE, UsageError, type BenchOptions } from './options.js';
import { renderHtml } from './plot.js';
import { collectProfiles, startDaprdProfiles } from './profile.js';
import { createSampler } from './progress.js';
import { measureStatusReads } from './reads.js';
import { formatResult } from './report.js';
import { compactStateTable, postgresKept, redisKept, settledStateTableWrites, stateTableSize } from './store.js';
import { isAccepted, isCompleted } from './windows.js';

let opts: BenchOptions;
try {
  opts = parseBenchArgs(process.argv.slice(2));
} catch (err) {
  if (err instanceof UsageError || (err instanceof Error && 'code' in err && String(err.code).startsWith('ERR_PARSE_ARGS'))) {
    process.stderr.write(`${err.message}\n`);
    process.exit(err.message === USAGE ? 0 : 2);
  }
  throw err;
}

const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
const outDir = join(ROOT, '.herald/bench');
const profileDir = opts.profile ? join(outDir, `profile-${opts.scenario}-${stamp}`) : undefined;
const plan = opts.plan;
const simulated = opts.scenario === 'outage';

let stack: StackInfo | undefined;
let stopped = false;
/** Stops the stack once; a failed run keeps its logs (stack.dir/logs) for whoever looks into it. */
async function shutdown(keepLogs = false): Promise<void> {
  if (stopped || !stack) return;
  stopped = true;
  await stopStack(stack, { keepLogs });
  if (keepLogs) process.stderr.write(`the stack's logs are kept in ${join(stack.dir, 'logs')}\n`);
  rmSync(stateFileFor(), { force: true });
  await cleanBrokers(stack);
}
process.once('SIGINT', () => {
  process.stderr.write('\ninterrupted: stopping the stack…\n');
  void shutdown().finally(() => process.exit(130));
});

let intake: string;
let apiKey: string;
let counter: ProviderCounter;
let simUrl: string | undefined;
// The stack's own Redis (its lanes and operational keys) and PostgreSQL database (the store of record).
let redisUrl: string;
let database: string;
if (opts.attach) {
  intake = opts.url;
  apiKey = opts.key;
  counter = sandboxCounter([3002, 3003, 3004]);
  redisUrl = opts.redisUrl;
  database = opts.database;
} else {
  process.stderr.write(`starting a stack of its own (placement, scheduler, sidecars, apps${simulated ? ', provider simulator' : ''})…\n`);
  await reapOrphans();
  if (profileDir) mkdirSync(profileDir, { recursive: true });
  stack = await startStack({
    portBase: Number(process.env.HERALD_BENCH_PORT_BASE ?? 22000),
    stateFile: stateFileFor(),
    appEnv: opts.appEnv,
    replicas: opts.replicas,
    ...(opts.samplingRate !== undefined ? { tracingSamplingRate: opts.samplingRate } : {}),
    mtls: opts.mtls,
    tokens: opts.tokens,
    ...(simulated ? { simulator: true, channelEnv: { PROVIDER_RATE_PER_SEC: String(opts.providerLimit) } } : {}),
    ...(profileDir ? { profile: true, nodeArgs: ['--cpu-prof', '--cpu-prof-dir', profileDir] } : {}),
  });
  intake = `http://127.0.0.1:${stack.apps.intake.app}`;
  apiKey = Object.keys(stack.apiKeys)[0] ?? '';
  simUrl = stack.simulatorPort ? `http://127.0.0.1:${stack.simulatorPort}` : undefined;
  counter = simUrl ? simulatorCounter(simUrl) : sandboxCounter([stack.apps['channel-email'].app, stack.apps['channel-sms'].app, stack.apps['channel-push'].app]);
  redisUrl = `redis://127.0.0.1:${stack.redisPort}`;
  database = stack.database;
}
// VACUUM FULL locks the state table while it rewrites it: only in the database of a stack of
// the bench's own (dropped when it stops), never in one it attached to.
const ownDatabase = !opts.attach;

let redis: Redis | undefined;
let zero = performance.now();
const now = () => performance.now() - zero;
const generator = createGenerator({ intake, apiKey, concurrency: opts.concurrency, now });
const topicPrefix = stack?.topicPrefix ?? '';
const keyPrefix = stack?.keyPrefix ?? '';

/** Waits until the provider has `target` sends, or the deadline; answers whether it got there. */
async function providerReaches(target: number, deadline: number): Promise<boolean> {
  while (performance.now() < deadline) {
    if ((await counter.total().catch(() => -1)) >= target) return true;
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}

try {
  redis = await createRedis(redisUrl);
  // The state table before anything of the run: the baseline of what the run keeps.
  if (ownDatabase) compactStateTable(database);
  const tableBefore = stateTableSize(database);
  if (simUrl) {
    const behaviour = { latencyMs: opts.simLatencyMs, ratePerSec: 0, errorRate: 0, outage: false };
    await simConfigure(simUrl, { sendgrid: behaviour, twilio: behaviour, notificationhubs: behaviour });
  }
  // Warm-up: actor placement, connections, JIT, both lanes. Not measured.
  const warmIds: string[] = [];
  if (opts.warmup > 0) {
    process.stderr.write(`warming up with ${opts.warmup} notifications…\n`);
    const base0 = await counter.total();
    const warm = [...(await generator.burst(Math.ceil(opts.warmup / 2), 'critical')), ...(await generator.burst(Math.floor(opts.warmup / 2), 'bulk'))];
    const ok = warm.filter((t) => t.status === 202).length;
    for (const t of warm) if (t.id) warmIds.push(t.id);
    if (ok < warm.length) process.stderr.write(`  warm-up: intake refused ${warm.length - ok} of ${warm.length} (${[...new Set(warm.filter((t) => t.status !== 202).map((t) => `${t.status} ${t.code ?? ''}`))].join(', ')})\n`);
    if (!(await providerReaches(base0 + ok, performance.now() + 90_000))) throw new Error('the warm-up notifications were not all sent within 90 s: is the stack healthy?');
  }
  if (simUrl) await simReset(simUrl);
  // PostgreSQL reports a backend's writes up to ~10 s after its last one (store.ts): the
  // warm-up's must all be in the counters before the window opens.
  process.stderr.write("waiting for PostgreSQL's write counters to settle…\n");
  const writesBefore = await settledStateTableWrites(database);

  // The measured run: counters read now and once everything accepted is sent (or the deadline).
  const groups = stackProcesses(stack?.processes, await redisProcessId(redis));
  const providerBase = await counter.total();
  const before = { ...(await costSnapshot(redis, groups, stack?.metricsPorts, database)), ...(writesBefore ? { stateTable: writesBefore } : {}) };
  generator.resetCounts();
  const generatorCpuBefore = process.cpuUsage();
  const loadBefore = loadavg()[0] ?? NaN;
  const machineBusyBefore = machineBusyMs();
  zero = performance.now();
  const wallAtZero = performance.timeOrigin + zero;
  const hrAtZeroUs = Number(process.hrtime.bigint() / 1000n);
  const sampler = createSampler({ counter, providerBase, groups, generator, now, redis, topicPrefix });
  sampler.start();
  process.stderr.write(`${opts.scenario}: ${plan.streams.map((s) => `${s.lane} ${s.ratePerSec.toFixed(0)}/s ${(s.startMs / 1000).toFixed(0)}–${(s.endMs / 1000).toFixed(0)} s`).join(', ')}\n`);

  const profileSeconds = opts.profileSeconds ?? Math.max(5, Math.min(60, Math.round(plan.durationMs / 1000)));
  const daprdProfiles = stack && profileDir ? startDaprdProfiles(stack, profileDir, profileSeconds) : undefined;
  const outageDone = plan.outage && simUrl ? runOutage(simUrl, plan.outage, opts.outageProviders) : undefined;
  const running = generator.run(plan);
  const rampStopped = plan.scenario === 'ramp' && opts.earlyStop ? watchRamp(running, providerBase) : undefined;

  await running;
  const loadEndMs = now();
  await outageDone;
  const stoppedAtMs = await rampStopped;
  const accepted = generator.traces.filter(isAccepted).length;
  process.stderr.write(`load done at ${(loadEndMs / 1000).toFixed(1)} s: ${accepted} accepted; waiting up to ${opts.drainTimeoutMs / 1000} s for them to be sent…\n`);
  const drained = await providerReaches(providerBase + accepted, performance.now() + opts.drainTimeoutMs);
  const endMs = now();
  const after = await costSnapshot(redis, groups, stack?.metricsPorts, database);
  const hrAtEndUs = Number(process.hrtime.bigint() / 1000n);
  const loadAfter = loadavg()[0] ?? NaN;
  const machineBusy = machineBusyMs() - machineBusyBefore;
  const generatorCpu = process.cpuUsage(generatorCpuBefore);
  sampler.stop();

  // Timelines, read after the counters (these reads are not part of the measured costs).
  process.stderr.write(`reading ${accepted} timelines…\n`);
  await readTimelines(intake, apiKey, generator.traces, wallAtZero);
  if (drained) {
    // The provider has every send; a result may still be on its way to its actor.
    const graceEnd = performance.now() + 30_000;
    while (generator.traces.some((t) => isAccepted(t) && !isCompleted(t)) && performance.now() < graceEnd) {
      await new Promise((r) => setTimeout(r, 1000));
      await readTimelines(intake, apiKey, generator.traces, wallAtZero);
    }
  }
  // Every result is in its actor's state by now: the state table's writes once reported (the
  // reads since wrote nothing). Read apart from the other counters, whose window closed at the drain.
  process.stderr.write("waiting for PostgreSQL's write counters to settle…\n");
  const writesAfter = await settledStateTableWrites(database);
  if (writesAfter) after.stateTable = writesAfter;
  const providerSends = (await counter.total()) - providerBase;
  const backlog = await laneBacklog(redis, topicPrefix);
  const simStats = await counter.detail();
  const runIds = new Set([...warmIds, ...generator.traces.flatMap((t) => (t.id ? [t.id] : []))]);
  process.stderr.write('measuring what the stores keep…\n');
  const kept = { postgres: postgresKept(database, tableBefore, ownDatabase), redis: await redisKept(redis, keyPrefix, topicPrefix, runIds) };
  process.stderr.write('timing status and history reads…\n');
  const statusReads = await measureStatusReads({ intake, apiKey, database, traces: generator.traces, wallAtZero });
  const profileWindows = { fromUs: hrAtZeroUs, toUs: hrAtEndUs };
  const daprd = daprdProfiles ? await daprdProfiles : [];

  // Node writes an app's CPU profile as it exits: stop the stack before reading them (its Redis
  // goes with it: the client first, or it would try to reconnect meanwhile).
  redis.destroy();
  await shutdown();
  const profile = profileDir && stack ? { dir: profileDir, ...collectProfiles(profileDir, stack, profileWindows), daprd } : undefined;

  const { result, reconciliation } = buildResult({
    opts,
    plan,
    traces: generator.traces,
    samples: sampler.samples,
    before,
    after,
    providerKind: counter.kind,
    providerSends,
    eventsWaiting: backlog.critical + backlog.bulk > 0,
    loadEndMs,
    endMs,
    drained,
    generatorCpuMs: (generatorCpu.user + generatorCpu.system) / 1000,
    machineBusyMs: machineBusy,
    kept,
    ...(statusReads ? { statusReads } : {}),
    ...(stoppedAtMs !== undefined ? { stoppedAtMs } : {}),
    machine: { ...machineFacts(), loadAverage: [loadBefore, loadAfter] },
    ...(simStats ? { simStats } : {}),
    ...(profile ? { profile } : {}),
  });
  const htmlPath = resolve(opts.html ?? join(outDir, `${opts.scenario}-${stamp}.html`));
  mkdirSync(dirname(htmlPath), { recursive: true });
  result.htmlPath = htmlPath;
  writeFileSync(htmlPath, renderHtml(result, plan.phases));
  if (opts.json) {
    mkdirSync(dirname(resolve(opts.json)), { recursive: true });
    writeFileSync(opts.json, JSON.stringify(result, null, 2) + '\n');
  }
  console.log(formatResult(result, reconciliation));
  if (opts.json) console.log(`  json: ${resolve(opts.json)}`);
  if (result.lost > 0) process.exitCode = 1;
} catch (err) {
  await shutdown(true);
  throw err;
} finally {
  await generator.close();
  if (redis?.isOpen) redis.destroy();
  await closeObservers();
  await shutdown();
}

/**
 * Past the knee a ramp only piles up work that takes minutes to drain: once two steps in a row
 * end with more than half a step's notifications not yet sent, the rest is not offered.
 * Resolves with when it stopped the load, or undefined when it let the ramp run out.
 */
async function watchRamp(running: Promise<void>, providerBase: number): Promise<number | undefined> {
  let finished = false;
  void running.finally(() => (finished = true));
  let strikes = 0;
  for (const [i, ph] of plan.phases.entries()) {
    while (now() < ph.endMs && !finished) await new Promise((r) => setTimeout(r, Math.min(250, ph.endMs - now())));
    if (finished || i === plan.phases.length - 1) return undefined;
    const behind = generator.counts.accepted - ((await counter.total()) - providerBase);
    strikes = behind > (0.5 * ph.ratePerSec * (ph.endMs - ph.startMs)) / 1000 ? strikes + 1 : 0;
    if (strikes >= 2) {
      generator.stop();
      process.stderr.write(`  ramp: two steps in a row fell behind (${behind} accepted, not sent): not offering the steps above ${ph.label}\n`);
      return now();
    }
  }
  return undefined;
}

/** Takes the chosen simulated providers down for the outage window, and brings them back. */
async function runOutage(sim: string, outage: { startMs: number; endMs: number }, providers: string[]): Promise<void> {
  const set = (down: boolean) => simConfigure(sim, Object.fromEntries(providers.map((p) => [p, { outage: down }])));
  const at = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms - now())));
  await at(outage.startMs);
  await set(true);
  process.stderr.write(`  outage: ${providers.join(', ')} down at ${(now() / 1000).toFixed(1)} s\n`);
  await at(outage.endMs);
  await set(false);
  process.stderr.write(`  outage: ${providers.join(', ')} back at ${(now() / 1000).toFixed(1)} s\n`);
}
