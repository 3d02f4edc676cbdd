// Starts the real Herald stack for integration tests and the benchmark: Dapr placement and
// scheduler, a Redis of its own (append-only, as the lanes need), a PostgreSQL database of its
// own on the machine's server, and one daprd sidecar per app beside the app itself, on ports of
// their own (so a developer's running system is left alone), with queue and topic names unique
// to the run. Everything is started in its own process group and stopped by stopStack.
import amqp from 'amqplib';
import { channelTopic } from '@herald/dapr';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDatabase, dropDatabase, PG, withDatabase, type PgServer } from './postgres.js';
import { createHosts, destroyHosts, FORWARDER, hostsUnavailable, inHost, planHosts, type AppHost, type HostsInfo } from './hosts.js';

export { ROOT } from './root.js';
import { ROOT } from './root.js';

export const APPS = ['intake', 'dispatcher', 'channel-email', 'channel-sms', 'channel-push'] as const;
export type AppName = (typeof APPS)[number];

export interface AppPorts {
  app: number;
  daprHttp: number;
  daprGrpc: number;
  metrics: number;
  internalGrpc: number;
}

/** One running instance of an app (an app and its sidecar), and where it runs. */
export interface InstanceInfo {
  name: string;
  appId: AppName;
  ports: AppPorts;
  /** The app host it runs on (StackOptions.hosts), absent on the machine itself. */
  host?: string;
  /** Where the app and its sidecar answer: 127.0.0.1, or its host's address. */
  address: string;
}

export interface StackInfo {
  runId: string;
  dir: string;
  topicPrefix: string;
  placementPort: number;
  schedulerPort: number;
  apps: Record<AppName, AppPorts>;
  /** API key → tenant, as configured for this run. */
  apiKeys: Record<string, string>;
  /** Every process the stack started, by name (placement, scheduler, <app>, <app>-daprd). */
  processes: Array<{ name: string; pid: number }>;
  /** Every port the stack listens on, to check they are free after stopping. */
  ports: number[];
  /** Prefix of every Redis key the apps write themselves (rate limits, ledger, webhook queue). */
  keyPrefix: string;
  /** The stack's own Redis (lanes and operational keys), started with append-only persistence. */
  redisPort: number;
  /** The stack's own PostgreSQL database (the store of record), dropped by cleanBrokers. */
  database: string;
  /** The PostgreSQL server that holds it: the machine's, unless StackOptions.postgres named another. */
  postgres: PgServer;
  /** How each app and sidecar was started (its own environment on top of the runner's), to restart it. */
  launch: Record<string, { cmd: string; args: string[]; env: Record<string, string> }>;
  /** Where this description is kept (see StackOptions.stateFile). */
  stateFile?: string;
  /** The region it runs as, and its own RabbitMQ virtual host (dropped by cleanBrokers). */
  region?: { name: string; vhost: string };
  fixtures: Record<string, string>;
  /** The provider simulator's port, when it runs. */
  simulatorPort?: number;
  /** Jaeger's UI and query API (`http://127.0.0.1:<port>/api/traces`), when it runs (StackOptions.jaeger). */
  jaegerPort?: number;
  /** Each sidecar's Go profiling (pprof) port by instance name, when started with `profile`. */
  profilePorts?: Record<string, number>;
  /** Each sidecar's Prometheus metrics port by instance name (replicas included). */
  metricsPorts: Record<string, number>;
  /**
   * Each app's Dapr API token (what its sidecar asks of every caller) and app token (what its
   * sidecar shows the app), when the stack runs with them (StackOptions.tokens).
   */
  tokens?: Partial<Record<AppName, { dapr: string; app: string }>>;
  /** Every app instance (the apps, replicas, and each app host's), with where it answers. */
  instances?: InstanceInfo[];
  /** With StackOptions.hosts: the bridge, the app hosts and the forwarded ports (see hosts.ts). */
  hosts?: HostsInfo;
  /** The address of every process (instance, `<instance>-daprd`) that does not answer on 127.0.0.1. */
  addresses?: Record<string, string>;
}

