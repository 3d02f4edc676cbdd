// The bench's command line: one parse, scenario defaults in one place, a plan out.
import { parseArgs } from 'node:util';
import { EVERY_CUSTOMER_ON_EVERY_CHANNEL } from './load.js';
import { floodPlan, outagePlan, rampPlan, SCENARIOS, steadyPlan, type Plan, type ScenarioName } from './schedule.js';
import { DEFAULT_RAMP_RULES, type RampRules } from './windows.js';

export const USAGE = `npm run bench -- [--scenario steady|ramp|flood|outage] [options]

  every scenario   --concurrency N (in flight per lane, 256)  --warmup N (3000)  --drain-timeout S (300)
                   --json FILE  --html FILE  --profile [--profile-seconds S]  --env KEY=VALUE …
                   --replicas APP=N …  --sampling-rate R (the sidecars' tracing; the local config's "1")
                   --no-mtls (no sentry, no mTLS between sidecars)  --no-tokens (no Dapr API or app tokens)
                   --attach [--url URL --key KEY --redis-url URL --database NAME] (sandbox scenarios only;
                     the lanes' Redis: $REDIS_URL or redis://127.0.0.1:6380, npm start's; the database: herald)
  steady           --rate N (1000)  --duration S (60) | --count N  --critical-share X (0.05)
  ramp             --from N (100)  --to N (2000)  --steps N (8)  --step-duration S (10)
                   --latency-bound-ms MS (1000)  --critical-share X (0.05)
                   --keep-going (offer every step even after two steps in a row fell behind)
  flood            --critical-rate N (20)  --idle-duration S (15)  --flood-duration S (30)
                   --sustainable N (300)  --flood-factor X (10)
  outage           --rate N (200)  --duration S (60) | --count N  --outage-at S (20)
                   --outage-duration S (20)  --outage-providers a,b (all three)  --provider-limit N (1000)
                   --sim-latency-ms MS (0)`;

export interface BenchOptions {
  scenario: ScenarioName;
  plan: Plan;
  concurrency: number;
  warmup: number;
  drainTimeoutMs: number;
  json?: string;
  html?: string;
  profile: boolean;
  profileSeconds?: number;
  appEnv: Record<string, string>;
  replicas: Record<string, number>;
  /** The sidecars' tracing samplingRate, when not the local configuration's. */
  samplingRate?: string;
  /** mTLS between the sidecars (sentry), and Dapr's API and app tokens: on, as production runs, unless turned off to measure them. */
  mtls: boolean;
  tokens: boolean;
  attach: boolean;
  url: string;
  key: string;
  /** With --attach: the stack's Redis (its lanes and operational keys) and its PostgreSQL database. */
  redisUrl: string;
  database: string;
  rampRules: RampRules;
  /** ramp: stop offering once two steps in a row ended with more than half a step's work not sent. */
  earlyStop: boolean;
  /** outage: which simulated providers go down, and the channel apps' limit per provider account. */
  outageProviders: string[];
  providerLimit: number;
  simLatencyMs: number;
  /** Every option as given (after defaults), for the result's record. */
  raw: Record<string, unknown>;
}

const SIM_PROVIDERS = ['sendgrid', 'twilio', 'notificationhubs'];

