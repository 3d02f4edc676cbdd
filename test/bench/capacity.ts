// npm run capacity -- --daily 50000000 --peak 2000 [--retention-days 90] [--cloud azure|aws|both]
//                     [--bench FILE.json] [--prices-azure FILE.json] [--prices-aws FILE.json]
// npm run capacity -- --k8s write|check [--bench FILE.json]
//
// With --k8s, sizes each region's Kubernetes overlay instead (k8s/overlays/<region>/capacity.yaml:
// requests, limits, replicas, autoscaler bounds) for the region's daily volume and peak in
// components/regions.json: `write` writes the files, `check` fails naming those that differ.
//
// Sizes Herald for a daily volume, a peak rate and a retention from what a bench run measured
// per notification (default: the committed reference run, test/bench/reference/steady.json),
// and prices it on Azure and AWS from dated price tables (test/bench/prices/). PostgreSQL keeps
// the data of record for the retention; Redis only operational data. Prints Herald's monthly
// total beside the reviewed design's own figures, and, for 50M and 150M a day, the reviewed
// design's broker messages and state writes beside Herald's measured ones. docs/capacity.md
// explains the model.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT } from '../harness/stack.js';
import {
  CLOUDS,
  compareDesigns,
  costOn,
  DEFAULT_ASSUMPTIONS,
  measuredFrom,
  plan,
  POSTGRES_VCORE_SIZES,
  pricesFrom,
  REVIEWED_DESIGN,
  REVIEWED_DESIGN_MONTHLY,
  type Assumptions,
  type Cloud,
  type CloudCost,
  type PriceTable,
} from './capacity-model.js';
import { capacityPatch, podSizes } from './k8s-capacity.js';
import { readRegions } from '../tools/components.js';