export interface StackOptions {
  portBase?: number;
  logLevel?: string;
  /** Extra environment for every app (not the sidecars). */
  appEnv?: Record<string, string>;
  /** Extra node flags for every app (e.g. --cpu-prof). */
  nodeArgs?: string[];
  /**
   * Where to keep the stack's description, rewritten after every process it starts, so a run
   * killed mid-start still leaves what is needed to stop it (see reapOrphans).
   */
  stateFile?: string;
  /** Secrets for the sidecars' environment secret store (name → value; read as HERALD_<name>). */
  secrets?: Record<string, string>;
  /** Anything the tests need to know about how the stack was set up (kept in StackInfo). */
  fixtures?: Record<string, string>;
  /** Extra instances of an app, each with a sidecar of its own (same app id: competing consumers). */
  replicas?: Partial<Record<AppName, number>>;
  /**
   * Run the provider simulator (apps/provider-sim) and give the channel apps credentials for
   * it, so they use their real SendGrid, Twilio and Notification Hubs adapters against it.
   */
  simulator?: boolean;
  /** Extra environment for the channel apps only. */
  channelEnv?: Record<string, string>;
  /** Start every daprd with its pprof server (`--enable-profiling`), each on a port of its own. */
  profile?: boolean;
  /**
   * The sidecars' tracing `samplingRate` ("0" to "1"), instead of the local configuration's "1":
   * to measure what a production setting (a small fraction) costs.
   */
  tracingSamplingRate?: string;
  /**
   * Run Jaeger (scripts/setup-jaeger.sh, ops/jaeger.yaml) on the stack's trace ports (tracePorts),
   * and have the sidecars and the apps send their spans to it. Without it the apps make no spans,
   * and the sidecars send theirs to the stack's own port, where nothing listens: never to a trace
   * UI on 9411 that `npm start` may be running.
   */
  jaeger?: boolean;
  /**
   * Changes to the run's copy of the components: each `[setting, value]` replaces the value of
   * every `- name: <setting>` in them (e.g. a shorter `processingTimeout`, so a test sees a
   * crashed sidecar's messages claimed again in seconds rather than a minute); `<setting>@<type>`
   * only in components of that type (`connectionString@pubsub.rabbitmq`).
   */
  componentSettings?: Record<string, string>;
  /** Keep the store of record on this PostgreSQL server instead of the machine's (a fault scenario's own). */
  postgres?: PgServer;
  /** Run as one region of several, from its folder components/<name>/ (see RegionOptions). */
  region?: RegionOptions;
  /**
   * Give each app a Dapr API token and an app token of its own, as production runs (true unless
   * told): a sidecar then takes calls only from its app, and the app only from its sidecar.
   */
  tokens?: boolean;
  /**
   * Run the stack's own sentry and mTLS between every sidecar, placement and the scheduler, as
   * production does (true unless told); the access policies of config.yaml then hold.
   */
  mtls?: boolean;
  /**
   * Run as a small cluster on this machine: the control plane, Redis, intake and the provider
   * simulator on the machine itself (the infrastructure host), and the dispatcher and the three
   * channel apps, each with its sidecar, on each of this many app hosts, every host a Linux
   * network namespace with an address of its own on a bridge (hosts.ts). Host 1's instances keep
   * the apps' names (`dispatcher`), host i's are `<app>-h<i>`. Needs root; startStack throws,
   * saying so, when namespaces cannot be made. Not with `replicas` or `region`.
   */
  hosts?: number;
}

/**
 * One region of several: the stack runs from the region's folder (components/<name>/), with a
 * RabbitMQ virtual host of its own, and shares only the customer directory with the others.
 */
export interface RegionOptions {
  name: string;
  /** Every region's intake URL by name (intake's REGIONS). */
  regions: Record<string, string>;
  /** The customer directory's database, shared by the regions (made and dropped by the caller). */
  directoryDatabase: string;
  /** The secret HOME_DIRECTORY_KEY, the same in every region. */
  homeDirectoryKey: string;
}

/** The header a call straight to an app needs, as its sidecar would send it, when the stack runs with tokens. */
export function appHeaders(info: Pick<StackInfo, 'tokens'>, app: AppName): Record<string, string> {
  const token = info.tokens?.[app]?.app;
  return token ? { 'dapr-api-token': token } : {};
}

/** The header a call straight to an app's sidecar needs when the stack runs with tokens. */
export function sidecarHeaders(info: Pick<StackInfo, 'tokens'>, app: AppName): Record<string, string> {
  const token = info.tokens?.[app]?.dapr;
  return token ? { 'dapr-api-token': token } : {};
}

/**
 * Sets `value: "…"` of every component metadata entry named `setting`; with `setting@type`, only
 * in the components (the YAML documents) of that type.
 */
export function withComponentSetting(yaml: string, setting: string, value: string): string {
  const [name, type] = setting.split('@') as [string, string | undefined];
  const entry = new RegExp(`(- name: ${name}\\n\\s*value: )(?:"[^"\\n]*"|[^\\n]*)`, 'g');
  return yaml
    .split(/^---$/m)
    .map((doc) => (type === undefined || new RegExp(`^\\s*type: ${type.replace('.', '\\.')}\\s*$`, 'm').test(doc) ? doc.replace(entry, `$1"${value}"`) : doc))
    .join('---');
}

/** The ports of a stack's Jaeger (StackOptions.jaeger): Zipkin's API, the UI and query API, its gRPC query API. */
export function tracePorts(base: number): { zipkin: number; query: number; grpc: number } {
  return { zipkin: base + 95, query: base + 96, grpc: base + 97 };
}

/**
 * A sidecar configuration of the local stack (`config.yaml`, or intake's `config-intake.yaml`):
 * the run's own copy, its spans going to `endpoint`, with another tracing rate if given.
 */
function runConfig(dir: string, folder: string, file: string, samplingRate: string | undefined, endpoint: string): string {
  const local = join(folder, file);
  let text = readFileSync(local, 'utf8');
  const rate = /^(\s*samplingRate:\s*)"[^"]*"/m;
  if (samplingRate !== undefined) {
    if (!rate.test(text)) throw new Error(`${local}: no tracing samplingRate to change`);
    text = text.replace(rate, `$1"${samplingRate}"`);
  }
  const address = /^(\s*endpointAddress:\s*)\S+/m;
  if (!address.test(text)) throw new Error(`${local}: no zipkin endpointAddress to change`);
  const copy = join(dir, file);
  writeFileSync(copy, text.replace(address, `$1${endpoint}`));
  return copy;
}

