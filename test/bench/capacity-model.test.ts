import { describe, expect, it } from '@jest/globals';
import { compareDesigns, coresFor, DEFAULT_ASSUMPTIONS, groupByApp, measuredFrom, plan, redisKeptGb, type MeasuredCosts, type PriceTable } from './capacity-model.js';

const price = (value: number) => ({ value, unit: '', what: 'x', source: 'test' });
const prices: PriceTable = {
  asOf: '2026-11',
  currency: 'USD',
  region: 'test',
  hoursPerMonth: 730,
  prices: { vcpuHour: price(0.04), gbHour: price(0.005), redisGbHour: price(0.125), redisMillionEcpu: price(0.0034), brokerMillionRequests: price(0.4) },
};

const measured: MeasuredCosts = {
  scenario: 'steady',
  date: '2026-11-25',
  completedPerSec: 300,
  brokerMessagesPerNotification: 2,
  brokerDetailPerNotification: { redisXadd: 1, rabbitReceived: 1 },
  stateWritesPerNotification: 3,
  cpuMsPerNotification: 6,
  cpuMsPerNotificationByProcess: {
    intake: 0.6,
    'intake daprd': 0.4,
    dispatcher: 1.2,
    'dispatcher daprd': 1.5,
    'channel-email': 0.3,
    'channel-email daprd': 0.3,
    'channel-sms-r2': 0.1,
    redis: 0.9,
    rabbitmq: 0.6,
    placement: 0.05,
    scheduler: 0.05,
    'provider-sim': 0.5,
  },
  redisCommandsPerNotification: 20,
  redisBytesPerNotification: 5000,
  redisRetainedBytesPerNotification: { actorState: 800, historyIndex: 200, sendLedger: 300 },
};

describe('grouping processes', () => {
  it('puts an app and its sidecar in one pod, replicas with their app, and leaves the simulator out', () => {
    const { apps, services } = groupByApp(measured.cpuMsPerNotificationByProcess);
    expect(apps).toEqual({
      intake: { app: 0.6, sidecar: 0.4 },
      dispatcher: { app: 1.2, sidecar: 1.5 },
      'channel-email': { app: 0.3, sidecar: 0.3 },
      'channel-sms': { app: 0.1, sidecar: 0 },
    });
    expect(services).toEqual({ redis: 0.9, rabbitmq: 0.6, placement: 0.05, scheduler: 0.05 });
  });
});

