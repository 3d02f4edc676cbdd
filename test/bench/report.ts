// A bench run's result: built from the traces and the counters (pure), written as the table
// on stdout and as JSON (`--json`), and read back by the capacity model.
import type { Drain, FloodComparison, LaneStats, LatencyPoint, Reconciliation, StepVerdict, Summary } from './windows.js';
import type { Lane, ScenarioName } from './schedule.js';
import type { CostSnapshot, SidecarRequestKind } from './observe.js';
import { diff } from './counters.js';
import type { HotFunction } from './profile.js';
import type { StatusReadLatency } from './reads.js';
import type { PostgresKept, RedisKept, TableWrites } from './store.js';

export interface Series {
  bucketMs: number;
  /** Requests made, answered 202, answered 429, per bucket (by when they were made / answered). */
  offered: number[];
  accepted: number[];
  shed: number[];
  /** Notifications of the run first sent in each bucket (their timelines). */
  completed: number[];
  /** Accepted so far minus completed so far, at the end of each bucket. */
  backlog: number[];
  /** Cores the stack's processes used in each sample (from /proc), the load generator not counted. */
  stackCores: Array<number | undefined>;
  /** accept→sent and accept latency per lane, by when the request was made. */
  sentLatency: Record<Lane, Array<LatencyPoint | undefined>>;
  acceptLatency: Record<Lane, Array<LatencyPoint | undefined>>;
}

export interface BenchResult {
  scenario: ScenarioName;
  date: string;
  gitCommit: string;
  gitDirty: boolean;
  machineCores: number;
  machine: {
    cpuModel: string;
    memoryGb: number;
    node: string;
    loadAverage?: [number, number];
    /** Cores used on average by everything outside the stack and the bench during the run. */
    otherCores?: number;
  };
  providers: 'sandbox' | 'simulator';
  options: Record<string, unknown>;
  /** Notifications accepted in the measured run: the denominator of every per-notification figure. */
  count: number;
  offered: number;
  accepted: number;
  shed: number;
  shedByCode: Record<string, number>;
  errors: number;
  errorsByCode: Record<string, number>;
  completed: number;
  lost: number;
  unfinished: number;
  /** Null when the run did not drain (see Reconciliation.duplicates). */
  duplicates: number | null;
  statusCounts: Record<string, number>;
  /** The first few accepted notifications that ended without being sent, and why (their timelines). */
  notSent?: Array<{ id: string; status: string; reason?: string }>;
  /** Seconds the load was offered, and from its start until the last completion (or the deadline). */
  loadSeconds: number;
  endToEndSeconds: number;
  drainedWithinDeadline: boolean;
  offeredPerSec: number;
  /** Requests the generator made per second of load (below offeredPerSec when it fell behind). */
  madePerSec: number;
  acceptedPerSec: number;
  /** completed / endToEndSeconds. */
  completedPerSec: number;
  /** The best 5-second window of completions. */
  peakCompletedPerSec: number;
  acceptP50Ms: number;
  acceptP95Ms: number;
  acceptP99Ms: number;
  sentP50Ms: number;
  sentP95Ms: number;
  sentP99Ms: number;
  /** How late the generator sent requests against the schedule (it shares the machine). */
  generatorLagP99Ms: number;
  lanes: Record<Lane, LaneStats>;
  brokerMessagesPerNotification: number;
  brokerDetail: { redisXadd: number; rabbitReceived: number | null };
  brokerDetailPerNotification: { redisXadd: number; rabbitReceived: number | null };
  /** Rows written to PostgreSQL's state table (inserts + updates + deletes, pg_stat_user_tables) per notification. */
  stateWritesPerNotification: number;
  /** Those rows over the measured window, by kind. */
  stateDetail: TableWrites & { byTable?: Record<string, number> };
  sendLedgerWritesPerNotification: number;
  redisCommandsPerNotification: number;
  redisCommandsByName: Record<string, number>;
  /** Requests through the sidecars (daprd's counters; see observe.ts sidecarRequests); absent when attached. */
  sidecarRequestsPerNotification?: number;
  sidecarRequestsByKind?: Record<SidecarRequestKind, number>;
  /** Growth of Redis's used_memory over the run per notification (streams and short-lived keys included). */
  redisBytesPerNotification: number;
  /**
   * Bytes each store keeps per notification after the run, measured in the stores:
   * `postgres`: growth of pg_total_relation_size('state') (heap, indexes, TOAST) from before the
   * warm-up to after the drain, both after VACUUM FULL, ÷ the notification actor rows added;
   * `redis`: the run's send ledger keys (MEMORY USAGE, sampled) ÷ the run's notifications, the
   * lane streams not counted (see redisStreamBytesPerEntry).
   */
  storeBytesPerNotification?: { postgres: number; redis: number };
  /** The same PostgreSQL growth before VACUUM FULL: dead row versions of the updates and free space included. */
  postgresBytesPerNotificationAsWritten?: number;
  /** MEMORY USAGE of the lane streams ÷ their XLEN (they keep acknowledged entries up to maxLenApprox). */
  redisStreamBytesPerEntry?: number;
  /** The raw figures behind the three above. */
  storeDetail?: { postgres: PostgresKept; redis: RedisKept };
  /** GET of a notification's status (recent; 85 days old) and of a customer's history page, read after the run. */
  statusReadLatencyMs?: StatusReadLatency;
  cpuMsPerNotification: number;
  /** `postgres` is the whole PostgreSQL server (every database's backends and its shared processes). */
  cpuMsPerNotificationByProcess: Record<string, number>;
  /** CPU-ms per notification of the backends serving the stack's database alone (those alive at the end of the window): a lower bound of its share of `postgres`. */
  postgresOwnDatabaseCpuMsPerNotification?: number;
  /** Not in cpuMsPerNotification: the simulator stands in for the providers, the generator for clients. */
  cpuMsExcluded: Record<string, number>;
  series: Series;
  ramp?: { steps: StepVerdict[]; kneePerSec: number | null; stoppedAtSec?: number };
  flood?: FloodComparison & { bulk: LaneStats; targetRatio: number };
  outage?: { startSec: number; endSec: number; providers: string[]; drain: Drain; providerSentPerSec: number[]; simStats?: Record<string, unknown> };
  profile?: { dir: string; apps: Array<{ app: string; file: string; busyMs: number; windowed: boolean; top: HotFunction[]; modules: HotFunction[] }>; daprd: Array<{ name: string; file: string; top: string[] }> };
  htmlPath?: string;
}

