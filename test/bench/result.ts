// Puts a run together: traces, samples and counters in, one BenchResult out.
import { execFileSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { ROOT } from '../harness/stack.js';
import type { BenchOptions } from './options.js';
import type { CostSnapshot, SimProviderStats } from './observe.js';
import type { Sample } from './progress.js';
import type { StatusReadLatency } from './reads.js';
import { costsBetween, otherWorkCores, peakRate, perNotification, type BenchResult, type Series } from './report.js';
import { LANES, truncatePlan, type Lane, type Plan } from './schedule.js';
import type { PostgresKept, RedisKept } from './store.js';
import {
  acceptMs,
  compareFlood,
  countPerBucket,
  drainAfter,
  endedUnsent,
  isAccepted,
  isShed,
  kneeOf,
  laneStats,
  latencyPerBucket,
  rampVerdicts,
  reconcile,
  sentLatencyMs,
  summarize,
  type Reconciliation,
  type Trace,
} from './windows.js';

export interface MachineFacts {
  gitCommit: string;
  gitDirty: boolean;
  cores: number;
  cpuModel: string;
  memoryGb: number;
  node: string;
  /** The machine's 1-minute load average when the run started and ended (the stack's own threads count in it). */
  loadAverage?: [number, number];
}

/** CPU time the machine's cores have spent busy since boot, in ms (os.cpus(): all but idle). */
export function machineBusyMs(): number {
  return cpus().reduce((sum, c) => sum + c.times.user + c.times.nice + c.times.sys + c.times.irq, 0);
}

export function machineFacts(): MachineFacts {
  const git = (args: string[]) => {
    try {
      // --no-optional-locks: a read that never refreshes (writes) the index of a shared tree.
      return execFileSync('git', ['--no-optional-locks', ...args], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch {
      return undefined;
    }
  };
  const c = cpus();
  return {
    gitCommit: git(['rev-parse', '--short=12', 'HEAD']) ?? 'unknown',
    gitDirty: (git(['status', '--porcelain', '--untracked-files=no']) ?? '') !== '',
    cores: c.length,
    cpuModel: c[0]?.model.trim() ?? 'unknown',
    memoryGb: Math.round(totalmem() / 2 ** 30),
    node: process.versions.node,
  };
}

export interface BuildInput {
  opts: BenchOptions;
  plan: Plan;
  traces: Trace[];
  samples: Sample[];
  before: CostSnapshot;
  after: CostSnapshot;
  providerKind: 'sandbox' | 'simulator';
  providerSends: number;
  eventsWaiting: boolean;
  loadEndMs: number;
  endMs: number;
  drained: boolean;
  /** CPU the bench process itself used over the measured window (it shares the machine). */
  generatorCpuMs?: number;
  /** The machine's busy CPU time over the measured window (machineBusyMs after less before). */
  machineBusyMs?: number;
  /** What the stores keep after the run (store.ts). */
  kept?: { postgres: PostgresKept; redis: RedisKept };
  /** Status and history reads timed after the run (reads.ts). */
  statusReads?: StatusReadLatency;
  /** When a ramp stopped offering (it fell behind twice in a row). */
  stoppedAtMs?: number;
  machine: MachineFacts;
  simStats?: Record<string, SimProviderStats>;
  profile?: BenchResult['profile'];
  bucketMs?: number;
}

const tally = (keys: string[]) => keys.reduce<Record<string, number>>((acc, k) => ({ ...acc, [k]: (acc[k] ?? 0) + 1 }), {});

export function buildResult(input: BuildInput): { result: BenchResult; reconciliation: Reconciliation } {
  const { traces, opts } = input;
  const plan = input.stoppedAtMs !== undefined ? truncatePlan(input.plan, input.stoppedAtMs) : input.plan;
  const bucketMs = input.bucketMs ?? 1_000;
  const rec = reconcile(traces, input.providerSends, input.eventsWaiting);
  const accepted = traces.filter(isAccepted);
  const count = accepted.length;
  const costs = costsBetween(input.before, input.after);
  const lastSent = accepted.reduce((m, t) => Math.max(m, t.sentAtMs ?? 0), 0);
  const endToEndMs = input.drained && rec.unfinished === 0 ? Math.max(lastSent, input.loadEndMs) : input.endMs;
  const lengthMs = Math.max(input.endMs, lastSent, input.loadEndMs);
  const completedPerBucket = countPerBucket(accepted.flatMap((t) => (t.sentAtMs !== undefined ? [t.sentAtMs] : [])), bucketMs, lengthMs);
  const acceptedPerBucket = countPerBucket(accepted.map((t) => t.endMs), bucketMs, lengthMs);
  let acc = 0;
  let done = 0;
  const backlog = acceptedPerBucket.map((a, i) => {
    acc += a;
    done += completedPerBucket[i] ?? 0;
    return acc - done;
  });
  const byLane = (lane: Lane) => traces.filter((t) => t.lane === lane);
  const sentPoints = (lane: Lane) => byLane(lane).flatMap((t) => (isAccepted(t) && sentLatencyMs(t) !== undefined ? [{ atMs: t.startMs, ms: sentLatencyMs(t)! }] : []));
  const acceptPoints = (lane: Lane) => byLane(lane).flatMap((t) => (isAccepted(t) ? [{ atMs: t.startMs, ms: acceptMs(t) }] : []));

  const series: Series = {
    bucketMs,
    offered: countPerBucket(traces.map((t) => t.startMs), bucketMs, lengthMs),
    accepted: acceptedPerBucket,
    shed: countPerBucket(traces.filter(isShed).map((t) => t.endMs), bucketMs, lengthMs),
    completed: completedPerBucket,
    backlog,
    stackCores: stackCoresPerBucket(input.samples, bucketMs, lengthMs),
    sentLatency: { critical: latencyPerBucket(sentPoints('critical'), bucketMs, lengthMs), bulk: latencyPerBucket(sentPoints('bulk'), bucketMs, lengthMs) },
    acceptLatency: { critical: latencyPerBucket(acceptPoints('critical'), bucketMs, lengthMs), bulk: latencyPerBucket(acceptPoints('bulk'), bucketMs, lengthMs) },
  };

  const acceptSummary = summarize(accepted.map(acceptMs));
  const sentSummary = summarize(accepted.flatMap((t) => (sentLatencyMs(t) !== undefined ? [sentLatencyMs(t)!] : [])));
  const lanes = Object.fromEntries(LANES.map((l) => [l, laneStats(byLane(l))])) as Record<Lane, ReturnType<typeof laneStats>>;
  const cpuPer = perNotification(costs.cpuByProcess, count);

  const result: BenchResult = {
    scenario: opts.scenario,
    date: new Date().toISOString(),
    gitCommit: input.machine.gitCommit,
    gitDirty: input.machine.gitDirty,
    machineCores: input.machine.cores,
    machine: {
      cpuModel: input.machine.cpuModel,
      memoryGb: input.machine.memoryGb,
      node: input.machine.node,
      ...(input.machine.loadAverage ? { loadAverage: input.machine.loadAverage } : {}),
      ...(input.machineBusyMs !== undefined && input.endMs > 0
        ? { otherCores: otherWorkCores(input.machineBusyMs, costs, input.generatorCpuMs ?? 0, input.endMs) }
        : {}),
    },
    providers: input.providerKind,
    options: opts.raw,
    count,
    offered: traces.length,
    accepted: count,
    shed: traces.filter(isShed).length,
    shedByCode: tally(traces.filter(isShed).map((t) => t.code ?? 'no code')),
    errors: traces.filter((t) => !isAccepted(t) && !isShed(t)).length,
    errorsByCode: tally(traces.filter((t) => !isAccepted(t) && !isShed(t)).map((t) => `${t.status}${t.code ? ` ${t.code}` : ''}`)),
    completed: rec.completed,
    lost: rec.lost,
    unfinished: rec.unfinished,
    duplicates: rec.duplicates,
    statusCounts: rec.byStatus,
    notSent: accepted
      .filter(endedUnsent)
      .slice(0, 10)
      .map((t) => ({ id: t.id ?? '?', status: t.finalStatus ?? '?', ...(t.endReason !== undefined ? { reason: t.endReason } : {}) })),
    loadSeconds: input.loadEndMs / 1000,
    endToEndSeconds: endToEndMs / 1000,
    drainedWithinDeadline: input.drained && rec.unfinished === 0,
    offeredPerSec: plan.streams.reduce((s, x) => s + x.ratePerSec * (x.endMs - x.startMs), 0) / plan.durationMs,
    madePerSec: traces.length / (input.loadEndMs / 1000),
    acceptedPerSec: count / (input.loadEndMs / 1000),
    completedPerSec: rec.completed / (endToEndMs / 1000),
    peakCompletedPerSec: peakRate(completedPerBucket, bucketMs),
    acceptP50Ms: acceptSummary.p50,
    acceptP95Ms: acceptSummary.p95,
    acceptP99Ms: acceptSummary.p99,
    sentP50Ms: sentSummary.p50,
    sentP95Ms: sentSummary.p95,
    sentP99Ms: sentSummary.p99,
    generatorLagP99Ms: summarize(traces.map((t) => t.startMs - t.dueMs)).p99,
    lanes,
    brokerMessagesPerNotification: costs.brokerMessages / count,
    brokerDetail: costs.brokerDetail,
    brokerDetailPerNotification: {
      redisXadd: costs.brokerDetail.redisXadd / count,
      rabbitReceived: costs.brokerDetail.rabbitReceived === null ? null : costs.brokerDetail.rabbitReceived / count,
    },
    stateWritesPerNotification: (costs.stateWrites.inserts + costs.stateWrites.updates + costs.stateWrites.deletes) / count,
    stateDetail: { ...costs.stateWrites, ...(costs.stateWritesByTable ? { byTable: costs.stateWritesByTable } : {}) },
    sendLedgerWritesPerNotification: costs.ledgerSets / count,
    redisCommandsPerNotification: Object.values(costs.redisCommands).reduce((a, b) => a + b, 0) / count,
    redisCommandsByName: perNotification(costs.redisCommands, count),
    ...(costs.sidecarRequests
      ? {
          sidecarRequestsPerNotification: Object.values(costs.sidecarRequests).reduce((x, y) => x + y, 0) / count,
          sidecarRequestsByKind: perNotification(costs.sidecarRequests, count),
        }
      : {}),
    redisBytesPerNotification: costs.redisBytes / count,
    ...(input.kept
      ? {
          storeBytesPerNotification: { postgres: input.kept.postgres.bytesPerNotification, redis: input.kept.redis.bytesPerNotification },
          postgresBytesPerNotificationAsWritten: input.kept.postgres.bytesPerNotificationAsWritten,
          redisStreamBytesPerEntry: input.kept.redis.streamBytesPerEntry,
          storeDetail: input.kept,
        }
      : {}),
    ...(input.statusReads ? { statusReadLatencyMs: input.statusReads } : {}),
    cpuMsPerNotification: costs.cpuTotal / count,
    cpuMsPerNotificationByProcess: cpuPer,
    ...(costs.postgresOwnDatabaseCpuMs !== undefined ? { postgresOwnDatabaseCpuMsPerNotification: costs.postgresOwnDatabaseCpuMs / count } : {}),
    cpuMsExcluded: perNotification({ ...costs.cpuExcluded, ...(input.generatorCpuMs !== undefined ? { 'load generator (this bench)': input.generatorCpuMs } : {}) }, count),
    series,
    ...(input.profile ? { profile: input.profile } : {}),
  };

  if (plan.scenario === 'ramp') {
    const steps = rampVerdicts(plan.phases, traces, opts.rampRules);
    result.ramp = { steps, kneePerSec: kneeOf(steps) ?? null, ...(input.stoppedAtMs !== undefined ? { stoppedAtSec: input.stoppedAtMs / 1000 } : {}) };
  }
  if (plan.scenario === 'flood' && plan.phases[0] && plan.phases[1]) {
    result.flood = { ...compareFlood(traces, plan.phases[0], plan.phases[1]), bulk: laneStats(byLane('bulk')), targetRatio: 1.2 };
  }
  if (plan.outage) {
    const from = plan.outage.startMs - 5_000;
    const sends = input.samples.filter((s) => s.atMs >= from);
    result.outage = {
      startSec: plan.outage.startMs / 1000,
      endSec: plan.outage.endMs / 1000,
      providers: opts.outageProviders,
      drain: drainAfter(traces, plan.outage.endMs),
      providerSentPerSec: sends.slice(1).map((s, i) => Math.round(((s.providerSends - sends[i]!.providerSends) * 1000) / (s.atMs - sends[i]!.atMs))),
      ...(input.simStats ? { simStats: input.simStats } : {}),
    };
  }
  return { result, reconciliation: rec };
}

/** Cores the stack used in each bucket, from consecutive samples of its CPU time. */
export function stackCoresPerBucket(samples: readonly Sample[], bucketMs: number, lengthMs: number): Array<number | undefined> {
  const out = new Array<number | undefined>(Math.max(1, Math.ceil(lengthMs / bucketMs))).fill(undefined);
  for (let i = 1; i < samples.length; i++) {
    const a = samples[i - 1]!;
    const b = samples[i]!;
    const bucket = Math.floor(b.atMs / bucketMs);
    if (bucket < out.length && b.atMs > a.atMs) out[bucket] = (b.stackCpuMs - a.stackCpuMs) / (b.atMs - a.atMs);
  }
  return out;
}
