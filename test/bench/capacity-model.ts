// The capacity and cost model: from what one notification measurably costs (a bench result)
// to replicas, nodes, a PostgreSQL server, a Redis and a monthly bill on one cloud, for a daily
// volume, a peak and a retention. Pure arithmetic, so every figure it prints can be checked by a
// test and by hand; capacity.ts reads the files and prints. docs/capacity.md explains each step.
//
// Where the data lives (the model's premise): PostgreSQL (Dapr's state.postgresql v1, also the
// actor state store) is the store of record and keeps each notification `retentionDays`, expired
// by the store's TTL. Redis keeps only operational, short-lived data: the lane streams (trimmed),
// the send ledger (a day), rate-limit buckets, breakers, admission counters, the watchdog set.
// Nothing of record is sized into Redis, so its memory does not grow with the retention.

/** The per-notification costs the model reads from a bench result (`npm run bench -- --json`). */
export interface MeasuredCosts {
  scenario: string;
  date: string;
  gitCommit?: string;
  machineCores?: number;
  completedPerSec: number;
  brokerMessagesPerNotification: number;
  /** Per notification: Redis stream entries (intake → dispatcher) and RabbitMQ publishes (dispatcher → channel). */
  brokerDetailPerNotification?: { redisXadd: number; rabbitReceived: number | null };
  stateWritesPerNotification: number;
  cpuMsPerNotification: number;
  /** CPU-ms per notification by process: `intake`, `intake daprd`, …, `redis`, `rabbitmq`, `postgres` (all PostgreSQL processes). */
  cpuMsPerNotificationByProcess: Record<string, number>;
  redisCommandsPerNotification?: number;
  /** Growth of Redis's memory per notification over the run (used_memory after ÷ notifications). */
  redisBytesPerNotification?: number;
  /** A Redis-only run's breakdown of what outlived the send, by what kept it (MEMORY USAGE). */
  redisRetainedBytesPerNotification?: { actorState: number; historyIndex: number; sendLedger: number };
  /**
   * Bytes each store keeps per notification after the run, measured from the stores:
   * `postgres`: growth of pg_total_relation_size (heap, indexes, TOAST) of Herald's tables ÷ notifications;
   * `redis`: keys that outlive the send and expire with the send ledger (MEMORY USAGE) ÷ notifications,
   * not counting lane stream entries (sized from `redisStreamBytesPerEntry` and the streams' bound).
   */
  storeBytesPerNotification?: Record<string, number>;
  /** Bytes one lane stream entry takes in Redis: MEMORY USAGE of a lane stream ÷ its XLEN. */
  redisStreamBytesPerEntry?: number;
}

export interface Price {
  value: number;
  unit: string;
  what: string;
  source: string;
}

/** A Kubernetes worker node: `value` per node-hour. */
export interface NodePrice extends Price {
  name: string;
  vcpu: number;
  memoryGiB: number;
}

/** One managed Redis size: `value` per hour for the offer as sold. */
export interface RedisOffer extends Price {
  name: string;
  memoryGiB: number;
  /** The price covers a primary and its replica (Azure Standard); otherwise it is per node (ElastiCache). */
  includesReplica: boolean;
}

/** A price per million that falls with volume: each band up to `upToMillions` (null: no limit). */
export interface TieredPrice extends Price {
  tiers?: Array<{ upToMillions: number | null; value: number }>;
  /** A fixed charge per hour on top (Service Bus Standard's base charge). */
  baseHourly?: number;
}

export type Cloud = 'azure' | 'aws';
export const CLOUDS: readonly Cloud[] = ['azure', 'aws'];

/** A dated price table for one cloud (test/bench/prices/<cloud>-<date>.json). */
export interface PriceTable {
  cloud: Cloud;
  asOf: string;
  currency: string;
  region: string;
  hoursPerMonth: number;
  checked?: string;
  prices: {
    /** Pods run on worker nodes of this shape… */
    node?: NodePrice;
    /** …or are billed per vCPU and GB requested (Fargate, Container Instances). */
    vcpuHour?: Price;
    gbHour?: Price;
    /** The managed Kubernetes control plane, per cluster-hour. */
    clusterHour: Price;
    /** Managed PostgreSQL compute per vCore-hour, one server (a standby doubles it). */
    postgresVcoreHour: Price;
    /** Managed PostgreSQL storage per GiB-month, one server (a standby doubles it). */
    postgresStorageGbMonth: Price & { sizesGiB?: number[]; minGiB?: number; maxGiB?: number };
    redis: RedisOffer[];
    /** The per-message yardstick (SQS, Service Bus): for comparison only, never in the totals. */
    brokerMillionRequests: TieredPrice;
  };
  outOfScope?: string[];
}

