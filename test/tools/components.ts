// `npm run components`: makes the region folders (components/<region>/) and intake's sidecar
// configurations from the local stack's files (components/local/) and the regions' addresses
// (components/regions.json), so the three stacks never drift apart: change a local file, run
// this, commit what it wrote. `--check` writes nothing and fails, naming the files, when the
// committed ones are not what it would write (a unit test runs it).
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { withComponentSetting } from '../harness/stack.js';
import { withDatabase } from '../harness/postgres.js';
import { ROOT } from '../harness/root.js';
import { madeK8sFiles, type KubernetesDirectory, type KubernetesRegion } from './k8s-manifests.js';

export interface RegionSpec {
  /** Added to every port of the local stack (apps, sidecars, control plane). */
  portOffset: number;
  /** The region's own Redis (its lanes and operational keys). */
  redisPort: number;
  /** The region's own PostgreSQL database (its store of record). */
  database: string;
  /** The region's own RabbitMQ virtual host (its channel queues). */
  vhost: string;
  /** Intake's base URL: where another region's 421 sends a caller. */
  publicUrl: string;
  /** Names that belong to this region alone: no other region's folder may contain one. */
  markers: string[];
  /** What the region's Kubernetes overlay names (k8s-manifests.ts). */
  kubernetes: KubernetesRegion;
}

export interface Regions {
  /** The customer directory's database, the one store every region shares (homes.yaml). */
  directoryDatabase: string;
  /** The customer directory's server on Kubernetes. */
  kubernetesDirectory: KubernetesDirectory;
  regions: Record<string, RegionSpec>;
}

const LOCAL = 'components/local';
/** The PostgreSQL server as the committed files name it (the tests point their copies elsewhere). */
const LOCAL_PG = { host: '127.0.0.1', port: '5432', user: 'postgres' };
const LOCAL_AMQP = 'amqp://guest:guest@127.0.0.1:5672';

export function readRegions(root = ROOT): Regions {
  return JSON.parse(readFileSync(join(root, 'components/regions.json'), 'utf8')) as Regions;
}

const ALLOW_ALL = /(\n  accessControl:\n    defaultAction: )deny\n/;

/**
 * Intake's sidecar configuration: the others' with one change, its access policy. Any app of the
 * mesh may invoke intake (its API still asks for a tenant's key); nothing may invoke the others.
 */
export function intakeConfig(config: string, from: string): string {
  if (!ALLOW_ALL.test(config)) throw new Error(`${from}: no "accessControl: defaultAction: deny" to open for intake`);
  const header = `# Intake's sidecar configuration, made by \`npm run components\` from ${from}: the same, but any\n# app of the mesh may invoke intake's API (accessControl defaultAction allow). Edit that file.\n`;
  return header + config.replace(ALLOW_ALL, '$1allow\n');
}

/** A local component file as region `name` runs it: its Redis, its database, its virtual host. */
export function regionResource(file: string, text: string, name: string, spec: RegionSpec, regions: Regions): string {
  let out = withComponentSetting(text, 'redisHost', `127.0.0.1:${spec.redisPort}`);
  // The customer directory is the regions' shared store; everything else is the region's own.
  out = withDatabase(out, file === 'homes.yaml' ? regions.directoryDatabase : spec.database, LOCAL_PG);
  out = out.replaceAll(`value: ${LOCAL_AMQP}\n`, `value: ${LOCAL_AMQP}/${spec.vhost}\n`);
  // Any other spelling of the broker's address would keep the default virtual host, shared by every region.
  if (/pubsub\.rabbitmq/.test(out) && !out.includes(`${LOCAL_AMQP}/${spec.vhost}`)) throw new Error(`${LOCAL}/resources/${file}: no broker address to give region ${name}'s virtual host`);
  const header = `# Region ${name}: made by \`npm run components\` from ${LOCAL}/resources/${file} with the region's\n# addresses (components/regions.json). Edit those, and run it again.\n`;
  return header + out;
}

interface RunApp {
  appID: string;
  appPort: number;
  daprHTTPPort: number;
  daprGRPCPort: number;
  metricsPort: number;
  command: string;
}

/** The apps of the local run file (dapr.yaml), with their ports and commands. */
function localApps(root: string): RunApp[] {
  const text = readFileSync(join(root, 'dapr.yaml'), 'utf8');
  return text.split(/\n  - appID: /).slice(1).map((block) => {
    const field = (name: string): string => {
      const m = new RegExp(`\\n\\s+${name}: (.*)`).exec(`\n${block}`);
      if (!m?.[1]) throw new Error(`dapr.yaml: an app without ${name}`);
      return m[1];
    };
    return {
      appID: block.split('\n')[0]!.trim(),
      appPort: Number(field('appPort')),
      daprHTTPPort: Number(field('daprHTTPPort')),
      daprGRPCPort: Number(field('daprGRPCPort')),
      metricsPort: Number(field('metricsPort')),
      command: field('command'),
    };
  });
}

