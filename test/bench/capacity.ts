// npm run capacity -- --daily 50000000 --peak 2000 [--bench FILE.json] [--prices FILE.json]
//
// Sizes Herald for a daily volume and a peak rate from what a bench run measured per
// notification (default: the committed reference run, test/bench/reference/steady.json), and
// prices it from a dated price table. Also prints, for 50M and 150M a day, the reviewed
// design's broker messages and state writes beside Herald's measured ones.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT } from '../harness/stack.js';
import { compareDesigns, DEFAULT_ASSUMPTIONS, measuredFrom, plan, REVIEWED_DESIGN, type Assumptions, type PriceTable } from './capacity-model.js';

const { values: args } = parseArgs({
  options: {
    daily: { type: 'string', default: '50000000' },
    peak: { type: 'string', default: '2000' },
    bench: { type: 'string', default: join(ROOT, 'test/bench/reference/steady.json') },
    prices: { type: 'string', default: join(ROOT, 'test/bench/prices-2026-11.json') },
    utilization: { type: 'string', default: String(DEFAULT_ASSUMPTIONS.targetUtilization) },
    'min-replicas': { type: 'string', default: String(DEFAULT_ASSUMPTIONS.minReplicas) },
    'retention-days': { type: 'string', default: String(DEFAULT_ASSUMPTIONS.retentionDays) },
    'memory-gb': { type: 'string', default: String(DEFAULT_ASSUMPTIONS.memoryGbPerPod) },
  },
});

const positive = (name: string, v: string | undefined): number => {
  const n = Number(v);
  if (!(n > 0) || !Number.isFinite(n)) throw new Error(`--${name} must be a positive number (got ${v})`);
  return n;
};
const daily = positive('daily', args.daily);
const peak = positive('peak', args.peak);
const assumptions: Assumptions = {
  ...DEFAULT_ASSUMPTIONS,
  targetUtilization: positive('utilization', args.utilization),
  minReplicas: positive('min-replicas', args['min-replicas']),
  retentionDays: positive('retention-days', args['retention-days']),
  memoryGbPerPod: positive('memory-gb', args['memory-gb']),
};
if (assumptions.targetUtilization > 1) throw new Error('--utilization is a share of a core: at most 1');

const measured = measuredFrom(JSON.parse(readFileSync(args.bench, 'utf8')));
const prices = JSON.parse(readFileSync(args.prices, 'utf8')) as PriceTable;
const p = plan(measured, daily, peak, prices, assumptions);

const n = (v: number, d = 0) => v.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
const usd = (v: number | undefined) => (v === undefined ? 'n/a' : `$${n(v)}`);
const big = (v: number) => (v >= 1e9 ? `${n(v / 1e9, 2)} billion` : v >= 1e6 ? `${n(v / 1e6, 1)} million` : n(v));
const table = (rows: string[][]) => {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => '  ' + r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('   ')).join('\n');
};

console.log(`Herald capacity for ${big(daily)} notifications a day, peak ${n(peak)}/s (average ${n(p.averagePerSec)}/s)`);
console.log(`  measured by: ${args.bench}`);
console.log(`    ${measured.scenario} run of ${measured.date}${measured.gitCommit ? `, commit ${measured.gitCommit}` : ''}${measured.machineCores ? `, ${measured.machineCores} cores` : ''}; it completed ${n(measured.completedPerSec)}/s`);
console.log(`    per notification: ${n(measured.cpuMsPerNotification, 2)} CPU-ms over all processes, ${n(measured.brokerMessagesPerNotification, 2)} broker messages, ${n(measured.stateWritesPerNotification, 2)} state writes`);
console.log(`  assumptions: replicas run at ${n(assumptions.targetUtilization * 100)}% of a core at peak (${n((1 - assumptions.targetUtilization) * 100)}% headroom), at least ${assumptions.minReplicas} per app, ${assumptions.memoryGbPerPod} GB per pod, state kept ${assumptions.retentionDays} days`);
console.log(`  prices: ${args.prices} (${prices.asOf}, ${prices.region})\n`);

console.log('Apps (each pod: the Node app and its daprd; a Node app uses at most one core)');
console.log(
  table([
    ['app', 'app cores', 'daprd cores', 'replicas', 'vCPU/pod'],
    ...p.apps.map((a) => [a.app, n(a.appCores, 2), n(a.sidecarCores, 2), String(a.replicas), n(a.vcpuPerPod, 2)]),
    ['total', n(p.apps.reduce((s, a) => s + a.appCores, 0), 2), n(p.apps.reduce((s, a) => s + a.sidecarCores, 0), 2), String(p.apps.reduce((s, a) => s + a.replicas, 0)), ''],
  ]),
);
console.log('\nServices (cores at peak, as measured)');
console.log(table([['service', 'cores', 'role'], ...p.services.map((s) => [s.name, n(s.cores, 2), s.note])]));

