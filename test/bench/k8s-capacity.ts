// What `npm run capacity -- --k8s write|check` puts in a region's overlay (k8s/overlays/<region>/
// capacity.yaml): each app's CPU and memory requests and limits and its autoscaler's bounds, worked out by the capacity model from what a bench run measured per
// notification, for the region's daily volume and peak (components/regions.json). The Deployments
// set no replica count: their autoscaler owns it (an apply would reset it). Arithmetic and
// text only; capacity.ts reads and writes the files.
import type { Assumptions, CapacityPlan } from './capacity-model.js';

/** The apps a region runs, each with the autoscaler that owns its replica count. */
export const K8S_APPS = [
  { app: 'intake', scaler: 'HorizontalPodAutoscaler' },
  { app: 'dispatcher', scaler: 'ScaledObject' },
  { app: 'channel-email', scaler: 'ScaledObject' },
  { app: 'channel-sms', scaler: 'ScaledObject' },
  { app: 'channel-push', scaler: 'ScaledObject' },
] as const;

export interface PodSize {
  app: string;
  /** The autoscaler's bounds: at least minReplicas; at most twice what the peak needs (a backlog drains, a zone can fail). */
  minReplicas: number;
  maxReplicas: number;
  /** CPU in millicores, memory in MiB. */
  appCpuRequest: number;
  appCpuLimit: number;
  sidecarCpuRequest: number;
  sidecarCpuLimit: number;
  appMemoryRequest: number;
  sidecarMemoryRequest: number;
}

/** Up to the next 50 millicores, at least 50. */
export const millicores = (cores: number): number => Math.max(50, Math.ceil((cores * 1000) / 50 - 1e-9) * 50);

/**
 * Each app's pod at peak, from the plan: a replica's request is what it uses at peak divided by
 * the target utilisation, so that an autoscaler aiming at that utilisation holds the planned
 * count. A Node app uses one core at most (its limit); the Go sidecar may burst to twice its
 * request. Memory: the model's memory per pod, 5/8 to the app and 3/8 to the sidecar, limits twice that.
 */
export function podSizes(p: CapacityPlan, a: Assumptions): PodSize[] {
  const memoryMiB = a.memoryGbPerPod * 1024;
  return K8S_APPS.map(({ app }) => {
    const x = p.apps.find((s) => s.app === app);
    if (!x) throw new Error(`the bench result measured no process of ${app}: it cannot size that app`);
    const sidecarCpuRequest = millicores(x.sidecarCores / x.replicas / a.targetUtilization);
    return {
      app,
      minReplicas: a.minReplicas,
      maxReplicas: Math.max(a.minReplicas + 1, 2 * x.replicas),
      appCpuRequest: millicores(x.appCores / x.replicas / a.targetUtilization),
      appCpuLimit: 1000,
      sidecarCpuRequest,
      sidecarCpuLimit: Math.max(1000, Math.ceil((2 * sidecarCpuRequest) / 1000) * 1000),
      appMemoryRequest: Math.round((memoryMiB * 5) / 8),
      sidecarMemoryRequest: Math.round((memoryMiB * 3) / 8),
    };
  });
}

const cpu = (m: number): string => (m % 1000 === 0 ? `"${m / 1000}"` : `${m}m`);

/** The overlay's capacity.yaml: strategic-merge patches of the base's Deployments and autoscalers. */
export function capacityPatch(region: string, sizes: PodSize[], source: { bench: string; what: string; daily: number; peak: number }): string {
  const n = (v: number) => v.toLocaleString('en-US');
  const docs = sizes.flatMap((s) => {
    const scaler = K8S_APPS.find((x) => x.app === s.app)!.scaler;
    return [
      [
        'apiVersion: apps/v1',
        'kind: Deployment',
        'metadata:',
        `  name: ${s.app}`,
        'spec:',
        '  template:',
        '    metadata:',
        '      annotations:',
        `        dapr.io/sidecar-cpu-request: ${cpu(s.sidecarCpuRequest)}`,
        `        dapr.io/sidecar-cpu-limit: ${cpu(s.sidecarCpuLimit)}`,
        `        dapr.io/sidecar-memory-request: ${s.sidecarMemoryRequest}Mi`,
        `        dapr.io/sidecar-memory-limit: ${2 * s.sidecarMemoryRequest}Mi`,
        '    spec:',
        '      containers:',
        `        - name: ${s.app}`,
        '          resources:',
        '            requests:',
        `              cpu: ${cpu(s.appCpuRequest)}`,
        `              memory: ${s.appMemoryRequest}Mi`,
        '            limits:',
        `              cpu: ${cpu(s.appCpuLimit)}`,
        `              memory: ${2 * s.appMemoryRequest}Mi`,
      ],
      scaler === 'HorizontalPodAutoscaler'
        ? ['apiVersion: autoscaling/v2', 'kind: HorizontalPodAutoscaler', 'metadata:', `  name: ${s.app}`, 'spec:', `  minReplicas: ${s.minReplicas}`, `  maxReplicas: ${s.maxReplicas}`]
        : ['apiVersion: keda.sh/v1alpha1', 'kind: ScaledObject', 'metadata:', `  name: ${s.app}`, 'spec:', `  minReplicaCount: ${s.minReplicas}`, `  maxReplicaCount: ${s.maxReplicas}`],
    ];
  });
  const header = [
    `# Region ${region}: requests, limits and autoscaler bounds for ${n(source.daily)} notifications a day, peak ${n(source.peak)}/s,`,
    `# made by \`npm run capacity -- --k8s write\` from ${source.bench}`,
    `# (${source.what}).`,
    '# Do not edit: change the volume in components/regions.json, or measure again.',
  ];
  return `${header.join('\n')}\n${docs.map((d) => d.join('\n')).join('\n---\n')}\n`;
}