function main(): void {
  const { values: args } = parseArgs({
    options: {
      daily: { type: 'string', default: '50000000' },
      peak: { type: 'string', default: '2000' },
      'retention-days': { type: 'string', default: String(DEFAULT_ASSUMPTIONS.retentionDays) },
      cloud: { type: 'string', default: 'both' },
      bench: { type: 'string', default: join(ROOT, 'test/bench/reference/steady.json') },
      'prices-azure': { type: 'string', default: join(ROOT, 'test/bench/prices/azure-2026-11.json') },
      'prices-aws': { type: 'string', default: join(ROOT, 'test/bench/prices/aws-2026-11.json') },
      utilization: { type: 'string', default: String(DEFAULT_ASSUMPTIONS.targetUtilization) },
      'min-replicas': { type: 'string', default: String(DEFAULT_ASSUMPTIONS.minReplicas) },
      'memory-gb': { type: 'string', default: String(DEFAULT_ASSUMPTIONS.memoryGbPerPod) },
      'postgres-cpu-ms': { type: 'string', default: String(DEFAULT_ASSUMPTIONS.postgresCpuMsAssumed) },
      'single-postgres': { type: 'boolean', default: false },
      'stream-maxlen': { type: 'string', default: String(DEFAULT_ASSUMPTIONS.streamMaxLenPerLane) },
      k8s: { type: 'string' },
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
    postgresCpuMsAssumed: positive('postgres-cpu-ms', args['postgres-cpu-ms']),
    postgresHa: !args['single-postgres'],
    streamMaxLenPerLane: positive('stream-maxlen', args['stream-maxlen']),
  };
  if (assumptions.targetUtilization > 1) throw new Error('--utilization is a share of a core: at most 1');
  const clouds: Cloud[] = args.cloud === 'both' ? [...CLOUDS] : CLOUDS.includes(args.cloud as Cloud) ? [args.cloud as Cloud] : [];
  if (clouds.length === 0) throw new Error(`--cloud is azure, aws or both (got ${args.cloud})`);

  const measured = measuredFrom(JSON.parse(readFileSync(args.bench, 'utf8')));
  if (args.k8s !== undefined) {
    if (args.k8s !== 'write' && args.k8s !== 'check') throw new Error(`--k8s is write or check (got ${args.k8s})`);
    const stale = k8sOverlays(measured, args.bench, assumptions, args.k8s);
    if (stale.length > 0) {
      console.error(`not what \`npm run capacity -- --k8s write\` makes from ${relative(ROOT, args.bench)}:\n  ${stale.join('\n  ')}`);
      process.exitCode = 1;
    }
    return;
  }
  const pricesPath = (c: Cloud) => (c === 'azure' ? args['prices-azure'] : args['prices-aws']);
  const tables = new Map<Cloud, PriceTable>(
    clouds.map((c) => {
      const t = pricesFrom(JSON.parse(readFileSync(pricesPath(c), 'utf8')), pricesPath(c));
      if (t.cloud !== c) throw new Error(`${pricesPath(c)} prices ${t.cloud}, not ${c}`);
      return [c, t];
    }),
  );
  const p = plan(measured, daily, peak, assumptions);
  const costs = new Map<Cloud, CloudCost>(clouds.map((c) => [c, costOn(p, tables.get(c)!, assumptions)]));

  const n = (v: number, d = 0) => v.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
  const usd = (v: number | undefined) => (v === undefined ? 'n/a' : `$${n(v)}`);
  const big = (v: number) => (v >= 1e9 ? `${n(v / 1e9, 2)} billion` : v >= 1e6 ? `${n(v / 1e6, 1)} million` : n(v));
  const table = (rows: string[][]) => {
    const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
    return rows.map((r) => '  ' + r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('   ')).join('\n');
  };
  const rel = (f: string) => {
    const r = relative(ROOT, f);
    return r && !r.startsWith('..') ? r : f;
  };
  const NAMES: Record<Cloud, string> = { azure: 'Azure', aws: 'AWS' };
  const a = assumptions;

  console.log(`Herald capacity for ${big(daily)} notifications a day, peak ${n(peak)}/s (average ${n(p.averagePerSec)}/s), data kept ${n(a.retentionDays)} days`);
  console.log(`  measured by: ${rel(args.bench)}`);
  console.log(`    ${measured.scenario} run of ${measured.date}${measured.gitCommit ? `, commit ${measured.gitCommit}` : ''}${measured.machineCores ? `, ${measured.machineCores} cores` : ''}; it completed ${n(measured.completedPerSec)}/s`);
  console.log(`    per notification: ${n(measured.cpuMsPerNotification, 2)} CPU-ms over all processes, ${n(measured.brokerMessagesPerNotification, 2)} broker messages, ${n(measured.stateWritesPerNotification, 2)} state writes`);
  const sb = p.storeBytes;
  if (sb.source === 'measured') {
    console.log(`  bytes kept per notification: measured in the stores (storeBytesPerNotification): PostgreSQL ${n(sb.postgres)} B (pg_total_relation_size: heap, indexes, TOAST), Redis ${n(sb.redis)} B`);
  } else {
    const r = measured.redisRetainedBytesPerNotification!;
    console.log(`  bytes kept per notification: MAPPED FROM A REDIS-ONLY RUN (the bench result has no storeBytesPerNotification): redisRetainedBytesPerNotification's`);
    console.log(`    actor state ${n(r.actorState)} B + history index ${n(r.historyIndex)} B → PostgreSQL ${n(sb.postgres)} B, plus ${n(sb.postgresOverhead * 100)}% for indexes and MVCC bloat a Redis measurement cannot include;`);
    console.log(`    send ledger ${n(r.sendLedger)} B → Redis. A bench run on PostgreSQL should report storeBytesPerNotification instead.`);
  }
  console.log(
    p.postgres.cpuSource === 'measured'
      ? `  PostgreSQL CPU: measured, ${n(p.postgres.cpuMsPerNotification, 2)} CPU-ms per notification (the bench's \`postgres\` process)`
      : `  PostgreSQL CPU: ASSUMED ${n(p.postgres.cpuMsPerNotification, 2)} CPU-ms per notification (the bench result has no \`postgres\` process; --postgres-cpu-ms): an assumption, not a measurement`,
  );
  console.log(`  assumptions: replicas run at ${n(a.targetUtilization * 100)}% of a core at peak, at least ${a.minReplicas} per app, ${a.memoryGbPerPod} GB per pod; nodes give ${n(a.nodeAllocatableShare * 100)}% of their vCPU and memory to pods, at least ${a.minNodes}`);
  for (const c of clouds) {
    const t = tables.get(c)!;
    console.log(`  prices (${NAMES[c]}): ${rel(pricesPath(c))} (${t.asOf}, ${t.region})`);
  }
  console.log('    recorded from knowledge, not re-read from the vendors\' pages: check them before budgeting.\n');

  console.log('Apps (each pod: the Node app and its daprd; a Node app uses at most one core)');
  console.log(
    table([
      ['app', 'app cores', 'daprd cores', 'replicas', 'vCPU/pod'],
      ...p.apps.map((x) => [x.app, n(x.appCores, 2), n(x.sidecarCores, 2), String(x.replicas), n(x.vcpuPerPod, 2)]),
      ['total', n(p.apps.reduce((s, x) => s + x.appCores, 0), 2), n(p.apps.reduce((s, x) => s + x.sidecarCores, 0), 2), String(p.apps.reduce((s, x) => s + x.replicas, 0)), ''],
    ]),
  );
  console.log('\nServices (cores at peak, as measured)');
  console.log(table([['service', 'cores', 'role'], ...p.services.map((s) => [s.name, n(s.cores, 2), s.note])]));
  console.log(`\nOn the cluster: ${p.podsPeak.pods} pods, ${n(p.podsPeak.vcpu, 2)} vCPU and ${n(p.podsPeak.memoryGiB, 1)} GiB requested at peak; ${p.podsAverage.pods} pods, ${n(p.podsAverage.vcpu, 2)} vCPU at the average rate`);
  console.log(`  (apps; RabbitMQ ${p.rabbitNodes} × ${a.rabbitPod.vcpu} vCPU, ${a.rabbitPod.memoryGiB} GiB: quorum queues want 3; placement and scheduler ${a.daprServiceReplicas} each; Dapr's control plane ${a.daprControlPlane.vcpu} vCPU)`);

  console.log('\nBroker and state store');
  console.log(
    table([
      ['', 'at peak', 'per day'],
      ['broker messages', `${n(p.brokerMessagesPerSecPeak)}/s`, big(p.brokerMessagesPerDay)],
      ...(p.redisStreamEntriesPerSecPeak !== undefined ? [['  Redis stream entries (intake → dispatcher)', `${n(p.redisStreamEntriesPerSecPeak)}/s`, '']] : []),
      ...(p.rabbitMessagesPerSecPeak !== undefined ? [['  RabbitMQ publishes (dispatcher → channels)', `${n(p.rabbitMessagesPerSecPeak)}/s`, '']] : []),
      ['state writes (PostgreSQL)', `${n(p.stateWritesPerSecPeak)}/s`, big(p.stateWritesPerDay)],
    ]),
  );

  const pg = p.postgres;
  console.log('\nPostgreSQL: the store of record (Dapr state.postgresql v1, also the actor state store; rows expire by its TTL)');
  console.log(`  CPU: ${n(pg.cpuMsPerNotification, 2)} CPU-ms × ${n(peak)}/s = ${n(pg.cores, 2)} cores at peak; at ${n(a.postgresUtilization * 100)}% that is ${n(pg.cores / a.postgresUtilization, 2)} vCores → ${pg.vcores} (offered: ${POSTGRES_VCORE_SIZES.join(', ')}; at least 2)`);
  console.log(
    a.postgresHa
      ? '  with a standby (zone-redundant HA on Azure, Multi-AZ on AWS): billed as a second server, so compute AND storage are priced twice (--single-postgres: without)'
      : '  without a standby (--single-postgres): one server; a zone outage stops the service until the server is restored',
  );
  console.log(`  data: ${n(pg.bytesPerNotification)} B per notification × ${big(daily)}/day × ${n(a.retentionDays)} days = ${n(pg.storedGiB)} GiB; provisioned with ${n(a.postgresFreeShare * 100)}% free (growth, vacuum, WAL): ${n(pg.neededGiB)} GiB before each cloud's sizes`);

  const r = p.redis;
  const streamHow = { measured: 'measured (redisStreamBytesPerEntry)', inferred: "inferred: the run's Redis growth per notification that its kept keys do not explain", assumed: 'assumed: the bench result measures no stream entry' }[r.streamBytesSource];
  console.log('\nRedis: operational data only (nothing of record; it does not grow with the retention)');
  console.log(
    table([
      ['', 'GiB', 'how'],
      ['send ledger', n(r.ledgerGiB, 2), `${n(sb.redis)} B × ${big(daily)}/day × ${a.ledgerDays} day`],
      ['lane streams', n(r.streamGiB, 2), `${big(r.streamEntries)} entries (${a.lanes} lanes × ${big(a.streamMaxLenPerLane)}, maxLenApprox) × ${n(r.streamBytesPerEntry)} B`],
      ['floor', n(r.floorGiB, 2), 'rate-limit buckets, breakers, admission counters, watchdog set'],
      ['working set', n(r.workingSetGiB, 2), `filling at most ${n(a.redisUsableShare * 100)}% of the memory bought`],
    ]),
  );
  console.log(
    r.instances.length === 1
      ? `  one Redis: ${n(r.workingSetGiB, 2)} GiB → ${n(r.instances[0]!.neededGiB, 1)} GiB to buy (its measured CPU fits one command thread at ${n(a.targetUtilization * 100)}%)`
      : `  the measured CPU asks for ${r.cpuShards} command threads at ${n(a.targetUtilization * 100)}%: split by use (Herald's clients and Dapr's components use one endpoint each, not Redis Cluster): ${r.instances.map((i) => `${i.role} ${n(i.workingSetGiB, 2)} GiB → ${n(i.neededGiB, 1)} GiB to buy`).join('; ')}`,
  );
  if (r.needsCluster) console.log(`  ${r.cpuShards} threads are more than the two a split by use gives: that takes Redis Cluster, which Herald's clients do not use today.`);
  console.log(`  stream entry size ${streamHow}`);
  console.log('  acknowledged stream entries stay until trimmed, so each lane stream sits at its bound; the bound must stay well above the backlog admission control lets wait (200,000 critical, 20,000 bulk).');

  const cols = clouds.map((c) => costs.get(c)!);
  const row = (label: string, f: (c: CloudCost, t: PriceTable) => [string, number]): string[] => [
    label,
    ...cols.flatMap((c) => {
      const [what, v] = f(c, tables.get(c.cloud)!);
      return [what, usd(v)];
    }),
  ];
  const header = ['', ...cols.flatMap((c) => [NAMES[c.cloud], ''])];
  console.log(`\nMonthly cost, ${tables.get(clouds[0]!)!.hoursPerMonth}-hour month, on-demand list prices; pods for the peak all month`);
  console.log(
    table([
      header,
      row('nodes (apps, RabbitMQ, Dapr)', (c, t) => [t.prices.node ? `${c.nodesPeak} × ${t.prices.node.name}` : 'per vCPU and GB', c.computePeakProvisioned]),
      row('Kubernetes control plane', (c) => ['1 cluster', c.cluster]),
      row('PostgreSQL compute', (c) => [`${pg.servers} × ${pg.vcores} vCores`, c.postgresCompute]),
      row('PostgreSQL storage', (c) => [`${pg.servers} × ${n(c.postgresProvisionedGiB)} GiB`, c.postgresStorage]),
      ...costs.get(clouds[0]!)!.redisBought.map((b, i) => row(`Redis${b.role === 'all' ? '' : `, ${b.role}`}`, (c) => [`${c.redisBought[i]!.units} × ${c.redisBought[i]!.offer}`, c.redisBought[i]!.monthly])),
      row('total, pods for the peak all month', (c) => ['', c.totalPeakProvisioned]),
      row('total, pods autoscaled on the load', (c) => [c.nodesAverage !== undefined ? `${c.nodesAverage} nodes at the average` : '', c.totalAutoscaled]),
    ]),
  );
  for (const c of cols) {
    const sizes = tables.get(c.cloud)!.prices.postgresStorageGbMonth.sizesGiB;
    if (sizes?.length && c.postgresProvisionedGiB > Math.ceil(pg.neededGiB)) {
      console.log(`  ${NAMES[c.cloud]} bills PostgreSQL storage in the sizes it offers: ${n(pg.neededGiB)} GiB needed → ${n(c.postgresProvisionedGiB)} GiB provisioned`);
    }
  }
  for (const c of cols) {
    const t = tables.get(c.cloud)!;
    console.log(`  ${NAMES[c.cloud]}, for comparison, not in the total: the broker messages on a per-request queue (${t.prices.brokerMillionRequests.what.split(':')[0]}): ${usd(c.brokerPerMessage)}`);
  }
  for (const c of clouds) for (const note of tables.get(c)!.outOfScope ?? []) console.log(`  not included (${NAMES[c]}): ${note}`);

  console.log(`\nHerald beside the reviewed design: monthly infrastructure at ${big(daily)}/day, peak ${n(peak)}/s, ${n(a.retentionDays)} days kept`);
  const claim = REVIEWED_DESIGN_MONTHLY;
  console.log(
    table([
      ['', 'per month', ''],
      ['reviewed design, as claimed', usd(claim.claimed), ''],
      ['reviewed design, as its review corrected it', usd(claim.corrected), ''],
      ...cols.map((c) => [
        `Herald on ${NAMES[c.cloud]} (pods for the peak all month)`,
        usd(c.totalPeakProvisioned),
        `${n((c.totalPeakProvisioned / claim.claimed) * 100)}% of the claim, ${n((c.totalPeakProvisioned / claim.corrected) * 100)}% of the corrected figure`,
      ]),
    ]),
  );
  for (const c of cols) if (c.totalPeakProvisioned >= claim.claimed) console.log(`  Herald on ${NAMES[c.cloud]} is NOT below the reviewed design's claimed ${usd(claim.claimed)}: see the breakdown above.`);
  if (daily !== 50e6) console.log(`  (the reviewed design's figures are for 50 million a day; this run sizes ${big(daily)})`);

  console.log('\nThe reviewed design beside Herald (peak scaled with volume; broker messages priced as on a per-request queue)');
  const rows: string[][] = [['', 'reviewed design', 'Herald (measured)']];
  const ratio = peak / daily;
  for (const volume of [50e6, 150e6]) {
    const byCloud = clouds.map((c) => ({ c, cmp: compareDesigns(measured, volume, volume * ratio, tables.get(c)!, assumptions) }));
    const first = byCloud[0]!.cmp;
    rows.push(
      [`${big(volume)}/day, peak ${n(first.peakPerSec)}/s`, '', ''],
      ['  broker messages / notification', `${REVIEWED_DESIGN.brokerMessagesLow}–${REVIEWED_DESIGN.brokerMessagesHigh}`, n(measured.brokerMessagesPerNotification, 2)],
      ['  broker messages / day', `${big(first.reviewed.brokerMessagesPerDay[0])}–${big(first.reviewed.brokerMessagesPerDay[1])}`, big(first.herald.brokerMessagesPerDay)],
      ['  broker messages / s at peak', `${n(first.reviewed.brokerMessagesPerSecPeak[0])}–${n(first.reviewed.brokerMessagesPerSecPeak[1])}`, n(first.herald.brokerMessagesPerSecPeak)],
      ['  state writes / notification', n(REVIEWED_DESIGN.stateWrites, 1), n(measured.stateWritesPerNotification, 2)],
      ['  state writes / day', big(first.reviewed.stateWritesPerDay), big(first.herald.stateWritesPerDay)],
      ['  state writes / s at peak', n(first.reviewed.stateWritesPerSecPeak), n(first.herald.stateWritesPerSecPeak)],
      ...byCloud.map(({ c, cmp }) => [`  broker messages, $ / month (${NAMES[c]})`, `${usd(cmp.reviewed.brokerCost[0])}–${usd(cmp.reviewed.brokerCost[1])}`, usd(cmp.herald.brokerCost)]),
    );
  }
  console.log(table(rows));
  console.log('  (the review gave no CPU figure for its design, so only the amplification is compared)');
}

/**
 * Each region overlay's capacity.yaml as the model sizes it from `measured`: writes them, or
 * answers those whose committed copy differs.
 */
export function k8sOverlays(measured: ReturnType<typeof measuredFrom>, bench: string, a: Assumptions, mode: 'write' | 'check'): string[] {
  const stale: string[] = [];
  const what = `${measured.scenario} run of ${measured.date.slice(0, 10)}${measured.gitCommit ? `, commit ${measured.gitCommit}` : ''}: ${measured.cpuMsPerNotification.toFixed(2)} CPU-ms per notification`;
  for (const [region, spec] of Object.entries(readRegions().regions)) {
    const { daily, peak } = spec.kubernetes;
    const text = capacityPatch(region, podSizes(plan(measured, daily, peak, a), a), { bench: relative(ROOT, bench), what, daily, peak });
    const path = join(ROOT, 'k8s/overlays', region, 'capacity.yaml');
    if (mode === 'write') {
      writeFileSync(path, text);
      console.log(`wrote ${relative(ROOT, path)}`);
    } else if (!existsSync(path) || readFileSync(path, 'utf8') !== text) {
      stale.push(relative(ROOT, path));
    }
  }
  if (mode === 'check' && stale.length === 0) console.log('the overlays\' capacity is what the model makes');
  return stale;
}

if (process.argv[1] && import.meta.filename === process.argv[1]) {
  try {
    main();
  } catch (e) {
    console.error(`capacity: ${e instanceof Error ? e.message : String(e)}`);
    process.exitCode = 1;
  }
}