/** Processes whose CPU is reported but not counted as Herald's. */
export const NOT_HERALD = new Set(['provider-sim']);

export interface CostFigures {
  brokerMessages: number;
  brokerDetail: { redisXadd: number; rabbitReceived: number | null };
  /** NaN when either snapshot has no state table counts. */
  stateWrites: TableWrites;
  /** The same writes by table (state, records, data_keys). */
  stateWritesByTable?: Record<string, number>;
  /** CPU-ms of the stack database's backends (alive at the end; from their start, or from the first reading). */
  postgresOwnDatabaseCpuMs?: number;
  ledgerSets: number;
  redisCommands: Record<string, number>;
  redisBytes: number;
  /** Absent when either snapshot has no sidecar counts. */
  sidecarRequests?: Record<SidecarRequestKind, number>;
  cpuByProcess: Record<string, number>;
  cpuExcluded: Record<string, number>;
  cpuTotal: number;
}

/** Other work above this many cores on average earns the result a note. */
const OTHER_WORK_NOTE_CORES = 0.2;

/** What the measured window cost, from the counters read at its start and end. */
export function costsBetween(before: CostSnapshot, after: CostSnapshot): CostFigures {
  const redis = diff(after.redis, before.redis);
  const rabbit = after.rabbitReceived !== undefined && before.rabbitReceived !== undefined ? after.rabbitReceived - before.rabbitReceived : null;
  const cpu = diff(after.cpu, before.cpu);
  const cpuByProcess: Record<string, number> = {};
  const cpuExcluded: Record<string, number> = {};
  for (const [name, ms] of Object.entries(cpu)) (NOT_HERALD.has(name) ? cpuExcluded : cpuByProcess)[name] = ms;
  return {
    brokerMessages: (redis.xadd ?? 0) + (rabbit ?? NaN),
    brokerDetail: { redisXadd: redis.xadd ?? 0, rabbitReceived: rabbit },
    // The store of record's writes, counted by PostgreSQL over every table Herald writes (the
    // actors' saves, its records, the customers' data keys), and which table took them.
    stateWrites: tableWritesBetween(before.stateTable, after.stateTable),
    ...(before.stateTable?.byTable && after.stateTable?.byTable
      ? { stateWritesByTable: diff(after.stateTable.byTable, before.stateTable.byTable) }
      : {}),
    ...(before.postgresBackends && after.postgresBackends
      ? { postgresOwnDatabaseCpuMs: backendsCpuBetween(before.postgresBackends, after.postgresBackends) }
      : {}),
    // Outside the notification's state, said apart: the channels' send ledger (one SET per send).
    ledgerSets: redis.set ?? 0,
    redisCommands: redis,
    redisBytes: after.redisUsedBytes - before.redisUsedBytes,
    ...(before.sidecar && after.sidecar
      ? { sidecarRequests: diff(after.sidecar, before.sidecar) }
      : {}),
    cpuByProcess,
    cpuExcluded,
    cpuTotal: Object.values(cpuByProcess).reduce((a, b) => a + b, 0),
  };
}