export interface Assumptions {
  /** Share of a core a replica may use at peak; the rest is headroom for bursts and failover. */
  targetUtilization: number;
  /** Fewest replicas per app, for availability (one can fail or roll). */
  minReplicas: number;
  /** Memory requested per pod (app and sidecar together), GB. */
  memoryGbPerPod: number;
  /** How long PostgreSQL keeps a settled notification (its TTL). */
  retentionDays: number;
  /** How long the channels' send ledger keeps an outcome (dedup.ts: a day). */
  ledgerDays: number;
  /** Requests a managed queue bills per message: send, receive, delete. */
  requestsPerBrokerMessage: number;
  /** Share of a node's vCPU and memory left to pods after the kubelet, the OS and the daemonsets. */
  nodeAllocatableShare: number;
  /** Fewest worker nodes: one per availability zone. */
  minNodes: number;
  /** Each RabbitMQ node's pod (quorum queues want three). */
  rabbitPod: { vcpu: number; memoryGiB: number };
  /** Replicas of Dapr's placement and of its scheduler in production. */
  daprServiceReplicas: number;
  /** Dapr's own control plane (operator, sentry, sidecar injector), all together. */
  daprControlPlane: { vcpu: number; memoryGiB: number };
  /** PostgreSQL's CPU per notification when the bench did not measure a `postgres` process. */
  postgresCpuMsAssumed: number;
  /** Share of its vCores PostgreSQL may use at peak. */
  postgresUtilization: number;
  /** A standby server (zone-redundant HA / Multi-AZ): billed as a second server, compute and storage. */
  postgresHa: boolean;
  /** Indexes and MVCC bloat added to bytes that were not measured in PostgreSQL (mapped from Redis). */
  postgresOverheadWhenMapped: number;
  /** Storage provisioned beyond the data: free space for growth, vacuum and WAL. */
  postgresFreeShare: number;
  /** Lanes, one Redis stream each (critical, bulk). */
  lanes: number;
  /** Each lane stream is trimmed at about this many entries (maxLenApprox in the pub/sub component). */
  streamMaxLenPerLane: number;
  /** Size of a stream entry when neither measured nor inferable from the run. */
  streamBytesPerEntryAssumed: number;
  /** Rate-limit buckets, breakers, admission counters, the watchdog set: small and bounded. */
  redisFloorGiB: number;
  /** Share of a Redis node's memory the data may fill (fragmentation, replication buffers, fork). */
  redisUsableShare: number;
  /** Replicas per Redis shard (where the price is per node). */
  redisReplicas: number;
}

export const DEFAULT_ASSUMPTIONS: Assumptions = {
  targetUtilization: 0.6,
  minReplicas: 2,
  memoryGbPerPod: 1,
  retentionDays: 90,
  ledgerDays: 1,
  requestsPerBrokerMessage: 3,
  nodeAllocatableShare: 0.85,
  minNodes: 3,
  rabbitPod: { vcpu: 2, memoryGiB: 4 },
  daprServiceReplicas: 3,
  daprControlPlane: { vcpu: 0.75, memoryGiB: 1.5 },
  postgresCpuMsAssumed: 1,
  postgresUtilization: 0.6,
  postgresHa: true,
  postgresOverheadWhenMapped: 0.5,
  postgresFreeShare: 0.25,
  lanes: 2,
  streamMaxLenPerLane: 1_000_000,
  streamBytesPerEntryAssumed: 1000,
  redisFloorGiB: 1,
  redisUsableShare: 0.75,
  redisReplicas: 1,
};

/**
 * The reviewed event-driven design's amplification, as its review states it (docs/design.md,
 * "Why Herald looks like this"; no CPU figure was given).
 */
export const REVIEWED_DESIGN = { brokerMessagesLow: 4, brokerMessagesHigh: 5, stateWrites: 3.7 } as const;

/**
 * The reviewed design's monthly infrastructure cost at 50M a day: it claimed $11,030 a month,
 * and its review corrected that to $46,450 a month (the claim left costs out).
 */
export const REVIEWED_DESIGN_MONTHLY = { claimed: 11_030, corrected: 46_450 } as const;

/** vCores a managed PostgreSQL server is offered with (Azure Ddsv5, RDS db.m7g large…16xlarge). */
export const POSTGRES_VCORE_SIZES: readonly number[] = [2, 4, 8, 16, 32, 48, 64];

export const GIB = 2 ** 30;

