import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startHttpServer } from './http-server.js';
import { createLogger } from './log.js';
import { Counter, createMetricsRegistry, metricsEnvSchema, metricsRoute, readGauge, type MetricsAccess } from './metrics.js';

async function serve(access: MetricsAccess): Promise<{ server: Server; get(headers?: Record<string, string>, method?: string): Promise<{ status: number; text: string; type: string | null }> }> {
  const registry = createMetricsRegistry('metrics-test');
  new Counter({ name: 'herald_test_total', help: 'a test counter', labelNames: ['lane'], registers: [registry] }).inc({ lane: 'bulk' }, 3);
  const server = await startHttpServer({ host: '127.0.0.1', port: 0, log: createLogger('metrics-test', 'silent'), routes: [metricsRoute(registry, access)] });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
  return {
    server,
    get: async (headers = {}, method = 'GET') => {
      const res = await fetch(base, { method, headers });
      return { status: res.status, text: await res.text(), type: res.headers.get('content-type') };
    },
  };
}

describe('metricsRoute', () => {
  it("serves the registry in Prometheus's text format, with the process metrics and the build info", async () => {
    const { server, get } = await serve({});
    try {
      const res = await get();
      expect(res.status).toBe(200);
      expect(res.type).toMatch(/^text\/plain; version=0\.0\.4/);
      expect(res.text).toContain('herald_test_total{lane="bulk"} 3');
      expect(res.text).toMatch(/herald_build_info\{app="metrics-test",version="\d+\.\d+\.\d+"\} 1/);
      expect(res.text).toContain('process_cpu_seconds_total');
      expect(res.text).toContain('nodejs_eventloop_lag_seconds');
      expect((await get({}, 'POST')).status).toBe(405);
    } finally {
      server.close();
    }
  });

  it('asks for the bearer token when METRICS_TOKEN is set', async () => {
    const { server, get } = await serve({ METRICS_TOKEN: 'scrape-token-0123456789' });
    try {
      expect((await get()).status).toBe(401);
      expect((await get({ authorization: 'Bearer scrape-token-012345678' })).status).toBe(401);
      expect((await get({ authorization: 'Bearer scrape-token-0123456789' })).status).toBe(200);
    } finally {
      server.close();
    }
  });

  it('answers only the addresses METRICS_ALLOW names', async () => {
    const allowed = await serve({ METRICS_ALLOW: ['10.0.0.0/8', '127.0.0.0/8'] });
    const refused = await serve({ METRICS_ALLOW: ['10.0.0.0/8', '::1'] });
    try {
      expect((await allowed.get()).status).toBe(200);
      const res = await refused.get();
      expect(res.status).toBe(403);
      expect(res.text).toContain('METRICS_ALLOW');
    } finally {
      allowed.server.close();
      refused.server.close();
    }
  });
});

describe('metricsEnvSchema', () => {
  it('reads the allow-list and refuses an entry that is no address or block, naming it', () => {
    expect(metricsEnvSchema.parse({ METRICS_ALLOW: '10.0.0.0/8, 127.0.0.1,::1' }).METRICS_ALLOW).toEqual(['10.0.0.0/8', '127.0.0.1', '::1']);
    expect(metricsEnvSchema.parse({}).METRICS_ALLOW).toBeUndefined();
    const bad = metricsEnvSchema.safeParse({ METRICS_ALLOW: '10.0.0.0/33,prometheus.local' });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues.map((i) => i.message)).toEqual(['not an address or CIDR block: 10.0.0.0/33', 'not an address or CIDR block: prometheus.local']);
    expect(metricsEnvSchema.safeParse({ METRICS_TOKEN: 'short' }).success).toBe(false);
    // A slash with no prefix would read as /0, every address: refused, as is a second slash.
    for (const entry of ['10.0.0.1/', '10.0.0.0/8/1', '10.0.0.0/x']) expect(metricsEnvSchema.safeParse({ METRICS_ALLOW: entry }).success).toBe(false);
  });

  it('keeps a gauge whose read fails at its last value, counts the failure, and still answers the scrape', async () => {
    const registry = createMetricsRegistry('metrics-test');
    let fail = false;
    readGauge(registry, { name: 'herald_test_depth', help: 'a read gauge' }, async (set) => {
      if (fail) throw new Error('redis down');
      set(7);
    });
    expect(await registry.metrics()).toContain('herald_test_depth 7');
    fail = true;
    expect(await registry.metrics()).toContain('herald_test_depth 7');
    // The failure is counted as it happens, so the next scrape shows it.
    const text = await registry.metrics();
    expect(text).toContain('herald_metrics_read_failures_total{metric="herald_test_depth"} 1');
  });
});