describe('capacity plan', () => {
  const p = plan(measured, 50_000_000, 2000, prices);

  it('turns CPU-ms per notification at the peak into cores', () => {
    expect(coresFor(1.2, 2000)).toBeCloseTo(2.4, 9);
    const dispatcher = p.apps.find((a) => a.app === 'dispatcher')!;
    expect(dispatcher.appCores).toBeCloseTo(2.4, 9);
    expect(dispatcher.sidecarCores).toBeCloseTo(3, 9);
  });

  it('sizes replicas by the Node app (one core each) at the target utilisation, never below the minimum', () => {
    const dispatcher = p.apps.find((a) => a.app === 'dispatcher')!;
    expect(dispatcher.replicas).toBe(Math.ceil(2.4 / 0.6)); // 4
    // (2.4 + 3) cores over 4 pods at 60 %: 2.25 vCPU each
    expect(dispatcher.vcpuPerPod).toBe(2.25);
    const sms = p.apps.find((a) => a.app === 'channel-sms')!;
    expect(sms.replicas).toBe(DEFAULT_ASSUMPTIONS.minReplicas);
    expect(sms.vcpuPerPod).toBe(0.25); // never below a quarter vCPU
  });

  it('derives broker and state-store rates from the measured amplification', () => {
    expect(p.averagePerSec).toBeCloseTo(578.7, 1);
    expect(p.brokerMessagesPerSecPeak).toBe(4000);
    expect(p.brokerMessagesPerDay).toBe(100_000_000);
    expect(p.rabbitMessagesPerSecPeak).toBe(2000);
    expect(p.redisStreamEntriesPerSecPeak).toBe(2000);
    expect(p.stateWritesPerSecPeak).toBe(6000);
    expect(p.stateWritesPerDay).toBe(150_000_000);
  });

  it('sizes Redis by its one command thread and RabbitMQ at three nodes or more', () => {
    expect(p.redisShards).toBe(Math.ceil(1.8 / 0.6)); // 3
    expect(p.rabbitNodes).toBe(3);
    // (800 + 200) bytes × 50M a day × 30 days, and the ledger's 300 bytes for one day
    expect(p.redisStoredGb).toBeCloseTo(1500 + 15, 6);
  });

  it('prices pods, services and Redis for a 730-hour month', () => {
    const pods = p.apps.reduce((s, a) => s + a.replicas * (a.vcpuPerPod * 0.04 + 1 * 0.005) * 730, 0);
    expect(p.cost.computePeakProvisioned).toBeCloseTo(pods, 6);
    // RabbitMQ, placement, scheduler at the target utilisation; Redis is priced as a managed store
    expect(p.cost.servicesCompute).toBeCloseTo(((0.6 + 0.05 + 0.05) * 2 / 0.6) * 0.04 * 730, 6);
    expect(p.cost.redisStorage).toBeCloseTo(1515 * 0.125 * 730, 6);
    expect(p.cost.redisRequests).toBeCloseTo(((20 * 50e6 * 30) / 1e6) * 0.0034, 6);
    expect(p.cost.totalPeakProvisioned).toBeCloseTo(p.cost.computePeakProvisioned + p.cost.servicesCompute + p.cost.redisStorage! + p.cost.redisRequests!, 6);
    // the per-request broker figure is a yardstick, not part of the total: 100M × 30 × 3 requests × $0.40/M
    expect(p.cost.brokerPerMessage).toBeCloseTo(3600, 6);
    expect(p.cost.computeAutoscaled).toBeLessThanOrEqual(p.cost.computePeakProvisioned);
  });
});

describe('Redis data kept', () => {
  it('falls back to the memory growth over the run when there is no breakdown', () => {
    const { redisRetainedBytesPerNotification: _, ...withoutBreakdown } = measured;
    expect(redisKeptGb(withoutBreakdown, 1_000_000, DEFAULT_ASSUMPTIONS)).toBeCloseTo(5000 * 1e6 * 30 / 1e9, 6);
    const { redisBytesPerNotification: __, ...nothing } = withoutBreakdown;
    expect(redisKeptGb(nothing, 1_000_000, DEFAULT_ASSUMPTIONS)).toBeUndefined();
  });
});

describe('the reviewed design beside Herald', () => {
  it('scales 4–5 messages and 3.7 writes per notification with the volume', () => {
    const c = compareDesigns(measured, 150_000_000, 6000, prices);
    expect(c.reviewed.brokerMessagesPerDay).toEqual([600_000_000, 750_000_000]);
    expect(c.reviewed.brokerMessagesPerSecPeak).toEqual([24_000, 30_000]);
    expect(c.reviewed.stateWritesPerDay).toBeCloseTo(555_000_000, 3);
    expect(c.reviewed.stateWritesPerSecPeak).toBeCloseTo(22_200, 6);
    expect(c.herald.brokerMessagesPerDay).toBe(300_000_000);
    expect(c.herald.stateWritesPerSecPeak).toBe(18_000);
    expect(c.reviewed.brokerCost[0] / c.herald.brokerCost).toBeCloseTo(2, 9);
  });
});

describe('reading a bench result', () => {
  it('accepts one with the figures the model needs', () => {
    expect(measuredFrom(JSON.parse(JSON.stringify(measured)))).toMatchObject({ cpuMsPerNotification: 6 });
  });

  it('refuses one without them, naming what is missing', () => {
    expect(() => measuredFrom({ ...measured, stateWritesPerNotification: null })).toThrow(/stateWritesPerNotification/);
    expect(() => measuredFrom({ ...measured, cpuMsPerNotificationByProcess: undefined })).toThrow(/cpuMsPerNotificationByProcess/);
    expect(() => measuredFrom('nope')).toThrow(/not a bench result/);
    expect(() => measuredFrom({ ...measured, drainedWithinDeadline: false })).toThrow(/did not drain/);
  });
});