/** Region `name`'s run file: the local one's apps, on the region's ports, with the region's folder and settings. */
export function runFile(root: string, name: string, spec: RegionSpec, regions: Regions): string {
  const o = spec.portOffset;
  const urls = Object.fromEntries(Object.entries(regions.regions).map(([r, s]) => [r, s.publicUrl]));
  const lines = [
    `# Region ${name}'s stack, made by \`npm run components\` from dapr.yaml and components/regions.json:`,
    `# \`npm run start:regions\` runs it beside the other regions' (scripts/start.sh --regions).`,
    'version: 1',
    'common:',
    '  resourcesPath: ./resources',
    `  placementHostAddress: 127.0.0.1:${50005 + o}`,
    '  configFilePath: ./config.yaml',
    '  appProtocol: http',
    '  logLevel: warn',
    '  enableApiLogging: false',
    '  env:',
    `    REGION: ${name}`,
    `    REGIONS: '${JSON.stringify(urls)}'`,
    `    REDIS_URL: redis://127.0.0.1:${spec.redisPort}`,
    `    AMQP_URL: ${LOCAL_AMQP}/${spec.vhost}`,
    `    PUBLIC_BASE_URL: ${spec.publicUrl}`,
    'apps:',
  ];
  for (const app of localApps(root)) {
    lines.push(
      `  - appID: ${app.appID}`,
      `    appDirPath: ../../apps/${app.appID}`,
      ...(app.appID === 'intake' ? [`    configFilePath: ../../components/${name}/config-intake.yaml`] : []),
      `    appPort: ${app.appPort + o}`,
      `    daprHTTPPort: ${app.daprHTTPPort + o}`,
      `    daprGRPCPort: ${app.daprGRPCPort + o}`,
      `    metricsPort: ${app.metricsPort + o}`,
      `    command: ${app.command}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/** Everything `npm run components` writes: path from the root → content. */
export function madeFiles(root = ROOT): Map<string, string> {
  const regions = readRegions(root);
  const files = new Map<string, string>();
  const localConfig = readFileSync(join(root, LOCAL, 'config.yaml'), 'utf8');
  files.set(`${LOCAL}/config-intake.yaml`, intakeConfig(localConfig, `${LOCAL}/config.yaml`));
  const resources = readdirSync(join(root, LOCAL, 'resources')).filter((f) => f.endsWith('.yaml')).sort();
  for (const [name, spec] of Object.entries(regions.regions)) {
    const dir = `components/${name}`;
    const config = `# Region ${name}: made by \`npm run components\` from ${LOCAL}/config.yaml. Edit that file.\n${localConfig}`;
    files.set(`${dir}/config.yaml`, config);
    files.set(`${dir}/config-intake.yaml`, intakeConfig(localConfig, `${LOCAL}/config.yaml`));
    for (const file of resources) {
      files.set(`${dir}/resources/${file}`, regionResource(file, readFileSync(join(root, LOCAL, 'resources', file), 'utf8'), name, spec, regions));
    }
    files.set(`${dir}/dapr.yaml`, runFile(root, name, spec, regions));
  }
  for (const [path, content] of madeK8sFiles(root, regions.regions, regions.kubernetesDirectory, intakeConfig)) files.set(path, content);
  return files;
}

/** The made files whose committed copy differs or is missing, and files in a region's resources it would not make. */
export function staleFiles(root = ROOT): string[] {
  const made = madeFiles(root);
  const differ = [...made].filter(([path, content]) => {
    try {
      return readFileSync(join(root, path), 'utf8') !== content;
    } catch {
      return true;
    }
  }).map(([path]) => path);
  const extra = Object.keys(readRegions(root).regions).flatMap((name) => [`components/${name}/resources`, `k8s/overlays/${name}/dapr`]).flatMap((dir) => {
    let present: string[] = [];
    try {
      present = readdirSync(join(root, dir));
    } catch {
      // not made yet: every file of it is missing above
    }
    return present.map((f) => `${dir}/${f}`).filter((path) => !made.has(path)).map((path) => `${path} (remove it)`);
  });
  return [...differ, ...extra];
}

if (process.argv[1] && import.meta.filename === process.argv[1]) {
  if (process.argv.includes('--check')) {
    const stale = staleFiles();
    if (stale.length > 0) {
      console.error(`not what \`npm run components\` makes (run it, and commit what it writes):\n  ${stale.join('\n  ')}`);
      process.exit(1);
    }
    console.log('components are up to date');
  } else {
    for (const [path, content] of madeFiles()) {
      mkdirSync(dirname(join(ROOT, path)), { recursive: true });
      writeFileSync(join(ROOT, path), content);
      console.log(`wrote ${path}`);
    }
  }
}
