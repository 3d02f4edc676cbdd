// The Kubernetes files `npm run components` makes (test/tools/components.ts calls madeK8sFiles):
// the channel apps' base manifests from one template, and each region's overlay from the same
// local files the region folders are made from, with the region's cloud addresses
// (components/regions.json, `kubernetes`). Nothing here is written by hand twice: a change to a
// local component reaches every overlay when the command runs, and a unit test fails until it has.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { withComponentSetting } from '../harness/stack.js';
import { ROOT } from '../harness/root.js';

/** What a region's overlay names: its own managed services, identity and public address. */
export interface KubernetesRegion {
  /** The region's Azure Database for PostgreSQL server (the store of record). */
  postgresHost: string;
  /** The PostgreSQL role of the region's workload identity (Microsoft Entra ID: no password). */
  postgresUser: string;
  /** The region's Azure Cache for Redis, host:port (TLS). */
  redisHost: string;
  /** The region's Azure Key Vault: the apps' secrets (key-encryption keys, API keys, providers). */
  keyVault: string;
  /** The client id of the region's user-assigned identity, federated with the `herald` service account. */
  identityClientId: string;
  /** Intake's public URL: where another region's 421 sends a caller. */
  publicUrl: string;
  /** The daily volume and the peak per second `npm run capacity -- --k8s` sizes the overlay for. */
  daily: number;
  peak: number;
}

export interface KubernetesDirectory {
  /** The customer directory's server, the one store every region shares. */
  postgresHost: string;
  database: string;
}

/** The channel apps and their ports, as the local run file (dapr.yaml) gives them. */
export const CHANNELS = [
  { channel: 'email', port: 3002 },
  { channel: 'sms', port: 3003 },
  { channel: 'push', port: 3004 },
] as const;

const LOCAL_PG = 'host=127.0.0.1 port=5432 user=postgres database=herald sslmode=disable';
const LOCAL_AMQP = 'amqp://guest:guest@127.0.0.1:5672';
/** The Zipkin endpoint of the cluster's trace collector (an OpenTelemetry collector or Jaeger in `observability`). */
const CLUSTER_ZIPKIN = 'http://otel-collector.observability.svc.cluster.local:9411/api/v2/spans';