console.log('\nBroker and state store');
console.log(
  table([
    ['', 'at peak', 'per day'],
    ['broker messages', `${n(p.brokerMessagesPerSecPeak)}/s`, big(p.brokerMessagesPerDay)],
    ...(p.redisStreamEntriesPerSecPeak !== undefined ? [['  Redis stream entries (intake → dispatcher)', `${n(p.redisStreamEntriesPerSecPeak)}/s`, '']] : []),
    ...(p.rabbitMessagesPerSecPeak !== undefined ? [['  RabbitMQ publishes (dispatcher → channels)', `${n(p.rabbitMessagesPerSecPeak)}/s`, '']] : []),
    ['state writes', `${n(p.stateWritesPerSecPeak)}/s`, big(p.stateWritesPerDay)],
  ]),
);
const kept = measured.redisRetainedBytesPerNotification;
const keptHow = kept
  ? `actor state ${n(kept.actorState)} B + history ${n(kept.historyIndex)} B per notification for ${assumptions.retentionDays} days, send ledger ${n(kept.sendLedger)} B for ${assumptions.ledgerDays} day`
  : `${n(measured.redisBytesPerNotification ?? 0)} B of memory growth per notification for ${assumptions.retentionDays} days`;
console.log(`  Redis: ${p.redisShards} shard(s) by CPU (one command thread each)${p.redisStoredGb !== undefined ? `; ${n(p.redisStoredGb)} GB kept (${keptHow})` : ''}`);
console.log(`    a sent or ended notification's actor state expires with its history entry (the dispatcher's HISTORY_RETENTION_DAYS, 30 by default; --retention-days here).`);
console.log(`  RabbitMQ: ${p.rabbitNodes} nodes (quorum queues want 3; 2 vCPU each at the target utilisation)`);

console.log('\nMonthly cost (on-demand list prices)');
console.log(
  table([
    ['', 'autoscaled', 'peak all month'],
    ['app pods (app + daprd)', usd(p.cost.computeAutoscaled), usd(p.cost.computePeakProvisioned)],
    ['RabbitMQ, placement, scheduler', usd(p.cost.servicesCompute), usd(p.cost.servicesCompute)],
    ['Redis: data kept', usd(p.cost.redisStorage), usd(p.cost.redisStorage)],
    ['Redis: requests', usd(p.cost.redisRequests), usd(p.cost.redisRequests)],
    ['total', usd(p.cost.totalAutoscaled), usd(p.cost.totalPeakProvisioned)],
  ]),
);
if (p.cost.redisStorage !== undefined && p.cost.redisStorage > p.cost.totalPeakProvisioned / 2) {
  console.log(`  Redis data kept dominates: it is priced as ElastiCache Serverless (${usd(prices.prices.redisGbHour.value * 1000)}/TB-hour), the dearest way to keep ${n(p.redisStoredGb ?? 0)} GB;`);
  console.log('    a shorter retention, an archive of finished notifications, or a disk-backed state store for actor state (a YAML change in Dapr) is where the money is.');
}
console.log(`  for comparison, not in the total: the broker messages on a per-request queue (${prices.prices.brokerMillionRequests.what.split(':')[0]}): ${usd(p.cost.brokerPerMessage)}`);
for (const note of prices.outOfScope ?? []) console.log(`  not included: ${note}`);

console.log('\nThe reviewed design beside Herald (peak scaled with volume; broker messages priced as on a per-request queue)');
const rows: string[][] = [['', 'reviewed design', 'Herald (measured)']];
const ratio = peak / daily;
for (const volume of [50e6, 150e6]) {
  const c = compareDesigns(measured, volume, volume * ratio, prices, assumptions);
  rows.push(
    [`${big(volume)}/day, peak ${n(c.peakPerSec)}/s`, '', ''],
    ['  broker messages / notification', `${REVIEWED_DESIGN.brokerMessagesLow}–${REVIEWED_DESIGN.brokerMessagesHigh}`, n(measured.brokerMessagesPerNotification, 2)],
    ['  broker messages / day', `${big(c.reviewed.brokerMessagesPerDay[0])}–${big(c.reviewed.brokerMessagesPerDay[1])}`, big(c.herald.brokerMessagesPerDay)],
    ['  broker messages / s at peak', `${n(c.reviewed.brokerMessagesPerSecPeak[0])}–${n(c.reviewed.brokerMessagesPerSecPeak[1])}`, n(c.herald.brokerMessagesPerSecPeak)],
    ['  state writes / notification', n(REVIEWED_DESIGN.stateWrites, 1), n(measured.stateWritesPerNotification, 2)],
    ['  state writes / day', big(c.reviewed.stateWritesPerDay), big(c.herald.stateWritesPerDay)],
    ['  state writes / s at peak', n(c.reviewed.stateWritesPerSecPeak), n(c.herald.stateWritesPerSecPeak)],
    ['  broker messages, $ / month', `${usd(c.reviewed.brokerCost[0])}–${usd(c.reviewed.brokerCost[1])}`, usd(c.herald.brokerCost)],
  );
}
console.log(table(rows));
console.log('  (the review gave no CPU figure for its design, so only the amplification is compared)');