export interface AppSizing {
  app: string;
  /** Cores the app processes need at peak (all replicas together). */
  appCores: number;
  sidecarCores: number;
  replicas: number;
  /** Requested per pod, rounded up to a quarter vCPU: app + sidecar, at the target utilisation. */
  vcpuPerPod: number;
}

/** Pods to place on the cluster: how many, and the vCPU and memory they request. */
export interface PodSet {
  pods: number;
  vcpu: number;
  memoryGiB: number;
}

/** Where the bytes kept per notification came from. */
export interface StoreBytes {
  /** Bytes PostgreSQL keeps per notification, before any overhead. */
  postgres: number;
  /** Bytes Redis keeps per notification for `ledgerDays` (the send ledger and the like). */
  redis: number;
  /** `measured`: storeBytesPerNotification; `mapped`: a Redis-only run's breakdown, mapped to the stores. */
  source: 'measured' | 'mapped';
  /** Overhead added for indexes and MVCC bloat (0 when measured in PostgreSQL, which includes them). */
  postgresOverhead: number;
}

export interface PostgresSizing {
  cpuMsPerNotification: number;
  cpuSource: 'measured' | 'assumed';
  /** Cores PostgreSQL needs at peak. */
  cores: number;
  /** Offered vCores at the utilisation target (one server; a standby has as many). */
  vcores: number;
  servers: number;
  bytesPerNotification: number;
  /** Data kept: bytes per notification × daily volume × retention days. */
  storedGiB: number;
  /** What to provision for it: the data plus free space (before a cloud's own sizes). */
  neededGiB: number;
}

/** One Redis deployment and what it holds. */
export interface RedisInstance {
  /** `all`: one Redis for everything; else `lanes` (Dapr's pub/sub streams) and `operational` (Herald's own keys). */
  role: 'all' | 'lanes' | 'operational';
  workingSetGiB: number;
  /** Memory to buy so its working set fills at most `redisUsableShare` of it. */
  neededGiB: number;
}

export interface RedisSizing {
  /** Redis processes the measured CPU asks for: Redis runs commands on one thread. */
  cpuShards: number;
  ledgerGiB: number;
  streamEntries: number;
  streamBytesPerEntry: number;
  streamBytesSource: 'measured' | 'inferred' | 'assumed';
  streamGiB: number;
  floorGiB: number;
  /** The operational working set: ledger + streams + floor. Independent of the retention. */
  workingSetGiB: number;
  /**
   * Where it runs. Herald's clients and Dapr's components each talk to one Redis endpoint, not
   * Redis Cluster, so more than one thread's worth of CPU is met by splitting by use: the lane
   * streams (Dapr's pub/sub components) on one Redis, Herald's own keys (REDIS_URL) on another.
   */
  instances: RedisInstance[];
  /** The CPU asks for more than two: beyond what splitting by use gives, Redis Cluster would be needed. */
  needsCluster: boolean;
}

export interface CapacityPlan {
  dailyVolume: number;
  peakPerSec: number;
  averagePerSec: number;
  retentionDays: number;
  apps: AppSizing[];
  /** Processes sized as services of their own: placement, scheduler, Redis, RabbitMQ, PostgreSQL. */
  services: Array<{ name: string; cores: number; note: string }>;
  /** Pods on the cluster at the peak rate, and at the average rate (autoscaled). */
  podsPeak: PodSet;
  podsAverage: PodSet;
  brokerMessagesPerSecPeak: number;
  brokerMessagesPerDay: number;
  rabbitMessagesPerSecPeak?: number;
  redisStreamEntriesPerSecPeak?: number;
  stateWritesPerSecPeak: number;
  stateWritesPerDay: number;
  rabbitNodes: number;
  storeBytes: StoreBytes;
  postgres: PostgresSizing;
  redis: RedisSizing;
}

export interface CloudCost {
  cloud: Cloud;
  /** Worker nodes (when priced by node), at peak and at the average rate. */
  nodesPeak?: number;
  nodesAverage?: number;
  /** Pods for the peak all month long; pods following the load (the average rate). */
  computePeakProvisioned: number;
  computeAutoscaled: number;
  cluster: number;
  postgresCompute: number;
  postgresStorage: number;
  /** Storage provisioned per server, in the cloud's sizes. */
  postgresProvisionedGiB: number;
  redis: number;
  redisBought: RedisBought[];
  /** For comparison only (not in the totals): the broker messages on a managed per-request queue. */
  brokerPerMessage: number;
  totalPeakProvisioned: number;
  totalAutoscaled: number;
}