/** The channel apps' base files, from k8s/templates/channel.yaml. */
export function channelBaseFiles(root = ROOT): Map<string, string> {
  const template = readFileSync(join(root, 'k8s/templates/channel.yaml'), 'utf8');
  const body = template.replace(/^(#.*\n)+/, '');
  const files = new Map<string, string>();
  for (const { channel, port } of CHANNELS) {
    const header = `# The ${channel} channel app, made by \`npm run components\` from k8s/templates/channel.yaml: edit that file.\n`;
    files.set(`k8s/base/channel-${channel}.yaml`, header + body.replaceAll('CHANNEL', channel).replaceAll('PORT', String(port)));
  }
  return files;
}

/** `entry`'s lines (one metadata entry or several) at `indent`, as a component's metadata list holds them. */
function atIndent(entry: string, indent: string): string {
  return entry.split('\n').filter((line) => line !== '').map((line) => `${indent}${line}\n`).join('');
}

/** Inserts `entry` (metadata lines, indented as the others) after the entry named `after` in every matching component. */
function addAfter(yaml: string, after: string, entry: string): string {
  const re = new RegExp(`\\n([ \\t]*)- name: ${after}\\n\\s*value: [^\\n]*\\n`, 'g');
  return yaml.replace(re, (whole: string, indent: string) => whole + atIndent(entry, indent));
}

/** A `secretKeyRef` entry: Dapr on Kubernetes reads it from the Kubernetes secret of that name. */
function secretEntry(name: string, secret: string, key: string): string {
  return `- name: ${name}\n  secretKeyRef:\n    name: ${secret}\n    key: ${key}\n`;
}

/**
 * A local component file as region `name`'s cluster runs it: PostgreSQL on the region's server
 * signed in with its workload identity, Redis on its managed cache over TLS, RabbitMQ from a
 * Kubernetes secret, the secrets in its key vault. Everything else (tables, timeouts, scopes,
 * lanes, resiliency) is the local file's, unchanged.
 */
export function k8sResource(file: string, text: string, name: string, k: KubernetesRegion, directory: KubernetesDirectory): string {
  let out = text;
  const pg = file === 'homes.yaml' ? `host=${directory.postgresHost} port=5432 user=${k.postgresUser} database=${directory.database} sslmode=require` : `host=${k.postgresHost} port=5432 user=${k.postgresUser} database=herald sslmode=require`;
  if (out.includes(LOCAL_PG)) {
    out = out.replaceAll(`"${LOCAL_PG}"`, `"${pg}"`);
    // No password anywhere: Dapr asks Microsoft Entra ID for a token as the pod's identity.
    out = addAfter(out, 'connectionString', '- name: useAzureAD\n  value: "true"\n');
  }
  if (/- name: redisHost\n/.test(out)) {
    out = withComponentSetting(out, 'redisHost', k.redisHost);
    out = addAfter(out, 'redisHost', `- name: enableTLS\n  value: "true"\n${secretEntry('redisPassword', 'herald-redis', 'password')}`);
  }
  if (out.includes(LOCAL_AMQP)) {
    // The broker runs in the region's cluster; its address and password are a Kubernetes secret.
    out = out.replace(new RegExp(`\\n([ \\t]*)- name: connectionString\\n\\s*value: ${LOCAL_AMQP}\\n`, 'g'), (_m, indent: string) => `\n${atIndent(secretEntry('connectionString', 'herald-rabbitmq', 'url'), indent)}`);
  }
  if (/type: secretstores\.local\.env/.test(out)) {
    out = out
      .replace(/^(#.*\n)+/, "# The region's secrets (key-encryption keys, API keys, the providers' credentials) in its Azure\n# Key Vault, read as the pods' workload identity. config.yaml limits which secrets may be read.\n")
      .replace(/type: secretstores\.local\.env/, 'type: secretstores.azure.keyvault')
      .replace(/(\n\s*metadata:\n)\s*- name: prefix\n\s*value: HERALD_\n/, `$1    - name: vaultName\n      value: ${k.keyVault}\n    - name: azureClientId\n      value: "${k.identityClientId}"\n`);
  }
  const settings = out.split('\n').filter((line) => !/^\s*#/.test(line)).join('\n');
  for (const what of ['127.0.0.1', 'secretstores.local']) {
    if (settings.includes(what)) throw new Error(`components/local/resources/${file}: a local ${what} the Kubernetes overlay does not know how to replace`);
  }
  const header = `# Region ${name} on Kubernetes: made by \`npm run components\` from components/local/resources/${file}\n# with the region's cluster addresses (components/regions.json, kubernetes). Edit those, and run it again.\n`;
  return header + out;
}

/**
 * The region's sidecar configuration on Kubernetes: the local one with the cluster's trace
 * collector, a production sampling rate, and the secrets under their Key Vault names.
 */
export function k8sConfig(config: string, name: string, configName: string): string {
  let out = config.replace(/(\n  tracing:\n    samplingRate: )"[^"]*"/, '$1"0.01"').replace(/(endpointAddress: )\S+/, `$1${CLUSTER_ZIPKIN}`);
  out = out.replace(/(\nmetadata:\n  name: )\S+/, `$1${configName}`);
  // On Kubernetes mTLS is the control plane's (the `daprsystem` configuration Dapr's Helm chart
  // installs, on by default); an app's configuration may not set it without naming sentry.
  out = out.replace(/\n((?:  #.*\n)*)  mtls:\n(?:    .*\n)+/, '\n  # mTLS: on Kubernetes, Dapr\'s own `daprsystem` configuration (its Helm chart turns it on).\n');
  // Key Vault allows no underscore in a secret's name: the apps ask for KEY-ENCRYPTION-KEYS (SECRET_NAME_STYLE=dashes).
  out = out.replace(/(allowedSecrets:\n)((?:\s+- [A-Z_]+\n)+)/, (_m, head: string, list: string) => head + list.replaceAll('_', '-'));
  if (!out.includes(CLUSTER_ZIPKIN) || !out.includes('KEY-ENCRYPTION-KEYS') || !out.includes(`name: ${configName}\n`) || /\n  mtls:/.test(out)) {
    throw new Error('components/local/config.yaml: no tracing endpoint, allowed secrets, name or mtls section to change for the Kubernetes overlay');
  }
  return `# Region ${name} on Kubernetes (Dapr Configuration \`${configName}\`): made by \`npm run components\` from\n# components/local/config.yaml, with 1% of requests traced to the cluster's collector. Edit that file.\n${out}`;
}

/** The overlay's kustomization: the base, the region's Dapr resources, its settings and its sizes. */
export function kustomization(name: string, k: KubernetesRegion, regionUrls: Record<string, string>, resources: string[]): string {
  const lines = [
    `# Region ${name}: \`kubectl apply -k k8s/overlays/${name}\`. Made by \`npm run components\` from`,
    '# components/regions.json; capacity.yaml by `npm run capacity -- --k8s write`.',
    'apiVersion: kustomize.config.k8s.io/v1beta1',
    'kind: Kustomization',
    'namespace: herald',
    "# The Dapr resources before the apps: sentry refuses a sidecar whose configuration is not there",
    '# yet, and daprd loads its components once, at start.',
    'sortOptions:',
    '  order: legacy',
    '  legacySortOptions:',
    '    orderFirst: [Namespace, ServiceAccount, Secret, ConfigMap, Configuration, Component, Resiliency, Service]',
    '    orderLast: [PodDisruptionBudget, HorizontalPodAutoscaler, TriggerAuthentication, ScaledObject]',
    'resources:',
    '  - ../../base',
    ...resources.map((r) => `  - ${r}`),
    '# What every app reads from its environment in this region.',
    'configMapGenerator:',
    '  - name: herald-region',
    '    literals:',
    `      - REGION=${name}`,
    `      - REGIONS=${JSON.stringify(regionUrls)}`,
    `      - PUBLIC_BASE_URL=${k.publicUrl}`,
    '      # The pod network: the kubelet probes the apps on the pod address.',
    '      - APP_HOST=0.0.0.0',
    '      - SECRET_NAME_STYLE=dashes',
    '      - LOG_LEVEL=info',
    '      - HISTORY_RETENTION_DAYS=90',
    "      # The apps' own spans go where the sidecars' go, new traces at the sidecars' rate (config.yaml).",
    `      - ZIPKIN_ENDPOINT=${CLUSTER_ZIPKIN}`,
    '      - TRACE_SAMPLING_RATE=0.01',
    'patches:',
    '  - path: region.yaml',
    '  - path: capacity.yaml',
    '  # The lanes live in the region\'s Redis: KEDA reads their backlog there.',
    ...[0, 1].flatMap((i) => [
      '  - target:',
      '      kind: ScaledObject',
      '      name: dispatcher',
      '    patch: |-',
      '      - op: replace',
      `        path: /spec/triggers/${i}/metadata/address`,
      `        value: ${k.redisHost}`,
    ]),
    'images:',
    '  - name: herald',
    `    newTag: "${HERALD_VERSION}"`,
  ];
  return `${lines.join('\n')}\n`;
}

/** The version the image is tagged with: the repository's own (package.json). */
export const HERALD_VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

/**
 * The overlay's patch for what only the region knows: the identity the pods run as (its
 * federated client id on the service account, and the label that has the workload identity
 * webhook give every container of the pod, daprd included, its token).
 */
export function regionPatch(name: string, k: KubernetesRegion, apps: readonly string[]): string {
  const docs = [
    [
      `# Region ${name}: made by \`npm run components\` from components/regions.json. The pods run as the`,
      "# region's workload identity, which reads its key vault and signs in to its PostgreSQL.",
      'apiVersion: v1',
      'kind: ServiceAccount',
      'metadata:',
      '  name: herald',
      '  annotations:',
      `    azure.workload.identity/client-id: "${k.identityClientId}"`,
    ],
    ...apps.map((app) => [
      'apiVersion: apps/v1',
      'kind: Deployment',
      'metadata:',
      `  name: ${app}`,
      'spec:',
      '  template:',
      '    metadata:',
      '      labels:',
      '        azure.workload.identity/use: "true"',
    ]),
  ];
  return `${docs.map((d) => d.join('\n')).join('\n---\n')}\n`;
}

/** Every app's Deployment, as the base names them. */
const DEPLOYMENTS = ['intake', 'dispatcher', ...CHANNELS.map(({ channel }) => `channel-${channel}`)];

/** Every Kubernetes file `npm run components` makes: path from the root → content. */
export function madeK8sFiles(
  root: string,
  regions: Record<string, { kubernetes: KubernetesRegion }>,
  directory: KubernetesDirectory,
  /** Intake's configuration from the others' (components.ts intakeConfig: its access policy opened). */
  intakeConfig: (config: string, from: string) => string,
): Map<string, string> {
  const files = channelBaseFiles(root);
  const local = join(root, 'components/local');
  const resources = readdirSync(join(local, 'resources')).filter((f) => f.endsWith('.yaml')).sort();
  const config = readFileSync(join(local, 'config.yaml'), 'utf8');
  const urls = Object.fromEntries(Object.entries(regions).map(([r, s]) => [r, s.kubernetes.publicUrl]));
  for (const [name, { kubernetes: k }] of Object.entries(regions)) {
    const dir = `k8s/overlays/${name}`;
    for (const file of resources) files.set(`${dir}/dapr/${file}`, k8sResource(file, readFileSync(join(local, 'resources', file), 'utf8'), name, k, directory));
    files.set(`${dir}/dapr/config.yaml`, k8sConfig(config, name, 'herald'));
    files.set(`${dir}/dapr/config-intake.yaml`, intakeConfig(k8sConfig(config, name, 'herald-intake'), `${dir}/dapr/config.yaml`));
    const daprFiles = [...resources, 'config.yaml', 'config-intake.yaml'].map((f) => `dapr/${f}`);
    files.set(`${dir}/kustomization.yaml`, kustomization(name, k, urls, daprFiles));
    files.set(`${dir}/region.yaml`, regionPatch(name, k, DEPLOYMENTS));
  }
  return files;
}
