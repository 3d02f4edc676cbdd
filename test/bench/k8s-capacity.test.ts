import { describe, expect, it } from '@jest/globals';
import { DEFAULT_ASSUMPTIONS, type CapacityPlan } from './capacity-model.js';
import { capacityPatch, K8S_APPS, millicores, podSizes } from './k8s-capacity.js';

/** A plan with every app sized as given (cores at peak, replicas at peak). */
function planOf(apps: Record<string, { appCores: number; sidecarCores: number; replicas: number }>): CapacityPlan {
  return { apps: Object.entries(apps).map(([app, x]) => ({ app, ...x, vcpuPerPod: 0 })) } as unknown as CapacityPlan;
}
const every = (x: { appCores: number; sidecarCores: number; replicas: number }) => Object.fromEntries(K8S_APPS.map(({ app }) => [app, x]));

describe('millicores', () => {
  it('rounds up to the next 50, at least 50', () => {
    expect([0, 0.001, 0.05, 0.0501, 0.3, 1.26].map(millicores)).toEqual([50, 50, 50, 100, 300, 1300]);
  });
});

describe('podSizes', () => {
  it('requests what a replica uses at peak over the target utilisation, so an autoscaler at that utilisation holds the plan', () => {
    const sizes = podSizes(planOf(every({ appCores: 1.8, sidecarCores: 3, replicas: 6 })), DEFAULT_ASSUMPTIONS);
    // 1.8 cores / 6 replicas / 0.6 = 0.5 core; 3 / 6 / 0.6 = 0.8333 → 850m.
    expect(sizes[0]).toEqual({
      app: 'intake', minReplicas: 2, maxReplicas: 12,
      appCpuRequest: 500, appCpuLimit: 1000, sidecarCpuRequest: 850, sidecarCpuLimit: 2000,
      appMemoryRequest: 640, sidecarMemoryRequest: 384,
    });
  });

  it('keeps the minimum, and lets the autoscaler go above it however small the load', () => {
    const [intake] = podSizes(planOf(every({ appCores: 0.01, sidecarCores: 0.01, replicas: 2 })), DEFAULT_ASSUMPTIONS);
    expect(intake).toMatchObject({ minReplicas: 2, maxReplicas: 4, appCpuRequest: 50, sidecarCpuLimit: 1000 });
  });

  it('refuses a bench result without one of the apps, naming it', () => {
    const apps = every({ appCores: 1, sidecarCores: 1, replicas: 2 });
    delete apps['channel-push'];
    expect(() => podSizes(planOf(apps), DEFAULT_ASSUMPTIONS)).toThrow('channel-push');
  });
});

describe('capacityPatch', () => {
  it('patches each Deployment and its autoscaler, and says what it was made from', () => {
    const sizes = podSizes(planOf(every({ appCores: 1.8, sidecarCores: 3, replicas: 6 })), DEFAULT_ASSUMPTIONS);
    const text = capacityPatch('eu', sizes, { bench: 'bench.json', what: 'a run', daily: 20_000_000, peak: 800 });
    expect(text).toContain('for 20,000,000 notifications a day, peak 800/s');
    expect(text.split('\n---\n')).toHaveLength(2 * K8S_APPS.length);
    expect(text).toContain('kind: HorizontalPodAutoscaler\nmetadata:\n  name: intake\nspec:\n  minReplicas: 2\n  maxReplicas: 12');
    expect(text).toContain('kind: ScaledObject\nmetadata:\n  name: dispatcher\nspec:\n  minReplicaCount: 2\n  maxReplicaCount: 12');
    expect(text).toContain('        dapr.io/sidecar-cpu-request: 850m\n        dapr.io/sidecar-cpu-limit: "2"');
    expect(text).toContain('            requests:\n              cpu: 500m\n              memory: 640Mi\n            limits:\n              cpu: "1"\n              memory: 1280Mi');
  });
});