/** Groups the bench's processes by app: `intake` and `intake daprd` are one pod. */
export function groupByApp(byProcess: Record<string, number>): { apps: Record<string, { app: number; sidecar: number }>; services: Record<string, number> } {
  const apps: Record<string, { app: number; sidecar: number }> = {};
  const services: Record<string, number> = {};
  for (const [name, ms] of Object.entries(byProcess)) {
    // Replicas of an app (`channel-sms-r2`) count towards the app.
    const m = /^(intake|dispatcher|channel-[a-z]+)(?:-r\d+)?( daprd)?$/.exec(name);
    if (m?.[1]) {
      const a = (apps[m[1]] ??= { app: 0, sidecar: 0 });
      if (m[2]) a.sidecar += ms;
      else a.app += ms;
    } else if (name !== 'provider-sim') {
      // The simulator stands in for the providers' own servers: not Herald's to run.
      services[name] = (services[name] ?? 0) + ms;
    }
  }
  return { apps, services };
}

// Rounded up to a quarter vCPU (a little slack so 2.2500000001 stays 2.25).
const quarter = (v: number) => Math.max(0.25, Math.ceil(v * 4 - 1e-9) / 4);

/** Cores for `msPerNotification` CPU-ms each at `perSec` notifications a second. */
export const coresFor = (msPerNotification: number, perSec: number): number => (msPerNotification * perSec) / 1000;

/**
 * The bytes each store keeps per notification: measured from the stores when the bench reports
 * them, else a Redis-only run's breakdown mapped to where the data now lives (actor state and
 * history index → PostgreSQL, send ledger → Redis), with an overhead for PostgreSQL's indexes
 * and MVCC bloat that a Redis measurement cannot include.
 */
export function storeBytesFrom(m: MeasuredCosts, a: Assumptions = DEFAULT_ASSUMPTIONS): StoreBytes {
  const s = m.storeBytesPerNotification;
  const r = m.redisRetainedBytesPerNotification;
  if (s && typeof s.postgres === 'number') {
    // pg_total_relation_size counts heap, indexes and TOAST: no overhead on top.
    const redis = s.redis ?? r?.sendLedger;
    if (redis === undefined) throw new Error('the bench result has storeBytesPerNotification.postgres but no storeBytesPerNotification.redis (nor a send ledger figure)');
    return { postgres: s.postgres, redis, source: 'measured', postgresOverhead: 0 };
  }
  if (r) return { postgres: r.actorState + r.historyIndex, redis: r.sendLedger, source: 'mapped', postgresOverhead: a.postgresOverheadWhenMapped };
  throw new Error('the bench result has neither storeBytesPerNotification.postgres nor redisRetainedBytesPerNotification: nothing says what a notification keeps');
}

/** The smallest offered vCore count that runs `cores` at `utilization`, never below `min`. */
export function postgresVcoresFor(cores: number, utilization: number, sizes: readonly number[] = POSTGRES_VCORE_SIZES, min = 2): number {
  const needed = Math.max(min, cores / utilization);
  const size = sizes.find((s) => s >= needed - 1e-9);
  if (size === undefined) throw new Error(`PostgreSQL needs ${needed.toFixed(1)} vCores, more than the largest offered server (${sizes[sizes.length - 1]}): shard, or measure again`);
  return size;
}

/** Bytes one lane stream entry takes: measured, else what the run's Redis growth leaves unexplained per entry, else assumed. */
export function streamEntryBytes(m: MeasuredCosts, a: Assumptions = DEFAULT_ASSUMPTIONS): { bytes: number; source: RedisSizing['streamBytesSource'] } {
  if (m.redisStreamBytesPerEntry !== undefined && m.redisStreamBytesPerEntry > 0) return { bytes: m.redisStreamBytesPerEntry, source: 'measured' };
  // In a short run nothing is trimmed: Redis grew by what it kept per notification plus one
  // stream entry per XADD. What the kept keys do not explain is the entries.
  const r = m.redisRetainedBytesPerNotification;
  const kept = r ? r.actorState + r.historyIndex + r.sendLedger : m.storeBytesPerNotification?.redis;
  const xadds = m.brokerDetailPerNotification?.redisXadd ?? 1;
  if (m.redisBytesPerNotification !== undefined && kept !== undefined && xadds > 0) {
    const residual = (m.redisBytesPerNotification - kept) / xadds;
    if (residual > 0) return { bytes: residual, source: 'inferred' };
  }
  return { bytes: a.streamBytesPerEntryAssumed, source: 'assumed' };
}

