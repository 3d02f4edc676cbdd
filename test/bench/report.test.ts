import { describe, expect, it } from '@jest/globals';
import type { CostSnapshot } from './observe.js';
import { parseBenchArgs } from './options.js';
import { lineChart, niceStep } from './plot.js';
import { backendsCpuBetween, costsBetween, otherWorkCores, peakRate } from './report.js';

describe('costs of the measured window', () => {
  const before: CostSnapshot = {
    redis: { xadd: 10, evalsha: 1, set: 0, get: 3 },
    rabbitReceived: 100,
    cpu: { intake: 1000, redis: 50, postgres: 4000, 'provider-sim': 10 },
    redisUsedBytes: 1_000_000,
    stateTable: { inserts: 20, updates: 40, deletes: 0 },
  };
  const after: CostSnapshot = {
    redis: { xadd: 110, evalsha: 101, set: 100, get: 3, hset: 7 },
    rabbitReceived: 200,
    cpu: { intake: 1500, redis: 150, postgres: 4200, 'provider-sim': 60 },
    redisUsedBytes: 1_200_000,
    stateTable: { inserts: 120, updates: 240, deletes: 1 },
  };

  it("counts broker messages as XADD + RabbitMQ received, state writes as the state table's rows written", () => {
    const c = costsBetween(before, after);
    expect(c.brokerMessages).toBe(200);
    expect(c.brokerDetail).toEqual({ redisXadd: 100, rabbitReceived: 100 });
    expect(c.stateWrites).toEqual({ inserts: 100, updates: 200, deletes: 1 });
    expect(c.ledgerSets).toBe(100);
    expect(c.redisCommands).toEqual({ xadd: 100, evalsha: 100, set: 100, hset: 7 });
    expect(c.redisBytes).toBe(200_000);
  });

  it('reports state writes as unknown when PostgreSQL could not be read', () => {
    const { stateTable: _, ...unread } = before;
    expect(costsBetween(unread, after).stateWrites.inserts).toBeNaN();
  });

  it("sums the stack's CPU, PostgreSQL's included, and keeps the simulator's apart", () => {
    const c = costsBetween(before, after);
    expect(c.cpuByProcess).toEqual({ intake: 500, redis: 100, postgres: 200 });
    expect(c.cpuExcluded).toEqual({ 'provider-sim': 50 });
    expect(c.cpuTotal).toBe(800);
  });

  it("counts the stack database's backends alive at the end: from the first reading, or from their start", () => {
    // 11 ran throughout, 12 started in the window, 10 ended in it (its CPU is lost to this count).
    expect(backendsCpuBetween({ '10': 500, '11': 100 }, { '11': 160, '12': 30 })).toBe(90);
    expect(costsBetween({ ...before, postgresBackends: { '11': 100 } }, { ...after, postgresBackends: { '11': 150 } }).postgresOwnDatabaseCpuMs).toBe(50);
    expect(costsBetween(before, after).postgresOwnDatabaseCpuMs).toBeUndefined();
  });

  it("counts as other work only what the machine did beyond the stack, the simulator and the bench", () => {
    const c = costsBetween(before, after);
    // 10 s window: 800 stack + 50 simulator + 350 bench + 3800 someone else = 5000 ms busy.
    expect(otherWorkCores(5_000, c, 350, 10_000)).toBeCloseTo(0.38);
    expect(otherWorkCores(500, c, 350, 10_000)).toBe(0);
  });

  it('counts the requests through the sidecars over the window, when both ends have them', () => {
    const sidecar = (n: number) => ({ appToSidecar: 4 * n, sidecarToApp: 4 * n, sidecarToSidecar: n });
    expect(costsBetween({ ...before, sidecar: sidecar(1) }, { ...after, sidecar: sidecar(101) }).sidecarRequests).toEqual(sidecar(100));
    expect(costsBetween(before, { ...after, sidecar: sidecar(101) }).sidecarRequests).toBeUndefined();
  });

  it('reports broker messages as unknown when RabbitMQ could not be read', () => {
    expect(costsBetween({ ...before, rabbitReceived: undefined }, after).brokerMessages).toBeNaN();
  });
});