/**
 * What a setup script of scripts/ (setup-dapr.sh, setup-k8s.sh, setup-jaeger.sh) exports: it finds
 * or builds its tools and prints shell-quoted `export HERALD_…=…` lines, which the shell reads back
 * here.
 */
export function setupExports(script: string): Record<string, string> {
  const out = execFileSync('bash', ['-c', 'eval "$(bash "$0")" && env -0', join(ROOT, 'scripts', script)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const env: Record<string, string> = {};
  for (const entry of out.split('\0')) {
    const eq = entry.indexOf('=');
    if (entry.startsWith('HERALD_') && eq > 0) env[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return env;
}

/** Jaeger, as scripts/setup-jaeger.sh finds or builds it (minutes, once). */
export function jaegerBinaryPath(): string {
  const { HERALD_JAEGER } = setupExports('setup-jaeger.sh');
  if (!HERALD_JAEGER) throw new Error('setup-jaeger.sh printed no binary');
  return HERALD_JAEGER;
}

/** daprd, placement and scheduler, as scripts/setup-dapr.sh finds or builds them. */
export function daprBinaries(): { daprd: string; placement: string; scheduler: string; sentry: string } {
  const { HERALD_DAPRD, HERALD_PLACEMENT, HERALD_SCHEDULER, HERALD_SENTRY } = setupExports('setup-dapr.sh');
  if (!HERALD_DAPRD || !HERALD_PLACEMENT || !HERALD_SCHEDULER || !HERALD_SENTRY) throw new Error('setup-dapr.sh printed no binaries');
  return { daprd: HERALD_DAPRD, placement: HERALD_PLACEMENT, scheduler: HERALD_SCHEDULER, sentry: HERALD_SENTRY };
}

export function portOpen(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolvePort) => {
    const socket = createConnection({ port, host });
    socket.once('connect', () => {
      socket.destroy();
      resolvePort(true);
    });
    socket.once('error', () => resolvePort(false));
  });
}

/** Polls `check` until it returns a value, or fails with `what` after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs = 30_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  const detail = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${detail}`);
}

export async function startStack(opts: StackOptions = {}): Promise<StackInfo> {
  const bins = daprBinaries();
  // Below Linux's ephemeral range (32768-60999), so no outgoing connection can hold a port first.
  const base = opts.portBase ?? Number(process.env.HERALD_TEST_PORT_BASE ?? 21000);
  const runId = `t${Date.now().toString(36)}${Math.floor(Math.random() * 1296).toString(36)}`;
  // App hosts (StackOptions.hosts): refused here, before anything is made, when they cannot be.
  if (opts.hosts !== undefined) {
    const why = hostsUnavailable();
    if (why) throw new Error(`cannot run the stack on ${opts.hosts} app hosts: ${why}`);
    if (opts.replicas || opts.region) throw new Error('StackOptions.hosts runs without replicas and region');
  }
  const hostsInfo = opts.hosts === undefined ? undefined : planHosts(runId, base, opts.hosts);
  // Where the infrastructure host answers: the bridge's address when there are app hosts.
  const infra = hostsInfo?.address ?? '127.0.0.1';
  const dir = mkdtempSync(join(tmpdir(), `herald-${runId}-`));
  const logDir = join(dir, 'logs');
  mkdirSync(logDir);

  // The run's own copy of the components (its topics, and so its queues, carry the run's prefix).
  // Its own Redis and database: the local components' addresses are replaced by the run's.
  const redisPort = base + 98;
  const database = `herald_${runId}`;
  const postgres = opts.postgres ?? PG;
  const resources = join(dir, 'resources');
  mkdirSync(resources);
  const folder = join(ROOT, 'components', opts.region?.name ?? 'local');
  const srcResources = join(folder, 'resources');
  // A region's own virtual host: its channel queues, and nothing of any other stack's.
  const vhost = opts.region ? `herald-${runId}-${opts.region.name}` : undefined;
  const amqpUrl = `amqp://guest:guest@127.0.0.1:5672${vhost ? `/${vhost}` : ''}`;
  if (vhost) {
    execFileSync('rabbitmqctl', ['-q', 'add_vhost', vhost], { stdio: 'ignore' });
    execFileSync('rabbitmqctl', ['-q', 'set_permissions', '-p', vhost, 'guest', '.*', '.*', '.*'], { stdio: 'ignore' });
  }
  for (const file of readdirSync(srcResources)) {
    let text = readFileSync(join(srcResources, file), 'utf8');
    text = withComponentSetting(text, 'redisHost', `${infra}:${redisPort}`);
    // App hosts reach PostgreSQL and RabbitMQ through the forwarder on the bridge.
    const componentsPg = hostsInfo ? { ...postgres, host: infra, port: String(hostsInfo.forwards.postgres) } : postgres;
    text = withDatabase(text, file === 'homes.yaml' && opts.region ? opts.region.directoryDatabase : database, componentsPg);
    if (vhost) text = withComponentSetting(text, 'connectionString@pubsub.rabbitmq', amqpUrl);
    if (hostsInfo) text = withComponentSetting(text, 'connectionString@pubsub.rabbitmq', `amqp://guest:guest@${infra}:${hostsInfo.forwards.rabbitmq}`);
    for (const [setting, value] of Object.entries(opts.componentSettings ?? {})) text = withComponentSetting(text, setting, value);
    writeFileSync(join(resources, file), text);
  }
  const traced = tracePorts(base);
  const traceEndpoint = `http://127.0.0.1:${traced.zipkin}/api/v2/spans`;
  const jaegerBinary = opts.jaeger ? jaegerBinaryPath() : undefined;
  const configs = {
    intake: runConfig(dir, folder, 'config-intake.yaml', opts.tracingSamplingRate, traceEndpoint),
    other: runConfig(dir, folder, 'config.yaml', opts.tracingSamplingRate, traceEndpoint),
  };

  const apps = Object.fromEntries(
    APPS.map((name, i) => [
      name,
      { app: base + 10 + i, daprHttp: base + 20 + i, daprGrpc: base + 30 + i, metrics: base + 40 + i, internalGrpc: base + 50 + i },
    ]),
  ) as Record<AppName, AppPorts>;
  const placementPort = base + 1;
  const schedulerPort = base + 5;
  const apiKeys = { 'test-key-tenant-a-0123456789': 'tenant-a', 'test-key-tenant-b-0123456789': 'tenant-b' };
  const ports = [placementPort, base + 2, base + 3, base + 4, schedulerPort, base + 6, base + 7, base + 8, base + 9, redisPort];
  // Every app instance: the five apps, then any replicas, each on ports of its own.
  const instances: InstanceInfo[] = APPS.map((name) => ({ name, appId: name, ports: apps[name], address: '127.0.0.1' }));
  for (const [appId, count] of Object.entries(opts.replicas ?? {}) as Array<[AppName, number]>) {
    for (let r = 2; r <= count; r++) {
      const b = base + 100 + instances.length * 5;
      instances.push({ name: `${appId}-r${r}`, appId, ports: { app: b, daprHttp: b + 1, daprGrpc: b + 2, metrics: b + 3, internalGrpc: b + 4 }, address: '127.0.0.1' });
    }
  }
  if (hostsInfo) {
    // Intake stays on the infrastructure host; every app host runs the other four apps.
    instances.splice(1);
    for (const [k, host] of hostsInfo.hosts.entries()) {
      for (const appId of APPS.filter((a) => a !== 'intake')) {
        const b = base + 100 + instances.length * 5;
        const ports = k === 0 ? apps[appId] : { app: b, daprHttp: b + 1, daprGrpc: b + 2, metrics: b + 3, internalGrpc: b + 4 };
        instances.push({ name: k === 0 ? appId : `${appId}-${host.name}`, appId, ports, host: host.name, address: host.address });
      }
    }
    ports.push(hostsInfo.forwards.postgres, hostsInfo.forwards.rabbitmq);
  }
  const hostByName = new Map<string, AppHost>((hostsInfo?.hosts ?? []).map((h) => [h.name, h]));
  for (const { ports: p } of instances) ports.push(p.app, p.daprHttp, p.daprGrpc, p.metrics, p.internalGrpc);
  const simulatorPort = opts.simulator ? base + 99 : undefined;
  if (simulatorPort) ports.push(simulatorPort);
  if (jaegerBinary) ports.push(traced.zipkin, traced.query, traced.grpc);
  const profilePorts = opts.profile ? Object.fromEntries(instances.map(({ name }, i) => [name, base + 60 + i])) : undefined;
  if (profilePorts) ports.push(...Object.values(profilePorts));
  const mtls = opts.mtls === false ? undefined : { dir: join(dir, 'sentry'), address: `${infra}:${base + 90}` };
  if (mtls) ports.push(base + 90, base + 91, base + 92);

  for (const port of ports) {
    if (await portOpen(port)) throw new Error(`port ${port} is in use: is another test stack running? (HERALD_TEST_PORT_BASE moves it)`);
  }

  const info: StackInfo = {
    runId, dir, topicPrefix: `${runId}-`, placementPort, schedulerPort, apps, apiKeys, processes: [], ports,
    keyPrefix: `${runId}:`, redisPort, database, postgres, launch: {}, fixtures: opts.fixtures ?? {}, ...(opts.stateFile ? { stateFile: opts.stateFile } : {}),
    ...(simulatorPort ? { simulatorPort } : {}),
    ...(jaegerBinary ? { jaegerPort: traced.query } : {}),
    ...(profilePorts ? { profilePorts } : {}),
    metricsPorts: Object.fromEntries(instances.map(({ name, ports: p }) => [name, p.metrics])),
    ...(opts.region && vhost ? { region: { name: opts.region.name, vhost } } : {}),
    ...(opts.tokens === false ? {} : { tokens: Object.fromEntries(APPS.map((app) => [app, { dapr: randomBytes(24).toString('hex'), app: randomBytes(24).toString('hex') }])) }),
    instances,
    ...(hostsInfo
      ? {
          hosts: hostsInfo,
          addresses: Object.fromEntries(instances.filter((i) => i.host).flatMap((i) => [[i.name, i.address], [`${i.name}-daprd`, i.address]])),
        }
      : {}),
  };
  const sim = simulatorPort ? `http://${infra}:${simulatorPort}` : undefined;
  // Credentials for the simulator (it checks their shape, not their value).
  const simSecrets: Record<string, string> = sim
    ? {
        SENDGRID_API_KEY: 'SG.simulator', SENDGRID_FROM: 'herald@example.com',
        TWILIO_ACCOUNT_SID: `AC${'0'.repeat(32)}`, TWILIO_AUTH_TOKEN: opts.secrets?.TWILIO_AUTH_TOKEN ?? 'simulator', TWILIO_FROM: '+15005550006',
        AZURE_NH_CONNECTION_STRING: `Endpoint=${sim}/;SharedAccessKeyName=sim;SharedAccessKey=c2lt`, AZURE_NH_HUB_NAME: 'herald',
      }
    : {};
  const channelEnv: Record<string, string> = { ...(sim ? { SENDGRID_BASE_URL: sim, TWILIO_BASE_URL: sim } : {}), ...opts.channelEnv };
  const secretEnv = Object.fromEntries(Object.entries({ ...simSecrets, ...opts.secrets }).map(([k, v]) => [`HERALD_${k}`, v]));
  const sidecarOwnEnv: Record<string, string> = {
    HERALD_NOTIFICATION_ID_KEY: randomBytes(32).toString('hex'),
    // Each stack its own key-encryption key (what `npm start` makes once, in a file).
    HERALD_KEY_ENCRYPTION_KEYS: keyRingSecret({ k1: randomBytes(32) }, 'k1'),
    ...secretEnv,
    HERALD_API_KEYS: JSON.stringify(apiKeys),
    ...(opts.region ? { HERALD_HOME_DIRECTORY_KEY: opts.region.homeDirectoryKey } : {}),
  };
  const sidecarEnv = (): NodeJS.ProcessEnv => ({ ...process.env, ...sidecarOwnEnv });
  const start = (name: string, cmd: string, args: string[], env: NodeJS.ProcessEnv): ChildProcess => spawnLogged(info, name, cmd, args, env);

  try {
    if (hostsInfo) {
      // Before anything listens on the bridge; the state file names them first, so a run killed
      // from here on still has them removed (reapOrphans).
      if (info.stateFile) writeFileSync(info.stateFile, JSON.stringify(info));
      createHosts(hostsInfo);
      // The machine's PostgreSQL and RabbitMQ (and the simulator) listen on loopback only: the
      // app hosts reach them through this, on the bridge's address.
      const forwards = [
        `${hostsInfo.forwards.postgres}=${postgres.host}:${postgres.port}`,
        `${hostsInfo.forwards.rabbitmq}=127.0.0.1:5672`,
        ...(simulatorPort ? [`${simulatorPort}=127.0.0.1:${simulatorPort}`] : []),
      ];
      info.launch.forwarder = { cmd: process.execPath, env: {}, args: ['--input-type=commonjs', '-e', FORWARDER, infra, ...forwards] };
      start('forwarder', process.execPath, info.launch.forwarder.args, process.env);
      for (const port of [hostsInfo.forwards.postgres, hostsInfo.forwards.rabbitmq]) {
        await waitFor(`the forwarder on ${infra}:${port}`, async () => ((await portOpen(port, infra)) ? true : undefined), 15_000);
      }
    }
    // The stack's certificate authority: sentry makes its CA in the run's folder on first start,
    // and every sidecar, placement and the scheduler get their certificates from it.
    if (mtls) {
      mkdirSync(mtls.dir);
      info.launch.sentry = { cmd: bins.sentry, env: {}, args: [
        '--config', configs.other, '--issuer-credentials', mtls.dir, '--trust-domain', 'localhost', '--listen-address', infra,
        '--port', String(base + 90), '--healthz-port', String(base + 91), '--metrics-port', String(base + 92), '--log-level', 'warn',
      ] };
      start('sentry', bins.sentry, info.launch.sentry.args, process.env);
      await waitFor('sentry', async () => ((await fetch(`http://127.0.0.1:${base + 91}/healthz`).catch(() => undefined))?.ok ? true : undefined), 30_000);
      sidecarOwnEnv.DAPR_TRUST_ANCHORS = readFileSync(join(mtls.dir, 'ca.crt'), 'utf8');
    }
    const tls = mtls ? ['--tls-enabled', '--trust-anchors-file', join(mtls.dir, 'ca.crt'), '--trust-domain', 'localhost', '--sentry-address', mtls.address] : [];
    info.launch.placement = { cmd: bins.placement, env: {}, args: [
      '--port', String(placementPort), '--healthz-port', String(base + 2), '--metrics-port', String(base + 3),
      '--initial-cluster', `dapr-placement-0=127.0.0.1:${base + 4}`, '--log-level', 'warn', ...tls,
      // Its tables on its healthz port (GET /placement/state): which host has which actors.
      ...(hostsInfo ? ['--metadata-enabled'] : []),
    ] };
    // The address the scheduler tells the sidecars to reach it on: the bridge's, with app hosts.
    info.launch.scheduler = { cmd: bins.scheduler, env: hostsInfo ? { DAPR_HOST_IP: infra } : {}, args: [
      '--port', String(schedulerPort), '--healthz-port', String(base + 6), '--metrics-port', String(base + 7),
      '--etcd-client-port', String(base + 8), '--etcd-initial-cluster', `dapr-scheduler-server-0=http://localhost:${base + 9}`,
      '--etcd-data-dir', join(dir, 'scheduler-data'), '--log-level', 'warn', ...tls,
      // Where it keeps its certificate: one folder a start under it, so the run's own.
      ...(mtls ? ['--identity-directory-write', join(dir, 'scheduler-identity')] : []),
    ] };
    for (const name of ['placement', 'scheduler']) start(name, bins[name as 'placement'], info.launch[name]!.args, { ...process.env, ...info.launch[name]!.env });
    // Append-only, fsync every second: what the local start command runs (scripts/start.sh).
    mkdirSync(join(dir, 'redis'));
    info.launch.redis = { cmd: 'redis-server', env: {}, args: [
      '--port', String(redisPort), '--bind', '127.0.0.1', ...(hostsInfo ? [infra, '--protected-mode', 'no'] : []), '--dir', join(dir, 'redis'), '--appendonly', 'yes', '--appendfsync', 'everysec', '--save', '',
    ] };
    start('redis', 'redis-server', info.launch.redis.args, process.env);
    createDatabase(database, postgres);
    await waitFor('placement', async () => ((await portOpen(placementPort)) ? true : undefined), 30_000);
    await waitFor('scheduler', async () => ((await portOpen(schedulerPort)) ? true : undefined), 60_000);
    await waitFor('redis', async () => ((await portOpen(redisPort)) ? true : undefined), 30_000);

    if (jaegerBinary) {
      // Before the sidecars and the apps: their first spans have somewhere to go.
      info.launch.jaeger = { cmd: jaegerBinary, args: ['--config', join(ROOT, 'ops', 'jaeger.yaml')], env: {
        HERALD_JAEGER_ZIPKIN_PORT: String(traced.zipkin), HERALD_JAEGER_UI_PORT: String(traced.query), HERALD_JAEGER_GRPC_PORT: String(traced.grpc),
        HERALD_JAEGER_MAX_TRACES: '2000', HERALD_JAEGER_LOG_LEVEL: 'warn',
        // Its pages: Herald's trace viewer, as `npm start` serves it, unless another folder is named.
        HERALD_JAEGER_UI_ASSETS: process.env.HERALD_JAEGER_UI_ASSETS || join(ROOT, 'ops', 'trace-ui'),
      } };
      start('jaeger', jaegerBinary, info.launch.jaeger.args, { ...process.env, ...info.launch.jaeger.env });
      await waitFor('jaeger', async () => ((await fetch(`http://127.0.0.1:${traced.query}/api/services`).catch(() => undefined))?.ok ? true : undefined), 30_000);
    }
    if (simulatorPort) {
      start('provider-sim', process.execPath, [join(ROOT, 'apps/provider-sim/dist/main.js')], { ...process.env, PORT: String(simulatorPort) });
    }
    for (const { name, appId, ports: p, host: hostName } of instances) {
      const host = hostName ? hostByName.get(hostName) : undefined;
      // On an app host: run inside its namespace; the sidecar registers the host's address with placement.
      const where = (cmd: string, args: string[]) => (host ? inHost(host, cmd, args) : { cmd, args });
      const hostEnv: Record<string, string> = hostsInfo ? { DAPR_HOST_IP: host?.address ?? infra } : {};
      const daprdArgs = [
        '--app-id', appId, '--app-port', String(p.app), '--app-protocol', 'http',
        '--dapr-http-port', String(p.daprHttp), '--dapr-grpc-port', String(p.daprGrpc),
        '--dapr-internal-grpc-port', String(p.internalGrpc), '--metrics-port', String(p.metrics),
        '--placement-host-address', `${infra}:${placementPort}`, '--scheduler-host-address', `${infra}:${schedulerPort}`,
        '--resources-path', resources, '--config', appId === 'intake' ? configs.intake : configs.other, '--log-level', 'info',
        ...(mtls ? ['--enable-mtls', '--sentry-address', mtls.address] : []),
        ...(profilePorts ? ['--enable-profiling', '--profile-port', String(profilePorts[name])] : []),
      ];
      const tokens = info.tokens?.[appId];
      const tokenEnv: Record<string, string> = tokens ? { DAPR_API_TOKEN: tokens.dapr, APP_API_TOKEN: tokens.app } : {};
      const daprd = where(bins.daprd, daprdArgs);
      info.launch[`${name}-daprd`] = { cmd: daprd.cmd, args: daprd.args, env: { ...sidecarOwnEnv, ...tokenEnv, ...hostEnv } };
      start(`${name}-daprd`, daprd.cmd, daprd.args, { ...sidecarEnv(), ...tokenEnv, ...hostEnv });
      const launch = {
        args: ['--enable-source-maps', ...(opts.nodeArgs ?? []), join(ROOT, 'apps', appId, 'dist/main.js')],
        env: {
          ...opts.appEnv,
          ...(appId.startsWith('channel-') ? channelEnv : {}),
          APP_PORT: String(p.app),
          DAPR_HTTP_PORT: String(p.daprHttp),
          TOPIC_PREFIX: info.topicPrefix,
          KEY_PREFIX: info.keyPrefix,
          REDIS_URL: `redis://${infra}:${redisPort}`,
          // On an app host: reachable from the machine too (the sandbox's record, the tests' checks).
          ...(host ? { APP_HOST: '0.0.0.0' } : {}),
          PUBLIC_BASE_URL: `http://127.0.0.1:${apps.intake.app}`,
          // Where intake reads the queues' depth: the region's virtual host (a test's own broker may say otherwise).
          AMQP_URL: opts.appEnv?.AMQP_URL ?? amqpUrl,
          ...(opts.region ? { REGION: opts.region.name, REGIONS: JSON.stringify(opts.region.regions) } : {}),
          LOG_LEVEL: opts.logLevel ?? 'warn',
          ...(opts.jaeger ? { ZIPKIN_ENDPOINT: traceEndpoint, ...(opts.tracingSamplingRate ? { TRACE_SAMPLING_RATE: opts.tracingSamplingRate } : {}) } : {}),
          ...tokenEnv,
        },
      };
      const app = where(process.execPath, launch.args);
      info.launch[name] = { cmd: app.cmd, args: app.args, env: launch.env };
      start(name, app.cmd, app.args, { ...process.env, ...launch.env });
    }

    // Ready when every sidecar reports healthy (components loaded, app reachable).
    for (const { name } of instances) await waitSidecarHealthy(info, name, 90_000);
    if (simulatorPort) await waitFor('provider simulator', async () => ((await portOpen(simulatorPort)) ? true : undefined), 30_000);
    await waitFor('intake listening', async () => ((await portOpen(apps.intake.app)) ? true : undefined), 30_000);
    // Ready to accept once every channel's lane queues are declared by its subscription: intake
    // refuses a channel whose queue is not (the broker would drop its dispatch).
    await waitFor('channel queues declared', () => everyQueueDeclared(info), 60_000, 200);
    return info;
  } catch (err) {
    const logs = tailLogs(logDir);
    await stopStack(info, { keepLogs: true });
    try {
      dropDatabase(database, postgres);
    } catch {
      // never made, or its server is the one that failed
    }
    throw new Error(`${err instanceof Error ? err.message : String(err)}\nlogs kept in ${logDir}:\n${logs}`);
  }
}

/** True once intake's admission shows no lane missing a channel queue. */
async function everyQueueDeclared(info: StackInfo): Promise<true | undefined> {
  const key = Object.keys(info.apiKeys)[0] ?? '';
  const res = await fetch(`http://127.0.0.1:${info.apps.intake.app}/v1/admission`, { headers: { authorization: `Bearer ${key}` } }).catch(() => undefined);
  if (!res?.ok) return undefined;
  const body = (await res.json()) as { lanes: Record<string, { channelsWithoutQueue?: string[] }> };
  return Object.values(body.lanes).every((lane) => !lane.channelsWithoutQueue?.length) ? true : undefined;
}

/** Starts one process of the stack in its own process group, logging to <dir>/logs/<name>.log. */
function spawnLogged(info: StackInfo, name: string, cmd: string, args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  // The child writes to the file itself: it outlives nothing of ours (a test that restarts an
  // app exits long before the stack stops).
  const fd = openSync(join(info.dir, 'logs', `${name}.log`), 'a');
  const child = spawn(cmd, args, { cwd: ROOT, env, detached: true, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  if (child.pid) {
    info.processes = [...info.processes.filter((p) => p.name !== name), { name, pid: child.pid }];
  }
  if (info.stateFile) writeFileSync(info.stateFile, JSON.stringify(info));
  return child;
}

/**
 * Kills an app the hard way (SIGKILL: no shutdown hooks, as in a crash) and starts it again
 * as it was started. Its sidecar keeps running. Resolves when the new process listens.
 */
export async function restartApp(info: StackInfo, name: AppName): Promise<void> {
  await killInstance(info, name);
  await startInstance(info, name);
}

/** Kills one process of the stack (an app instance, or `<instance>-daprd`) with SIGKILL, as a crash would. */
export async function killInstance(info: StackInfo, name: string): Promise<void> {
  const old = info.processes.find((p) => p.name === name);
  if (!old) throw new Error(`${name} is not part of this stack`);
  try {
    process.kill(-old.pid, 'SIGKILL');
  } catch {
    // already gone
  }
  await waitFor(`${name} to die`, () => (alive(old.pid) ? undefined : true), 10_000, 50);
  const port = listenPort(info, name);
  await waitFor(`${name} port to close`, async () => ((await portOpen(port, addressOf(info, name))) ? undefined : true), 10_000, 50);
}

/**
 * Starts one process of the stack again as it was first started (after killInstance); resolves
 * when it listens (a sidecar: when it reports healthy, which needs its app).
 */
export async function startInstance(info: StackInfo, name: string): Promise<void> {
  const launch = info.launch[name];
  if (!launch) throw new Error(`${name} is not part of this stack`);
  const child = spawnLogged(info, name, launch.cmd, launch.args, { ...process.env, ...launch.env });
  child.unref();
  const port = listenPort(info, name);
  await waitFor(`${name} to listen again`, async () => ((await portOpen(port, addressOf(info, name))) ? true : undefined), 30_000, 100);
}

/** The secret KEY_ENCRYPTION_KEYS for these keys (version → 32 bytes), `primary` wrapping new data keys. */
export function keyRingSecret(keys: Record<string, Buffer>, primary: string): string {
  return JSON.stringify({ primary, keys: Object.fromEntries(Object.entries(keys).map(([v, k]) => [v, k.toString('base64')])) });
}

/** Waits until the sidecar of an app instance reports healthy (components loaded, its app reachable). */
export async function waitSidecarHealthy(info: StackInfo, instance: string, timeoutMs = 60_000): Promise<void> {
  const port = listenPort(info, `${instance}-daprd`);
  const token = info.launch[`${instance}-daprd`]?.env.DAPR_API_TOKEN;
  await waitFor(`${instance} sidecar healthy`, async () => {
    const res = await fetch(`http://${addressOf(info, `${instance}-daprd`)}:${port}/v1.0/healthz`, { signal: AbortSignal.timeout(1000), headers: token ? { 'dapr-api-token': token } : {} });
    return res.status === 204 ? true : undefined;
  }, timeoutMs, 250);
}

/** Where a process of the stack answers: 127.0.0.1, or the address of the app host it runs on. */
export function addressOf(info: Pick<StackInfo, 'addresses'>, name: string): string {
  return info.addresses?.[name] ?? '127.0.0.1';
}

/** The port an instance answers on: an app's own, a sidecar's HTTP port, placement's or the scheduler's. */
export function listenPort(info: StackInfo, name: string): number {
  const launch = info.launch[name];
  const flag = ['--dapr-http-port', '--port'].find((f) => launch?.args.includes(f));
  const port = Number(launch?.env.APP_PORT ?? (flag ? launch?.args[launch.args.indexOf(flag) + 1] : undefined));
  if (!Number.isInteger(port)) throw new Error(`no port known for ${name}`);
  return port;
}

function tailLogs(logDir: string): string {
  return readdirSync(logDir)
    .map((f) => `--- ${f}\n${readFileSync(join(logDir, f), 'utf8').split('\n').slice(-8).join('\n')}`)
    .join('\n');
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Stops every process the stack started (apps first, then sidecars, then the control plane). */
export async function stopStack(info: StackInfo, { keepLogs = false } = {}): Promise<void> {
  const pids = info.processes.map((p) => p.pid);
  const signalAll = (sig: NodeJS.Signals) => {
    for (const pid of [...pids].reverse()) {
      try {
        process.kill(-pid, sig); // the whole process group
      } catch {
        // already gone
      }
    }
  };
  signalAll('SIGTERM');
  try {
    try {
      await waitFor('stack processes to exit', () => (pids.some(alive) ? undefined : true), 10_000, 100);
    } catch {
      signalAll('SIGKILL');
      await waitFor('stack processes to exit after SIGKILL', () => (pids.some(alive) ? undefined : true), 5_000, 100);
    }
  } finally {
    // The app hosts go too (what is left in them, their namespaces, veths and the bridge).
    if (info.hosts) await destroyHosts(info.hosts);
  }
  if (!keepLogs) rmSync(info.dir, { recursive: true, force: true });
}

/** Removes the run's queues from RabbitMQ and drops its database (after stopStack). */
export async function cleanBrokers(info: StackInfo): Promise<void> {
  // The channels' queues and exchanges (components/local/resources/channel-queues.yaml): one
  // exchange per topic, one queue per (app id, topic).
  if (info.region) {
    // The region's own virtual host holds all its queues and exchanges: it goes whole.
    execFileSync('rabbitmqctl', ['-q', 'delete_vhost', info.region.vhost], { stdio: 'ignore' });
    if (info.database) dropDatabase(info.database, info.postgres);
    return;
  }
  const conn = await amqp.connect('amqp://guest:guest@127.0.0.1:5672');
  try {
    const ch = await conn.createChannel();
    for (const channel of ['email', 'sms', 'push'] as const) {
      for (const lane of ['critical', 'bulk'] as const) {
        const topic = channelTopic(channel, lane, info.topicPrefix);
        await ch.deleteQueue(`channel-${channel}-${topic}`);
        await ch.deleteExchange(topic);
      }
    }
    await ch.close();
  } finally {
    await conn.close();
  }
  // The stack's Redis went with it (stopStack); its database goes now.
  if (info.database) dropDatabase(info.database, info.postgres);
}

const STATE_PREFIX = 'herald-stack-';

/**
 * The state file of a stack owned by process `owner`; `tag` names a second stack of the same
 * process (a test's own beside the shared one), still reaped once the owner is gone.
 */
export function stateFileFor(owner: number = process.pid, tag?: string): string {
  return join(tmpdir(), `${STATE_PREFIX}${owner}${tag ? `-${tag}` : ''}.json`);
}

/** Stops stacks left by runs that died before stopping them (an interrupted test or bench). */
export async function reapOrphans(): Promise<void> {
  for (const file of readdirSync(tmpdir()).filter((f) => f.startsWith(STATE_PREFIX) && f.endsWith('.json'))) {
    const owner = Number(file.slice(STATE_PREFIX.length, -'.json'.length).split('-')[0]);
    if (!Number.isInteger(owner) || alive(owner)) continue;
    const path = join(tmpdir(), file);
    try {
      const info = JSON.parse(readFileSync(path, 'utf8')) as StackInfo;
      await stopStack(info);
      await cleanBrokers(info);
    } catch {
      // half-written or already stopped: nothing more to do
    } finally {
      rmSync(path, { force: true });
    }
  }
}