/** Sizes Herald for a volume, a peak and a retention: cloud-independent. */
export function plan(m: MeasuredCosts, dailyVolume: number, peakPerSec: number, a: Assumptions = DEFAULT_ASSUMPTIONS): CapacityPlan {
  const averagePerSec = dailyVolume / 86_400;
  const { apps, services } = groupByApp(m.cpuMsPerNotificationByProcess);
  const sizing: AppSizing[] = Object.entries(apps)
    .sort(([x], [y]) => x.localeCompare(y))
    .map(([app, ms]) => {
      const appCores = coresFor(ms.app, peakPerSec);
      const sidecarCores = coresFor(ms.sidecar, peakPerSec);
      // A Node app is one event loop: a replica uses at most one core, so it is the app's
      // CPU that sets the count; the Go sidecar beside it gets what it needs per pod.
      const replicas = Math.max(a.minReplicas, Math.ceil(appCores / a.targetUtilization));
      return { app, appCores, sidecarCores, replicas, vcpuPerPod: quarter((appCores + sidecarCores) / replicas / a.targetUtilization) };
    });

  const serviceRows = Object.entries(services)
    .sort(([x], [y]) => x.localeCompare(y))
    .map(([name, ms]) => ({ name, cores: coresFor(ms, peakPerSec), note: serviceNote(name) }));
  const coresOf = (name: string) => serviceRows.find((s) => s.name === name)?.cores ?? 0;
  // RabbitMQ's quorum queues want three nodes; more when the measured CPU asks for it.
  const rabbitNodes = Math.max(3, Math.ceil(coresOf('rabbitmq') / (a.rabbitPod.vcpu * a.targetUtilization)));

  // On the cluster: the apps, RabbitMQ, Dapr's placement and scheduler, Dapr's control plane.
  // Redis and PostgreSQL are managed services, priced on their own.
  const daprService = (name: string) => ({
    pods: a.daprServiceReplicas,
    vcpu: a.daprServiceReplicas * quarter(coresOf(name) / a.daprServiceReplicas / a.targetUtilization),
    memoryGiB: a.daprServiceReplicas * a.memoryGbPerPod,
  });
  const fixed: PodSet[] = [
    { pods: rabbitNodes, vcpu: rabbitNodes * a.rabbitPod.vcpu, memoryGiB: rabbitNodes * a.rabbitPod.memoryGiB },
    daprService('placement'),
    daprService('scheduler'),
    { pods: 3, vcpu: a.daprControlPlane.vcpu, memoryGiB: a.daprControlPlane.memoryGiB },
  ];
  const appPods = (replicasOf: (x: AppSizing) => number): PodSet[] =>
    sizing.map((x) => ({ pods: replicasOf(x), vcpu: replicasOf(x) * x.vcpuPerPod, memoryGiB: replicasOf(x) * a.memoryGbPerPod }));
  // At the average rate the same pods run at the same utilisation, so the count scales with the rate.
  const averageReplicas = (x: AppSizing) => Math.max(a.minReplicas, Math.ceil(x.replicas * (averagePerSec / peakPerSec)));
  const podsPeak = sumPods([...appPods((x) => x.replicas), ...fixed]);
  const podsAverage = sumPods([...appPods(averageReplicas), ...fixed]);

  const storeBytes = storeBytesFrom(m, a);

  const measuredPg = m.cpuMsPerNotificationByProcess.postgres;
  const pgCpu = measuredPg !== undefined ? measuredPg : a.postgresCpuMsAssumed;
  const pgCores = coresFor(pgCpu, peakPerSec);
  const pgBytes = storeBytes.postgres * (1 + storeBytes.postgresOverhead);
  const storedGiB = (pgBytes * dailyVolume * a.retentionDays) / GIB;
  const postgres: PostgresSizing = {
    cpuMsPerNotification: pgCpu,
    cpuSource: measuredPg !== undefined ? 'measured' : 'assumed',
    cores: pgCores,
    vcores: postgresVcoresFor(pgCores, a.postgresUtilization),
    servers: a.postgresHa ? 2 : 1,
    bytesPerNotification: pgBytes,
    storedGiB,
    neededGiB: storedGiB * (1 + a.postgresFreeShare),
  };

  // Redis: the operational working set only. Acknowledged stream entries stay until the stream
  // is trimmed, so each lane sits at its bound; admission control keeps any backlog far below it
  // (it refuses critical at 200,000 waiting, bulk at 20,000), so the bound is the whole need.
  const entry = streamEntryBytes(m, a);
  const streamEntries = a.lanes * a.streamMaxLenPerLane;
  const ledgerGiB = (storeBytes.redis * dailyVolume * a.ledgerDays) / GIB;
  const streamGiB = (streamEntries * entry.bytes) / GIB;
  const workingSetGiB = ledgerGiB + streamGiB + a.redisFloorGiB;
  const cpuShards = Math.max(1, Math.ceil(coresOf('redis') / a.targetUtilization - 1e-9));
  const instance = (role: RedisInstance['role'], gib: number): RedisInstance => ({ role, workingSetGiB: gib, neededGiB: gib / a.redisUsableShare });
  const redis: RedisSizing = {
    cpuShards,
    ledgerGiB,
    streamEntries,
    streamBytesPerEntry: entry.bytes,
    streamBytesSource: entry.source,
    streamGiB,
    floorGiB: a.redisFloorGiB,
    workingSetGiB,
    instances: cpuShards === 1 ? [instance('all', workingSetGiB)] : [instance('lanes', streamGiB), instance('operational', ledgerGiB + a.redisFloorGiB)],
    needsCluster: cpuShards > 2,
  };

  return {
    dailyVolume,
    peakPerSec,
    averagePerSec,
    retentionDays: a.retentionDays,
    apps: sizing,
    services: serviceRows,
    podsPeak,
    podsAverage,
    brokerMessagesPerSecPeak: peakPerSec * m.brokerMessagesPerNotification,
    brokerMessagesPerDay: dailyVolume * m.brokerMessagesPerNotification,
    ...(m.brokerDetailPerNotification?.rabbitReceived != null ? { rabbitMessagesPerSecPeak: peakPerSec * m.brokerDetailPerNotification.rabbitReceived } : {}),
    ...(m.brokerDetailPerNotification ? { redisStreamEntriesPerSecPeak: peakPerSec * m.brokerDetailPerNotification.redisXadd } : {}),
    stateWritesPerSecPeak: peakPerSec * m.stateWritesPerNotification,
    stateWritesPerDay: dailyVolume * m.stateWritesPerNotification,
    rabbitNodes,
    storeBytes,
    postgres,
    redis,
  };
}

