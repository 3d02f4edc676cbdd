// The capacity and cost model: from what one notification measurably costs (a bench result)
// to replicas, broker and state-store rates and a monthly bill, for a daily volume and a peak.
// Pure arithmetic, so every figure it prints can be checked by a test and by hand.

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
  cpuMsPerNotificationByProcess: Record<string, number>;
  redisCommandsPerNotification?: number;
  /** Growth of Redis's memory per notification over the run (used when no breakdown is given). */
  redisBytesPerNotification?: number;
  /** What outlives the send, per notification, by what keeps it. */
  redisRetainedBytesPerNotification?: { actorState: number; historyIndex: number; sendLedger: number };
}

export interface Price {
  value: number;
  unit: string;
  what: string;
  source: string;
}

/** A dated price table (test/bench/prices-*.json). */
export interface PriceTable {
  asOf: string;
  currency: string;
  region: string;
  hoursPerMonth: number;
  prices: {
    vcpuHour: Price;
    gbHour: Price;
    redisGbHour: Price;
    redisMillionEcpu: Price;
    brokerMillionRequests: Price;
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
  /** How long a notification's actor state and history are kept once it is sent or ended (HISTORY_RETENTION_DAYS). */
  retentionDays: number;
  /** How long the channels' send ledger keeps an outcome (dedup.ts: a day). */
  ledgerDays: number;
  /** Requests a managed queue bills per message: send, receive, delete. */
  requestsPerBrokerMessage: number;
  /** ElastiCache keeps about a quarter of a node's memory for itself; serverless bills data, so 0 there. */
  redisMemoryOverhead: number;
}

export const DEFAULT_ASSUMPTIONS: Assumptions = {
  targetUtilization: 0.6,
  minReplicas: 2,
  memoryGbPerPod: 1,
  retentionDays: 30,
  ledgerDays: 1,
  requestsPerBrokerMessage: 3,
  redisMemoryOverhead: 0,
};

/** The reviewed event-driven design's amplification, as the issue states it (no CPU figure was given). */
export const REVIEWED_DESIGN = { brokerMessagesLow: 4, brokerMessagesHigh: 5, stateWrites: 3.7 } as const;

export interface AppSizing {
  app: string;
  /** Cores the app processes need at peak (all replicas together). */
  appCores: number;
  sidecarCores: number;
  replicas: number;
  /** Requested per pod, rounded up to a quarter vCPU: app + sidecar, at the target utilisation. */
  vcpuPerPod: number;
}

export interface CapacityPlan {
  dailyVolume: number;
  peakPerSec: number;
  averagePerSec: number;
  apps: AppSizing[];
  /** Processes sized as services of their own: placement, scheduler, Redis, RabbitMQ. */
  services: Array<{ name: string; cores: number; note: string }>;
  brokerMessagesPerSecPeak: number;
  brokerMessagesPerDay: number;
  rabbitMessagesPerSecPeak?: number;
  redisStreamEntriesPerSecPeak?: number;
  stateWritesPerSecPeak: number;
  stateWritesPerDay: number;
  redisShards: number;
  redisStoredGb?: number;
  rabbitNodes: number;
  cost: CostBreakdown;
}

export interface CostBreakdown {
  /** Pods for the peak all month long. */
  computePeakProvisioned: number;
  /** Pods following the load (autoscaled on queue depth): the average rate, never below the minimum replicas. */
  computeAutoscaled: number;
  /** RabbitMQ, placement and scheduler on the cluster, at the apps' vCPU price. */
  servicesCompute: number;
  /** Redis as a managed serverless store: data kept (GB-hours) and requests (ECPUs). */
  redisStorage?: number;
  redisRequests?: number;
  /** For comparison only (not in the totals): the broker messages on a managed per-request queue. */
  brokerPerMessage: number;
  totalAutoscaled: number;
  totalPeakProvisioned: number;
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

export function plan(m: MeasuredCosts, dailyVolume: number, peakPerSec: number, prices: PriceTable, a: Assumptions = DEFAULT_ASSUMPTIONS): CapacityPlan {
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

  const hours = prices.hoursPerMonth;
  const podMonth = (vcpu: number) => (vcpu * prices.prices.vcpuHour.value + a.memoryGbPerPod * prices.prices.gbHour.value) * hours;
  const computePeakProvisioned = sizing.reduce((s, x) => s + x.replicas * podMonth(x.vcpuPerPod), 0);
  const computeAutoscaled = sizing.reduce((s, x) => {
    // At the average rate the same pods run at the same utilisation, so the count scales with the rate.
    const avgReplicas = Math.max(a.minReplicas, Math.ceil(x.replicas * (averagePerSec / peakPerSec)));
    return s + avgReplicas * podMonth(x.vcpuPerPod);
  }, 0);

  const serviceRows = Object.entries(services)
    .sort(([x], [y]) => x.localeCompare(y))
    .map(([name, ms]) => ({ name, cores: coresFor(ms, peakPerSec), note: serviceNote(name) }));
  const redisCores = serviceRows.find((s) => s.name === 'redis')?.cores ?? 0;
  const rabbitCores = serviceRows.find((s) => s.name === 'rabbitmq')?.cores ?? 0;
  // Redis executes commands on one thread: a shard gives one core at the target utilisation.
  const redisShards = Math.max(1, Math.ceil(redisCores / a.targetUtilization));
  // RabbitMQ's quorum queues want three nodes; more when the measured CPU asks for it (2 vCPU nodes).
  const rabbitNodes = Math.max(3, Math.ceil(rabbitCores / (2 * a.targetUtilization)));
  const servicesCompute = serviceRows
    .filter((x) => x.name !== 'redis')
    .reduce((s, x) => s + (x.cores / a.targetUtilization) * prices.prices.vcpuHour.value * hours, 0);

  const brokerMessagesPerDay = dailyVolume * m.brokerMessagesPerNotification;
  const stateWritesPerDay = dailyVolume * m.stateWritesPerNotification;
  const brokerPerMessage = ((brokerMessagesPerDay * 30 * a.requestsPerBrokerMessage) / 1e6) * prices.prices.brokerMillionRequests.value;

  const redisStoredGb = redisKeptGb(m, dailyVolume, a);
  const redisStorage = redisStoredGb !== undefined ? redisStoredGb * prices.prices.redisGbHour.value * hours : undefined;
  // One ECPU per command of up to 1 KB (ElastiCache Serverless): a floor, as scripts cost more.
  const redisRequests = m.redisCommandsPerNotification !== undefined ? ((m.redisCommandsPerNotification * dailyVolume * 30) / 1e6) * prices.prices.redisMillionEcpu.value : undefined;

  const redis = (redisStorage ?? 0) + (redisRequests ?? 0);
  const totalAutoscaled = computeAutoscaled + servicesCompute + redis;
  const totalPeakProvisioned = computePeakProvisioned + servicesCompute + redis;
  return {
    dailyVolume,
    peakPerSec,
    averagePerSec,
    apps: sizing,
    services: serviceRows,
    brokerMessagesPerSecPeak: peakPerSec * m.brokerMessagesPerNotification,
    brokerMessagesPerDay,
    ...(m.brokerDetailPerNotification?.rabbitReceived != null ? { rabbitMessagesPerSecPeak: peakPerSec * m.brokerDetailPerNotification.rabbitReceived } : {}),
    ...(m.brokerDetailPerNotification ? { redisStreamEntriesPerSecPeak: peakPerSec * m.brokerDetailPerNotification.redisXadd } : {}),
    stateWritesPerSecPeak: peakPerSec * m.stateWritesPerNotification,
    stateWritesPerDay,
    redisShards,
    ...(redisStoredGb !== undefined ? { redisStoredGb } : {}),
    rabbitNodes,
    cost: {
      computePeakProvisioned,
      computeAutoscaled,
      servicesCompute,
      ...(redisStorage !== undefined ? { redisStorage } : {}),
      ...(redisRequests !== undefined ? { redisRequests } : {}),
      brokerPerMessage,
      totalAutoscaled,
      totalPeakProvisioned,
    },
  };
}

/** Data Redis holds in the steady state: what each day adds, times how long it is kept. */
export function redisKeptGb(m: MeasuredCosts, dailyVolume: number, a: Assumptions): number | undefined {
  const r = m.redisRetainedBytesPerNotification;
  const bytes = r
    ? (r.actorState + r.historyIndex) * dailyVolume * a.retentionDays + r.sendLedger * dailyVolume * a.ledgerDays
    : m.redisBytesPerNotification !== undefined
      ? m.redisBytesPerNotification * dailyVolume * a.retentionDays
      : undefined;
  return bytes === undefined ? undefined : (bytes * (1 + a.redisMemoryOverhead)) / 1e9;
}

function serviceNote(name: string): string {
  switch (name) {
    case 'redis':
      return 'state store, actor store, lane streams, rate limiter';
    case 'rabbitmq':
      return 'channel queues';
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
  const monthCost = (perNotification: number) => ((dailyVolume * perNotification * 30 * a.requestsPerBrokerMessage) / 1e6) * prices.prices.brokerMillionRequests.value;
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
  return r as MeasuredCosts;
}