function tableWritesBetween(before: TableWrites | undefined, after: TableWrites | undefined): TableWrites {
  if (!before || !after) return { inserts: NaN, updates: NaN, deletes: NaN };
  return { inserts: after.inserts - before.inserts, updates: after.updates - before.updates, deletes: after.deletes - before.deletes };
}

/** What the backends alive at the end used since the first reading (since they started, for those started since). */
export function backendsCpuBetween(before: Record<string, number>, after: Record<string, number>): number {
  return Object.entries(after).reduce((sum, [pid, ms]) => sum + ms - (before[pid] ?? 0), 0);
}

/**
 * Cores used on average by work outside the stack and the bench over a window: the machine's
 * busy time less the stack's processes, the processes kept apart (the simulator) and the bench.
 */
export function otherWorkCores(machineBusyMs: number, costs: Pick<CostFigures, 'cpuTotal' | 'cpuExcluded'>, generatorCpuMs: number, windowMs: number): number {
  const excluded = Object.values(costs.cpuExcluded).reduce((a, b) => a + b, 0);
  return Math.max(0, machineBusyMs - costs.cpuTotal - excluded - generatorCpuMs) / windowMs;
}

export function perNotification(figures: Record<string, number>, count: number): Record<string, number> {
  return Object.fromEntries(Object.entries(figures).map(([k, v]) => [k, count ? v / count : NaN]));
}

/** The best `windowBuckets`-bucket average of a per-bucket count, per second. */
export function peakRate(perBucket: readonly number[], bucketMs: number, windowBuckets = 5): number {
  let best = 0;
  for (let i = 0; i + windowBuckets <= perBucket.length; i++) {
    const sum = perBucket.slice(i, i + windowBuckets).reduce((a, b) => a + b, 0);
    best = Math.max(best, sum / ((windowBuckets * bucketMs) / 1000));
  }
  if (perBucket.length < windowBuckets && perBucket.length > 0) best = perBucket.reduce((a, b) => a + b, 0) / ((perBucket.length * bucketMs) / 1000);
  return best;
}

const f = (n: number | null | undefined, d = 1) => (n !== null && n !== undefined && Number.isFinite(n) ? n.toFixed(d) : 'n/a');
const pct = (s: Summary, d = 1) => `${f(s.p50, d)} / ${f(s.p95, d)} / ${f(s.p99, d)}`;

function storeBytesText(r: BenchResult): string {
  const s = r.storeBytesPerNotification;
  if (!s) return 'n/a';
  const pg = r.storeDetail?.postgres;
  const compacted = pg?.afterCompacted !== undefined;
  return (
    `PostgreSQL ${f(s.postgres, 0)} B${compacted ? ' after VACUUM FULL' : ' (not compacted: a stack not the bench\'s own)'}, ${f(r.postgresBytesPerNotificationAsWritten, 0)} B as written` +
    `${pg ? ` (table state with its indexes and TOAST, ÷ ${pg.notificationsCreated} notification rows added)` : ''}; Redis ${f(s.redis, 0)} B (send ledger)`
  );
}

function streamBytesText(r: BenchResult): string {
  const streams = r.storeDetail?.redis.streams;
  if (r.redisStreamBytesPerEntry === undefined || !streams) return 'n/a';
  const lanes = Object.entries(streams).map(([lane, s]) => `${lane} ${f(s.bytes / 1024, 0)} KiB / ${s.entries} entries`);
  return `${f(r.redisStreamBytesPerEntry, 0)} B  (${lanes.join(', ')}; acknowledged entries stay until trimmed)`;
}