function sumPods(sets: PodSet[]): PodSet {
  return sets.reduce((s, x) => ({ pods: s.pods + x.pods, vcpu: s.vcpu + x.vcpu, memoryGiB: s.memoryGiB + x.memoryGiB }), { pods: 0, vcpu: 0, memoryGiB: 0 });
}

/** Worker nodes for a set of pods: by vCPU or by memory, whichever needs more, never below the minimum. */
export function nodesFor(pods: PodSet, node: { vcpu: number; memoryGiB: number }, a: Assumptions = DEFAULT_ASSUMPTIONS): number {
  const byCpu = Math.ceil(pods.vcpu / (node.vcpu * a.nodeAllocatableShare) - 1e-9);
  const byMemory = Math.ceil(pods.memoryGiB / (node.memoryGiB * a.nodeAllocatableShare) - 1e-9);
  return Math.max(a.minNodes, byCpu, byMemory);
}

/** The cost of `millions` on a price that may fall in bands. */
export function tieredMonthly(millions: number, p: TieredPrice, hoursPerMonth: number): number {
  const base = (p.baseHourly ?? 0) * hoursPerMonth;
  if (!p.tiers?.length) return base + millions * p.value;
  let cost = base;
  let from = 0;
  for (const t of p.tiers) {
    const to = t.upToMillions ?? Infinity;
    if (millions > from) cost += (Math.min(millions, to) - from) * t.value;
    from = to;
  }
  return cost;
}

export interface RedisBought {
  role: RedisInstance['role'];
  offer: string;
  /** Nodes or caches billed: a primary and its replicas, or one offer that includes the replica. */
  units: number;
  monthly: number;
}

/** The Redis to buy for one instance: the cheapest offer (with its replica) whose memory holds what it needs. */
export function redisFor(instance: RedisInstance, offers: readonly RedisOffer[], hoursPerMonth: number, a: Assumptions = DEFAULT_ASSUMPTIONS): RedisBought {
  const units = (o: RedisOffer) => (o.includesReplica ? 1 : 1 + a.redisReplicas);
  const fitting = offers.filter((o) => o.memoryGiB >= instance.neededGiB - 1e-9).sort((x, y) => x.value * units(x) - y.value * units(y));
  const offer = fitting[0];
  if (!offer) throw new Error(`Redis (${instance.role}) needs ${instance.neededGiB.toFixed(1)} GiB, more than the largest offer holds: that takes Redis Cluster, which Herald's clients do not use`);
  return { role: instance.role, offer: offer.name, units: units(offer), monthly: units(offer) * offer.value * hoursPerMonth };
}