describe('peak rate', () => {
  it('takes the best five-second window', () => {
    expect(peakRate([0, 10, 10, 10, 10, 10, 0, 0], 1000)).toBe(10);
    expect(peakRate([4, 4], 1000)).toBe(4);
  });
});

describe('options', () => {
  it('defaults to a steady 1000/s for 60 s with a small critical share', () => {
    const o = parseBenchArgs([]);
    expect(o.scenario).toBe('steady');
    expect(o.plan.durationMs).toBe(60_000);
    expect(o.plan.streams.map((s) => [s.lane, s.ratePerSec])).toEqual([
      ['bulk', 950],
      ['critical', 50],
    ]);
  });

  it('takes a tracing sampling rate for the stack it starts, from 0 to 1', () => {
    expect(parseBenchArgs([]).samplingRate).toBeUndefined();
    expect(parseBenchArgs(['--sampling-rate', '0.01']).samplingRate).toBe('0.01');
    expect(parseBenchArgs(['--sampling-rate', '0']).samplingRate).toBe('0');
    expect(() => parseBenchArgs(['--sampling-rate', '2'])).toThrow(/from 0 to 1/);
    expect(() => parseBenchArgs(['--sampling-rate', 'all'])).toThrow(/--sampling-rate must be a number/);
    expect(() => parseBenchArgs(['--sampling-rate', '0.1', '--attach'])).toThrow(/--attach/);
  });

  it('turns --count into a duration at the rate', () => {
    expect(parseBenchArgs(['--rate', '200', '--count', '3000']).plan.durationMs).toBe(15_000);
  });

  it('builds each scenario from its own options', () => {
    expect(parseBenchArgs(['--scenario', 'ramp', '--from', '50', '--to', '200', '--steps', '3', '--step-duration', '5']).plan.phases.map((p) => p.ratePerSec)).toEqual([50, 100, 200]);
    expect(parseBenchArgs(['--scenario', 'flood', '--sustainable', '100']).plan.streams[1]?.ratePerSec).toBe(1000);
    const outage = parseBenchArgs(['--scenario', 'outage', '--outage-providers', 'twilio', '--env', 'RETRY_MAX_ATTEMPTS=8']);
    expect(outage.outageProviders).toEqual(['twilio']);
    expect(outage.appEnv).toEqual({ RETRY_MAX_ATTEMPTS: '8' });
    expect(outage.plan.streams.reduce((s, x) => s + x.ratePerSec, 0)).toBe(200);
  });

  it('refuses nonsense with a message naming the option', () => {
    expect(() => parseBenchArgs(['--scenario', 'soak'])).toThrow(/--scenario must be one of/);
    expect(() => parseBenchArgs(['--rate', '-5'])).toThrow(/--rate/);
    expect(() => parseBenchArgs(['--scenario', 'outage', '--outage-providers', 'mailgun'])).toThrow(/unknown provider mailgun/);
    expect(() => parseBenchArgs(['--scenario', 'outage', '--attach'])).toThrow(/simulator/);
    expect(() => parseBenchArgs(['--replicas', 'dispatcher'])).toThrow(/KEY=VALUE/);
  });
});

describe('plot', () => {
  it('picks round axis steps', () => {
    expect(niceStep(1000)).toBe(200);
    expect(niceStep(37)).toBe(10);
    expect(niceStep(0)).toBe(1);
  });

  it('draws one path per line, broken where a bucket has no value, and escapes names', () => {
    const svg = lineChart({ title: 'p99 <critical>', yLabel: 'ms', bucketMs: 1000, lines: [{ name: 'a & b', color: '#000', values: [1, 2, undefined, 4] }] });
    expect(svg).toContain('p99 &lt;critical&gt;');
    expect(svg).toContain('a &amp; b');
    const path = /<path d="([^"]+)"/.exec(svg)?.[1] ?? '';
    expect(path.match(/M/g)).toHaveLength(2);
    expect(path.match(/L/g)).toHaveLength(1);
  });
});