function statusReadRows(s: StatusReadLatency | undefined): Array<[string, string]> {
  if (!s) return [];
  const l = (x: { p50: number; p95: number; first: number; n: number; failed: number }, first = true) =>
    `${f(x.p50, 1)} / ${f(x.p95, 1)}${first ? ` (first ${f(x.first, 1)})` : ''} over ${x.n}${x.failed ? `, ${x.failed} FAILED` : ''}`;
  const rows: Array<[string, string]> = [[`status read p50 / p95 ms: recent`, `${l(s.recent)}  (sent ${f(s.recent.sentSecondsAgo, 0)} s before: its actor still active)`]];
  if (s.old85d) rows.push(['  85 days old', `${l(s.old85d)}  (the first read cold: actor activated, state loaded from PostgreSQL; the rest warm)`]);
  if (s.old85dFirstReads) rows.push(['  85 days old, first reads (cold)', `${l({ ...s.old85dFirstReads, first: NaN }, false)} notifications`]);
  if (s.historyPage) rows.push(['  history page (limit=20)', `${l(s.historyPage)}  (${s.historyPage.items} items${s.historyPage.includesOld ? ', the 85-day-old one among them' : ', the 85-day-old one NOT among them'})`]);
  if (s.note) rows.push(['  note', s.note]);
  return rows;
}