/** Prices a plan on one cloud for a month. */
export function costOn(p: CapacityPlan, prices: PriceTable, a: Assumptions = DEFAULT_ASSUMPTIONS): CloudCost {
  const hours = prices.hoursPerMonth;
  const { node, vcpuHour, gbHour } = prices.prices;
  let compute: (pods: PodSet) => { monthly: number; nodes?: number };
  if (node) {
    compute = (pods) => {
      const nodes = nodesFor(pods, node, a);
      return { monthly: nodes * node.value * hours, nodes };
    };
  } else if (vcpuHour && gbHour) {
    compute = (pods) => ({ monthly: (pods.vcpu * vcpuHour.value + pods.memoryGiB * gbHour.value) * hours });
  } else {
    throw new Error(`the ${prices.cloud} price table prices pods neither by node nor by vCPU and GB`);
  }
  const peak = compute(p.podsPeak);
  const average = compute(p.podsAverage);
  const cluster = prices.prices.clusterHour.value * hours;

  const pg = p.postgres;
  const storage = prices.prices.postgresStorageGbMonth;
  const postgresCompute = pg.servers * pg.vcores * prices.prices.postgresVcoreHour.value * hours;
  let postgresProvisionedGiB: number;
  try {
    postgresProvisionedGiB = provisionedGiB(pg.neededGiB, storage.sizesGiB, storage.minGiB, storage.maxGiB);
  } catch (e) {
    throw new Error(`on ${prices.cloud}: ${(e as Error).message}`);
  }
  const postgresStorage = pg.servers * postgresProvisionedGiB * storage.value;

  const redisBought = p.redis.instances.map((i) => redisFor(i, prices.prices.redis, hours, a));
  const redis = redisBought.reduce((s, x) => s + x.monthly, 0);
  const brokerPerMessage = tieredMonthly((p.brokerMessagesPerDay * 30 * a.requestsPerBrokerMessage) / 1e6, prices.prices.brokerMillionRequests, hours);

  const shared = cluster + postgresCompute + postgresStorage + redis;
  return {
    cloud: prices.cloud,
    ...(peak.nodes !== undefined ? { nodesPeak: peak.nodes } : {}),
    ...(average.nodes !== undefined ? { nodesAverage: average.nodes } : {}),
    computePeakProvisioned: peak.monthly,
    computeAutoscaled: average.monthly,
    cluster,
    postgresCompute,
    postgresStorage,
    postgresProvisionedGiB,
    redis,
    redisBought,
    brokerPerMessage,
    totalPeakProvisioned: peak.monthly + shared,
    totalAutoscaled: average.monthly + shared,
  };
}

/** Storage to provision: the smallest offered size that holds `needed` (Azure's disk sizes), or `needed` itself. */
export function provisionedGiB(needed: number, sizes?: readonly number[], min = 0, max = Infinity): number {
  const want = Math.max(min, needed);
  const largest = sizes?.length ? Math.max(...sizes) : max;
  const size = sizes?.length ? [...sizes].sort((x, y) => x - y).find((s) => s >= want) : want <= max ? Math.ceil(want) : undefined;
  if (size === undefined) throw new Error(`PostgreSQL needs ${Math.ceil(want)} GiB, more than the largest storage offered (${largest} GiB): shorten the retention, or split the data over servers`);
  return size;
}

function serviceNote(name: string): string {
  switch (name) {
    case 'redis':
      return 'lane streams, send ledger, rate limiter, breakers (managed Redis)';
    case 'rabbitmq':
      return 'channel queues (on the cluster)';
    case 'postgres':
      return 'store of record: actor state, history (managed PostgreSQL)';
    case 'placement':
      return 'Dapr actor placement (3 replicas in production)';
    case 'scheduler':
      return 'Dapr scheduler: actor reminders (3 replicas in production)';
    default:
      return '';
  }
}

export interface DesignComparison {
  dailyVolume: number;
  peakPerSec: number;
  reviewed: { brokerMessagesPerDay: [number, number]; brokerMessagesPerSecPeak: [number, number]; stateWritesPerDay: number; stateWritesPerSecPeak: number; brokerCost: [number, number] };
  herald: { brokerMessagesPerDay: number; brokerMessagesPerSecPeak: number; stateWritesPerDay: number; stateWritesPerSecPeak: number; brokerCost: number };
}