export function parseBenchArgs(argv: string[]): BenchOptions {
  const { values: v } = parseArgs({
    args: argv,
    strict: true,
    options: {
      scenario: { type: 'string', default: 'steady' },
      rate: { type: 'string' },
      duration: { type: 'string' },
      count: { type: 'string' },
      'critical-share': { type: 'string', default: '0.05' },
      from: { type: 'string', default: '100' },
      to: { type: 'string', default: '2000' },
      steps: { type: 'string', default: '8' },
      'step-duration': { type: 'string', default: '10' },
      'latency-bound-ms': { type: 'string', default: String(DEFAULT_RAMP_RULES.latencyBoundMs) },
      'keep-going': { type: 'boolean', default: false },
      'critical-rate': { type: 'string', default: '20' },
      'idle-duration': { type: 'string', default: '15' },
      'flood-duration': { type: 'string', default: '30' },
      sustainable: { type: 'string', default: '300' },
      'flood-factor': { type: 'string', default: '10' },
      'outage-at': { type: 'string', default: '20' },
      'outage-duration': { type: 'string', default: '20' },
      'outage-providers': { type: 'string', default: SIM_PROVIDERS.join(',') },
      'provider-limit': { type: 'string', default: '1000' },
      'sim-latency-ms': { type: 'string', default: '0' },
      concurrency: { type: 'string', default: '256' },
      warmup: { type: 'string', default: String(EVERY_CUSTOMER_ON_EVERY_CHANNEL) },
      'drain-timeout': { type: 'string', default: '300' },
      json: { type: 'string' },
      html: { type: 'string' },
      profile: { type: 'boolean', default: false },
      'profile-seconds': { type: 'string' },
      env: { type: 'string', multiple: true, default: [] },
      replicas: { type: 'string', multiple: true, default: [] },
      'sampling-rate': { type: 'string' },
      'no-mtls': { type: 'boolean', default: false },
      'no-tokens': { type: 'boolean', default: false },
      attach: { type: 'boolean', default: false },
      url: { type: 'string', default: 'http://127.0.0.1:3000' },
      key: { type: 'string', default: 'herald-local-dev-key' },
      // What `npm start` runs: its own append-only Redis on :6380 (scripts/start.sh), database herald.
      'redis-url': { type: 'string', default: process.env.REDIS_URL ?? 'redis://127.0.0.1:6380' },
      database: { type: 'string', default: 'herald' },
      help: { type: 'boolean', default: false },
    },
  });
  if (v.help) throw new UsageError(USAGE);
  const scenario = v.scenario as ScenarioName;
  if (!SCENARIOS.includes(scenario)) throw new UsageError(`--scenario must be one of ${SCENARIOS.join(', ')} (got ${v.scenario})`);

  const num = (name: string, value: string | undefined, { min = 0, integer = false, exclusive = true } = {}): number => {
    const n = Number(value);
    const ok = Number.isFinite(n) && (exclusive ? n > min : n >= min) && (!integer || Number.isInteger(n));
    if (!ok) throw new UsageError(`--${name} must be ${integer ? 'a whole number' : 'a number'} ${exclusive ? 'above' : 'at least'} ${min} (got ${value})`);
    return n;
  };
  const share = num('critical-share', v['critical-share'], { min: 0, exclusive: false });
  if (share > 1) throw new UsageError('--critical-share is a share: at most 1');

  const rate = num('rate', v.rate ?? (scenario === 'outage' ? '200' : '1000'));
  const durationMs = (): number => {
    if (v.count !== undefined) return (num('count', v.count, { integer: true }) / rate) * 1000;
    return num('duration', v.duration ?? '60') * 1000;
  };

  let plan: Plan;
  switch (scenario) {
    case 'steady':
      plan = steadyPlan({ ratePerSec: rate, durationMs: durationMs(), criticalShare: share });
      break;
    case 'ramp':
      plan = rampPlan({
        fromPerSec: num('from', v.from),
        toPerSec: num('to', v.to),
        steps: num('steps', v.steps, { integer: true }),
        stepMs: num('step-duration', v['step-duration']) * 1000,
        criticalShare: share,
      });
      break;
    case 'flood':
      plan = floodPlan({
        criticalPerSec: num('critical-rate', v['critical-rate']),
        idleMs: num('idle-duration', v['idle-duration']) * 1000,
        floodMs: num('flood-duration', v['flood-duration']) * 1000,
        sustainablePerSec: num('sustainable', v.sustainable),
        factor: num('flood-factor', v['flood-factor']),
      });
      break;
    case 'outage':
      plan = outagePlan({
        ratePerSec: rate,
        durationMs: durationMs(),
        criticalShare: share,
        outageStartMs: num('outage-at', v['outage-at'], { exclusive: false }) * 1000,
        outageMs: num('outage-duration', v['outage-duration']) * 1000,
      });
      break;
  }

  const outageProviders = (v['outage-providers'] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  for (const p of outageProviders) if (!SIM_PROVIDERS.includes(p)) throw new UsageError(`--outage-providers: unknown provider ${p} (${SIM_PROVIDERS.join(', ')})`);
  if (v.attach && scenario === 'outage') throw new UsageError('the outage scenario needs the provider simulator: it starts a stack of its own (no --attach)');
  if (!/^[A-Za-z_]\w*$/.test(v.database ?? '')) throw new UsageError(`--database takes a plain database name (got ${v.database})`);
  const samplingRate = v['sampling-rate'];
  if (samplingRate !== undefined) {
    if (num('sampling-rate', samplingRate, { exclusive: false }) > 1) throw new UsageError(`--sampling-rate is the fraction of requests traced: from 0 to 1 (got ${samplingRate})`);
    if (v.attach) throw new UsageError('--sampling-rate sets the sidecars of the stack the bench starts; with --attach, change components/local/config.yaml and restart');
  }

  if (v.attach && (v['no-mtls'] || v['no-tokens'])) throw new UsageError('--no-mtls and --no-tokens set the stack the bench starts; an attached stack runs as it was started');

  return {
    scenario,
    plan,
    concurrency: num('concurrency', v.concurrency, { integer: true }),
    warmup: num('warmup', v.warmup, { integer: true, exclusive: false }),
    drainTimeoutMs: num('drain-timeout', v['drain-timeout']) * 1000,
    ...(v.json ? { json: v.json } : {}),
    ...(v.html ? { html: v.html } : {}),
    profile: v.profile ?? false,
    ...(v['profile-seconds'] ? { profileSeconds: num('profile-seconds', v['profile-seconds'], { integer: true }) } : {}),
    appEnv: pairs('env', v.env ?? [], (s) => s),
    replicas: pairs('replicas', v.replicas ?? [], (s) => num('replicas', s, { integer: true })),
    ...(samplingRate !== undefined ? { samplingRate: String(Number(samplingRate)) } : {}),
    mtls: !(v['no-mtls'] ?? false),
    tokens: !(v['no-tokens'] ?? false),
    attach: v.attach ?? false,
    url: v.url ?? '',
    key: v.key ?? '',
    redisUrl: v['redis-url'] ?? '',
    database: v.database ?? '',
    rampRules: { ...DEFAULT_RAMP_RULES, latencyBoundMs: num('latency-bound-ms', v['latency-bound-ms']) },
    earlyStop: !(v['keep-going'] ?? false),
    outageProviders,
    providerLimit: num('provider-limit', v['provider-limit'], { integer: true, exclusive: false }),
    simLatencyMs: num('sim-latency-ms', v['sim-latency-ms'], { integer: true, exclusive: false }),
    raw: { ...v },
  };
}

function pairs<T>(name: string, items: string[], value: (s: string) => T): Record<string, T> {
  const out: Record<string, T> = {};
  for (const item of items) {
    const i = item.indexOf('=');
    if (i < 1) throw new UsageError(`--${name} takes KEY=VALUE (got ${item})`);
    out[item.slice(0, i)] = value(item.slice(i + 1));
  }
  return out;
}

export class UsageError extends Error {
  readonly code = 'usage';
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}