/** The results table (stdout). */
export function formatResult(r: BenchResult, rec: Reconciliation): string {
  const lines: string[] = [];
  const rows: Array<[string, string]> = [
    ['scenario', `${r.scenario} (${r.providers} providers)${typeof r.options['sampling-rate'] === 'string' ? `, sidecars tracing ${r.options['sampling-rate']} of requests` : ''}`],
    ['offered / accepted / shed (429) / errors', `${r.offered} / ${r.accepted} / ${r.shed} / ${r.errors}`],
    ['offered/s planned, made by the generator', `${f(r.offeredPerSec, 0)}, ${f(r.madePerSec, 0)}  (sent late by p99 ${f(r.generatorLagP99Ms, 0)} ms)`],
    ['accepted/s', f(r.acceptedPerSec, 0)],
    ['completed/s end to end (peak 5 s)', `${f(r.completedPerSec, 0)}  (${f(r.peakCompletedPerSec, 0)})`],
    ['load / until last completion (s)', `${f(r.loadSeconds)} / ${f(r.endToEndSeconds)}${r.drainedWithinDeadline ? '' : '  — deadline reached with work left'}`],
    ['accept latency p50 / p95 / p99 (ms)', pct({ n: 0, p50: r.acceptP50Ms, p95: r.acceptP95Ms, p99: r.acceptP99Ms, max: NaN, mean: NaN })],
    ['accept→sent p50 / p95 / p99 (ms)', pct({ n: 0, p50: r.sentP50Ms, p95: r.sentP95Ms, p99: r.sentP99Ms, max: NaN, mean: NaN }, 0)],
    ['completed / lost / unfinished at deadline', `${r.completed} / ${r.lost} / ${r.unfinished}`],
    ['duplicates (provider sends − completed)', r.duplicates === null ? 'n/a: work still in flight at the deadline' : String(r.duplicates)],
    ['broker messages / notification', `${f(r.brokerMessagesPerNotification, 2)}  (Redis XADD ${r.brokerDetail.redisXadd}, RabbitMQ received ${r.brokerDetail.rabbitReceived ?? 'n/a'})`],
    ['state writes / notification', `${f(r.stateWritesPerNotification, 2)}  (PostgreSQL: ${f(r.stateDetail.inserts, 0)} inserts, ${f(r.stateDetail.updates, 0)} updates, ${f(r.stateDetail.deletes, 0)} deletes${r.stateDetail.byTable ? `; by table ${Object.entries(r.stateDetail.byTable).map(([t, n]) => `${t} ${n}`).join(', ')}` : ''})`],
    ['send-ledger writes / notification', f(r.sendLedgerWritesPerNotification, 2)],
    ['Redis commands / notification', f(r.redisCommandsPerNotification, 1)],
    ...(r.sidecarRequestsPerNotification !== undefined && r.sidecarRequestsByKind
      ? [
          [
            'sidecar requests / notification',
            `${f(r.sidecarRequestsPerNotification, 2)}  (app→sidecar ${f(r.sidecarRequestsByKind.appToSidecar, 2)}, sidecar→app ${f(r.sidecarRequestsByKind.sidecarToApp, 2)}, sidecar→sidecar ${f(r.sidecarRequestsByKind.sidecarToSidecar, 2)})`,
          ] as [string, string],
        ]
      : []),
    ['Redis memory growth / notification', `${f(r.redisBytesPerNotification, 0)} B  (used_memory: streams and short-lived keys included)`],
    ['bytes kept / notification', storeBytesText(r)],
    ['Redis lane stream bytes / entry', streamBytesText(r)],
    ...statusReadRows(r.statusReadLatencyMs),
    ['CPU-ms / notification, all stack processes', `${f(r.cpuMsPerNotification, 2)}${r.cpuMsPerNotificationByProcess.postgres !== undefined ? '  (PostgreSQL: the whole server)' : ''}`],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  lines.push(`\nHerald benchmark: ${r.scenario}, ${r.count} notifications accepted, ${r.date}, commit ${r.gitCommit}${r.gitDirty ? ' (+ uncommitted changes)' : ''}, ${r.machineCores} cores`);
  for (const [k, v] of rows) lines.push(`  ${k.padEnd(width)}  ${v}`);
  if (!r.drainedWithinDeadline) {
    lines.push(`  note: ${r.unfinished} accepted notifications were still on their way at the deadline; the per-notification costs divide by all ${r.count} accepted and so understate what one costs (the capacity model refuses this result)`);
  }
  // The load average counts the stack's own threads, so it cannot tell other work apart: the
  // machine's busy time less the stack's and the bench's can.
  const other = r.machine.otherCores;
  if (other !== undefined && other > OTHER_WORK_NOTE_CORES) {
    lines.push(`  note: other work on the machine used ${f(other, 2)} of its ${r.machineCores} cores on average during the run: latency and throughput are pessimistic (the per-process CPU figures are the stack's own)`);
  }
  if (Object.keys(r.shedByCode).length) lines.push(`  shed by code: ${Object.entries(r.shedByCode).map(([c, n]) => `${c} ${n}`).join(', ')}`);
  if (Object.keys(r.errorsByCode).length) lines.push(`  errors by status/code: ${Object.entries(r.errorsByCode).map(([c, n]) => `${c} ${n}`).join(', ')}`);
  const notDone = Object.entries(rec.byStatus).filter(([s]) => s !== 'sent' && s !== 'delivered');
  if (notDone.length) lines.push(`  accepted notifications by status: ${Object.entries(rec.byStatus).map(([s, n]) => `${s} ${n}`).join(', ')}`);
  for (const n of r.notSent ?? []) lines.push(`    not sent: ${n.id} ${n.status}${n.reason ? `: ${n.reason}` : ''}`);

  lines.push('\n  per lane            offered  accepted  shed  errors  completed   accept p50/p95/p99 ms   accept→sent p50/p95/p99 ms');
  for (const lane of ['critical', 'bulk'] as const) {
    const l = r.lanes[lane];
    if (l.offered === 0) continue;
    lines.push(`    ${lane.padEnd(16)} ${String(l.offered).padStart(8)}  ${String(l.accepted).padStart(8)}  ${String(l.shed).padStart(4)}  ${String(l.errors).padStart(6)}  ${String(l.completed).padStart(9)}   ${pct(l.accept).padStart(21)}   ${pct(l.sent, 0).padStart(26)}`);
  }
  lines.push('\n  accept→sent in two parts  accept→dispatched p50/p95/p99 ms   dispatched→sent p50/p95/p99 ms');
  for (const lane of ['critical', 'bulk'] as const) {
    const l = r.lanes[lane];
    if (l.completed === 0) continue;
    lines.push(`    ${lane.padEnd(22)} ${pct(l.toDispatched, 0).padStart(34)}   ${pct(l.dispatchedToSent, 0).padStart(30)}`);
  }

  lines.push('\n  CPU-ms / notification by process (sum above):');
  for (const [name, ms] of Object.entries(r.cpuMsPerNotificationByProcess).sort((a, b) => b[1] - a[1])) lines.push(`    ${name.padEnd(24)} ${f(ms, 3)}`);
  for (const [name, ms] of Object.entries(r.cpuMsExcluded)) lines.push(`    ${`(${name}, not counted)`.padEnd(24)} ${f(ms, 3)}`);
  if (r.cpuMsPerNotificationByProcess.postgres !== undefined) {
    const own = r.postgresOwnDatabaseCpuMsPerNotification;
    lines.push(
      `    postgres is the whole server: every database's backends (other stacks' too) and its WAL writer, checkpointer and background writer${own !== undefined ? `; the backends of the stack's database alone: ${f(own, 3)}` : ''}`,
    );
  }
  lines.push('\n  Redis commands / notification:');
  for (const [cmd, n] of Object.entries(r.redisCommandsByName).sort((a, b) => b[1] - a[1]).slice(0, 12)) lines.push(`    ${cmd.padEnd(24)} ${f(n, 2)}`);

  if (r.ramp) {
    lines.push(`\n  ramp: knee ${r.ramp.kneePerSec === null ? 'below the first step' : `${r.ramp.kneePerSec}/s`} (highest offered rate up to which every step kept up)`);
    if (r.ramp.stoppedAtSec !== undefined) lines.push(`    stopped offering at ${f(r.ramp.stoppedAtSec)} s: two steps in a row fell behind (--keep-going offers every step)`);
    lines.push('    step       made/s  accepted/s  completed/s  accept→sent p99   verdict');
    for (const s of r.ramp.steps) {
      lines.push(`    ${s.label.padEnd(9)} ${f(s.madePerSec, 0).padStart(7)}  ${f(s.acceptedPerSec, 0).padStart(10)}  ${f(s.completedPerSec, 0).padStart(11)}  ${`${f(s.sentP99Ms, 0)} ms`.padStart(15)}   ${s.why}`);
    }
  }
  if (r.flood) {
    const fl = r.flood;
    lines.push(`\n  flood: critical accept→sent p99 idle ${f(fl.idleSentP99Ms, 0)} ms, during the flood ${f(fl.floodSentP99Ms, 0)} ms: ratio ${f(fl.ratio, 2)} (target ≤ ${fl.targetRatio}) ${fl.ratio <= fl.targetRatio ? 'MET' : 'MISSED'}`);
    lines.push(`    critical idle:  offered ${fl.idle.offered}, accepted ${fl.idle.accepted}, shed ${fl.idle.shed}, completed ${fl.idle.completed}, accept p99 ${f(fl.idle.accept.p99)} ms`);
    lines.push(`    critical flood: offered ${fl.flood.offered}, accepted ${fl.flood.accepted}, shed ${fl.flood.shed}, completed ${fl.flood.completed}, accept p99 ${f(fl.flood.accept.p99)} ms`);
    lines.push(`    bulk flood:     offered ${fl.bulk.offered}, accepted ${fl.bulk.accepted}, shed ${fl.bulk.shed}, errors ${fl.bulk.errors}, completed ${fl.bulk.completed} of the accepted`);
  }
  if (r.outage) {
    const o = r.outage;
    lines.push(`\n  outage of ${o.providers.join(', ')} from ${f(o.startSec, 0)} s to ${f(o.endSec, 0)} s: ${o.drain.caughtInOutage} notifications accepted before it ended; ${o.drain.drainMs !== undefined ? `all sent ${f(o.drain.drainMs / 1000, 1)} s after it ended` : `${o.drain.unfinished} not sent by the deadline`}`);
    lines.push(`    provider sends per second (simulator, from 5 s before the outage): ${o.providerSentPerSec.join(' ')}`);
  }
  if (r.profile) {
    lines.push(`\n  profiles in ${r.profile.dir}`);
    for (const a of r.profile.apps) {
      lines.push(`    ${a.app} (${a.file.split('/').pop()}): ${f(a.busyMs, 0)} ms busy${a.windowed ? ' in the measured window' : ' (whole run: window not in the profile)'}; top self time:`);
      for (const t of a.top.slice(0, 8)) lines.push(`      ${f(t.selfMs, 0).padStart(7)} ms ${f(t.share * 100, 1).padStart(5)}%  ${t.name}`);
      lines.push('      by module (Node-internal and native frames charged to the code that called them):');
      for (const t of a.modules.slice(0, 8)) lines.push(`      ${f(t.selfMs, 0).padStart(7)} ms ${f(t.share * 100, 1).padStart(5)}%  ${t.name}`);
    }
    for (const d of r.profile.daprd) {
      lines.push(`    ${d.name} (${d.file.split('/').pop()}), go tool pprof -top:`);
      for (const l of d.top.slice(0, 14)) lines.push(`      ${l}`);
    }
  }
  if (r.htmlPath) lines.push(`\n  plot: ${r.htmlPath}`);
  return lines.join('\n');
}