/** The reviewed design's message and write amplification beside Herald's measured one, at one volume. */
export function compareDesigns(m: MeasuredCosts, dailyVolume: number, peakPerSec: number, prices: PriceTable, a: Assumptions = DEFAULT_ASSUMPTIONS): DesignComparison {
  const monthCost = (perNotification: number) =>
    tieredMonthly((dailyVolume * perNotification * 30 * a.requestsPerBrokerMessage) / 1e6, prices.prices.brokerMillionRequests, prices.hoursPerMonth);
  const r = REVIEWED_DESIGN;
  return {
    dailyVolume,
    peakPerSec,
    reviewed: {
      brokerMessagesPerDay: [dailyVolume * r.brokerMessagesLow, dailyVolume * r.brokerMessagesHigh],
      brokerMessagesPerSecPeak: [peakPerSec * r.brokerMessagesLow, peakPerSec * r.brokerMessagesHigh],
      stateWritesPerDay: dailyVolume * r.stateWrites,
      stateWritesPerSecPeak: peakPerSec * r.stateWrites,
      brokerCost: [monthCost(r.brokerMessagesLow), monthCost(r.brokerMessagesHigh)],
    },
    herald: {
      brokerMessagesPerDay: dailyVolume * m.brokerMessagesPerNotification,
      brokerMessagesPerSecPeak: peakPerSec * m.brokerMessagesPerNotification,
      stateWritesPerDay: dailyVolume * m.stateWritesPerNotification,
      stateWritesPerSecPeak: peakPerSec * m.stateWritesPerNotification,
      brokerCost: monthCost(m.brokerMessagesPerNotification),
    },
  };
}

/** Reads the measured costs out of a bench result, refusing one that lacks a figure the model needs. */
export function measuredFrom(json: unknown): MeasuredCosts {
  const r = json as Partial<MeasuredCosts> | null;
  const need = ['brokerMessagesPerNotification', 'stateWritesPerNotification', 'cpuMsPerNotification'] as const;
  if (!r || typeof r !== 'object') throw new Error('not a bench result (expected a JSON object)');
  for (const k of need) {
    if (typeof r[k] !== 'number' || !Number.isFinite(r[k])) throw new Error(`the bench result has no usable ${k}`);
  }
  if (!r.cpuMsPerNotificationByProcess || typeof r.cpuMsPerNotificationByProcess !== 'object') throw new Error('the bench result has no cpuMsPerNotificationByProcess');
  // A run that did not drain divided its costs by notifications that were never fully handled.
  if ((json as { drainedWithinDeadline?: unknown }).drainedWithinDeadline === false) {
    throw new Error('the bench result did not drain within its deadline: its per-notification costs understate; use a run that did');
  }
  const s = r.storeBytesPerNotification;
  if (s !== undefined) {
    if (!s || typeof s !== 'object') throw new Error('the bench result has a storeBytesPerNotification that is not an object');
    for (const [k, v] of Object.entries(s)) {
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new Error(`the bench result has no usable storeBytesPerNotification.${k}`);
    }
  }
  const measured = r as MeasuredCosts;
  storeBytesFrom(measured); // throws when nothing says what a notification keeps
  return measured;
}

/** Reads a price table, refusing one with a price that has no value or no source. */
export function pricesFrom(json: unknown, name = 'the price table'): PriceTable {
  const t = json as Partial<PriceTable> | null;
  if (!t || typeof t !== 'object' || !t.prices) throw new Error(`${name} is not a price table (expected an object with prices)`);
  if (!CLOUDS.includes(t.cloud as Cloud)) throw new Error(`${name} names no cloud (azure or aws)`);
  if (!(typeof t.hoursPerMonth === 'number' && t.hoursPerMonth > 0)) throw new Error(`${name} has no hoursPerMonth`);
  const check = (label: string, p: Partial<Price> | undefined) => {
    if (!p || typeof p.value !== 'number' || !Number.isFinite(p.value) || p.value < 0) throw new Error(`${name} has no usable ${label}`);
    if (typeof p.source !== 'string' || p.source.length === 0) throw new Error(`${name}: ${label} names no source`);
  };
  const pr = t.prices;
  for (const k of ['clusterHour', 'postgresVcoreHour', 'postgresStorageGbMonth', 'brokerMillionRequests'] as const) check(k, pr[k]);
  if (pr.node) {
    check('node', pr.node);
    if (!(pr.node.vcpu > 0 && pr.node.memoryGiB > 0) || typeof pr.node.name !== 'string') throw new Error(`${name}: node needs a name, vcpu and memoryGiB`);
  } else {
    check('vcpuHour (or node)', pr.vcpuHour);
    check('gbHour (or node)', pr.gbHour);
  }
  if (!Array.isArray(pr.redis) || pr.redis.length === 0) throw new Error(`${name} lists no Redis offer`);
  for (const o of pr.redis) {
    check(`redis offer ${o.name}`, o);
    if (!(o.memoryGiB > 0) || typeof o.includesReplica !== 'boolean') throw new Error(`${name}: redis offer ${o.name} needs memoryGiB and includesReplica`);
  }
  return t as PriceTable;
}
