import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from '@jest/globals';
import { ROOT } from '../harness/root.js';
import { readRegions } from './components.js';
import { appProblems, foreignNames, objectsOf, type K8sObject } from './k8s-checks.js';
import { checkOverlay, k8sTools, validate, type K8sTools, type OverlayReport } from './k8s.js';
import { k8sOverlays } from '../bench/capacity.js';
import { DEFAULT_ASSUMPTIONS, measuredFrom, plan } from '../bench/capacity-model.js';
import { podSizes } from '../bench/k8s-capacity.js';

// The Kubernetes overlays as kubectl would apply them: rendered by kustomize, every object
// validated against the Kubernetes, Dapr and KEDA schemas, and checked for what a schema cannot
// say. The tools build from the Go module proxy on first use (minutes), then come from the cache.
const { regions } = readRegions();
let tools: K8sTools;
const reports = new Map<string, OverlayReport>();

beforeAll(() => {
  tools = k8sTools();
  for (const region of Object.keys(regions)) reports.set(region, checkOverlay(tools, region));
}, 900_000);

const report = (region: string): OverlayReport => reports.get(region)!;
const find = (objects: K8sObject[], kind: string, name: string): K8sObject => {
  const o = objects.find((x) => x.kind === kind && x.metadata.name === name);
  if (!o) throw new Error(`no ${kind} ${name}`);
  return o;
};
const clone = <T>(v: T): T => structuredClone(v);

describe.each(Object.keys(regions))('the %s overlay', (region) => {
  it('renders, and every object is valid, complete and names nothing of another region', () => {
    const r = report(region);
    console.log(`k8s/overlays/${region}: ${r.objects.length} objects ${JSON.stringify(r.counts)}`);
    expect(r.problems).toEqual([]);
    expect(r.counts).toMatchObject({ Deployment: 5, PodDisruptionBudget: 5, HorizontalPodAutoscaler: 1, ScaledObject: 4, Configuration: 2, Resiliency: 1, NetworkPolicy: 2 });
  });

  it("holds the same Dapr components as the local stack, each pointed at the region's own services", () => {
    const objects = report(region).objects;
    const local = objectsOf(['channel-queues', 'datakeys', 'homes', 'pubsub', 'records', 'resiliency', 'secretstore', 'statestore-sql', 'statestore'].map((f) => readFileSync(join(ROOT, 'components/local/resources', `${f}.yaml`), 'utf8')).join('\n---\n'));
    const names = (list: K8sObject[]) => list.filter((o) => o.kind === 'Component').map((o) => `${o.metadata.name} ${JSON.stringify((o as { scopes?: string[] }).scopes)}`).sort();
    expect(names(objects)).toEqual(names(local));
    const k = regions[region]!.kubernetes;
    const text = JSON.stringify(objects);
    for (const own of [k.postgresHost, k.redisHost, k.keyVault]) expect(text).toContain(own);
    // Every pod's environment says which region it is.
    const settings = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('herald-region'));
    expect(settings?.data).toMatchObject({ REGION: region, PUBLIC_BASE_URL: k.publicUrl, APP_HOST: '0.0.0.0' });
  });

  it('applies the Dapr resources before the apps, and gives every app its own tokens and its identity', () => {
    const objects = report(region).objects;
    const first = (kind: string) => objects.findIndex((o) => o.kind === kind);
    expect(first('Configuration')).toBeLessThan(first('Deployment'));
    expect(first('Component')).toBeLessThan(first('Deployment'));
    for (const d of objects.filter((o) => o.kind === 'Deployment')) {
      const pod = (d.spec as { template: { metadata: { labels: Record<string, string>; annotations: Record<string, string> }; spec: { containers: Array<{ env: Array<{ name: string; valueFrom?: { secretKeyRef?: { name: string } } }> }> } } }).template;
      const secretOf = (name: string) => pod.spec.containers[0]!.env.find((e) => e.name === name)?.valueFrom?.secretKeyRef?.name;
      expect([d.metadata.name, secretOf('DAPR_API_TOKEN')]).toEqual([d.metadata.name, pod.metadata.annotations['dapr.io/api-token-secret']]);
      if (pod.metadata.annotations['dapr.io/app-token-secret']) expect(secretOf('APP_API_TOKEN')).toBe(pod.metadata.annotations['dapr.io/app-token-secret']);
      expect(pod.metadata.labels['azure.workload.identity/use']).toBe('true');
      expect(pod.metadata.annotations['dapr.io/disable-builtin-k8s-secret-store']).toBe('true');
    }
  });

  it("sizes every app as the capacity model does for the region's volume, from the reference bench run", () => {
    const measured = measuredFrom(JSON.parse(readFileSync(join(ROOT, 'test/bench/reference/steady.json'), 'utf8')));
    const { daily, peak } = regions[region]!.kubernetes;
    const objects = report(region).objects;
    for (const size of podSizes(plan(measured, daily, peak, DEFAULT_ASSUMPTIONS), DEFAULT_ASSUMPTIONS)) {
      const d = find(objects, 'Deployment', size.app) as unknown as {
        spec: { replicas?: number; template: { metadata: { annotations: Record<string, string> }; spec: { containers: Array<{ resources: { requests: { cpu: string } } }> } } };
      };
      const cpu = (text: string) => (text.endsWith('m') ? Number(text.slice(0, -1)) : Number(text) * 1000);
      expect([size.app, cpu(d.spec.template.spec.containers[0]!.resources.requests.cpu), cpu(d.spec.template.metadata.annotations['dapr.io/sidecar-cpu-request']!)]).toEqual([
        size.app, size.appCpuRequest, size.sidecarCpuRequest,
      ]);
      // The autoscaler owns the count: an apply must not reset it.
      expect(d.spec.replicas).toBeUndefined();
      const scaler = objects.find((o) => ['HorizontalPodAutoscaler', 'ScaledObject'].includes(o.kind) && o.metadata.name === size.app)!;
      expect(scaler.spec).toMatchObject(scaler.kind === 'ScaledObject' ? { minReplicaCount: size.minReplicas, maxReplicaCount: size.maxReplicas } : { minReplicas: size.minReplicas, maxReplicas: size.maxReplicas });
    }
  });
});

describe('the overlays, checked', () => {
  it("capacity.yaml is what `npm run capacity -- --k8s write` makes from the reference bench run", () => {
    const bench = join(ROOT, 'test/bench/reference/steady.json');
    expect(k8sOverlays(measuredFrom(JSON.parse(readFileSync(bench, 'utf8'))), bench, DEFAULT_ASSUMPTIONS, 'check')).toEqual([]);
  });

  it('an object that fails its schema is named, with the field', () => {
    const objects = report('eu').objects;
    const deployment = clone(find(objects, 'Deployment', 'dispatcher')) as { spec: Record<string, unknown> };
    deployment.spec.replicas = 'two';
    const component = clone(find(objects, 'Component', 'pubsub')) as { spec: Record<string, unknown> };
    component.spec.typo = true;
    const scaled = clone(find(objects, 'ScaledObject', 'channel-sms')) as { spec: Record<string, unknown> };
    scaled.spec.minReplicaCount = -1;
    const problems = validate(tools, [deployment, component, scaled].map((o) => JSON.stringify(o)).join('\n---\n')).problems;
    expect(problems).toHaveLength(3);
    expect(problems.find((p) => p.startsWith('Deployment dispatcher'))).toMatch(/\/spec\/replicas: got string, want null or integer/);
    expect(problems.find((p) => p.startsWith('Component pubsub'))).toMatch(/typo/);
    expect(problems.find((p) => p.startsWith('ScaledObject channel-sms'))).toMatch(/minReplicaCount/);
  });

  it('an app without limits, probes, a PDB or a pinned image is named, with the field', () => {
    const objects = clone(report('us').objects);
    const sms = find(objects, 'Deployment', 'channel-sms') as unknown as { spec: { template: { spec: { containers: Array<Record<string, unknown>> } } } };
    const container = sms.spec.template.spec.containers[0]!;
    delete (container.resources as { limits?: unknown }).limits;
    delete container.livenessProbe;
    container.image = 'herald:latest';
    const withoutPdb = objects.filter((o) => !(o.kind === 'PodDisruptionBudget' && o.metadata.name === 'intake'));
    expect(appProblems(withoutPdb).sort()).toEqual([
      'Deployment herald/channel-sms: spec.template.spec.containers[channel-sms].resources.limits.cpu is missing',
      'Deployment herald/channel-sms: spec.template.spec.containers[channel-sms].resources.limits.memory is missing',
      'Deployment herald/channel-sms: spec.template.spec.containers[channel-sms].livenessProbe is missing',
      'Deployment herald/channel-sms: spec.template.spec.containers[channel-sms].image "herald:latest" is not pinned by a tag',
      'Deployment herald/intake: no PodDisruptionBudget selects its pods',
    ].sort());
  });

  it("an EU overlay that names a US store is named, with the object and the field", () => {
    const objects = clone(report('eu').objects);
    const statestore = find(objects, 'Component', 'statestore') as unknown as { spec: { metadata: Array<{ name: string; value?: string }> } };
    const cs = statestore.spec.metadata.find((m) => m.name === 'connectionString')!;
    cs.value = cs.value!.replace(regions.eu!.kubernetes.postgresHost, regions.us!.kubernetes.postgresHost);
    const others = Object.entries(regions).filter(([r]) => r !== 'eu').map(([r, s]) => [r, s.markers] as [string, string[]]);
    expect(foreignNames(objects, others)).toEqual(['Component herald/statestore: spec.metadata[connectionString].value names "herald-us" of region us']);
  });
});
