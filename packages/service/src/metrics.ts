import { readFileSync } from 'node:fs';
import { BlockList, isIP } from 'node:net';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { z } from 'zod';
import { secretMatcher } from './app-token.js';
import { header, type Route } from './http-server.js';

// Each app's Prometheus metrics: one registry per process, served at GET /metrics. Labels are
// bounded by construction: a lane, a channel, a provider, a status or a reason code, never an
// id, an address or anything a tenant wrote. The README lists every metric.

export { Counter, Gauge, Histogram, Registry };

/** Seconds, for latencies from a millisecond to well past a provider's timeout. */
export const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** Seconds, for waits that run from a moment to many minutes (accept→sent, a late reminder). */
export const WAIT_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900, 3600];

/** Herald's version: the repository's package.json, which every image and checkout carries. */
function heraldVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
}

/** A registry with Node's process metrics (CPU, memory, event-loop lag, GC) and `herald_build_info`. */
export function createMetricsRegistry(app: string, version = heraldVersion()): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  new Gauge({ name: 'herald_build_info', help: 'Always 1; the app and its version as labels', labelNames: ['app', 'version'], registers: [registry] }).set({ app, version }, 1);
  return registry;
}

/** Who may read /metrics, from the environment (every app reads the same two variables). */
export const metricsEnvSchema = z.object({
  /** A bearer token /metrics asks for (`Authorization: Bearer <token>`); unset, none. */
  METRICS_TOKEN: z.string().min(16, 'at least 16 characters').optional(),
  /**
   * The addresses /metrics answers, comma-separated, each an address or a CIDR block
   * (`10.0.0.0/8,127.0.0.1`); unset, any. Others get 403.
   */
  METRICS_ALLOW: z
    .string()
    .optional()
    .transform((text, ctx) => {
      if (text === undefined || text.trim() === '') return undefined;
      const entries = text.split(',').map((s) => s.trim()).filter(Boolean);
      for (const entry of entries) {
        if (!allowEntry(entry)) ctx.addIssue({ code: 'custom', message: `not an address or CIDR block: ${entry}` });
      }
      return entries;
    }),
});
export type MetricsAccess = Partial<z.infer<typeof metricsEnvSchema>>;

function allowEntry(entry: string): { address: string; prefix?: number; family: 'ipv4' | 'ipv6' } | undefined {
  const parts = entry.split('/');
  const [address = '', prefixText] = parts;
  const v = isIP(address);
  if (v === 0 || parts.length > 2) return undefined;
  const family = v === 4 ? 'ipv4' : 'ipv6';
  if (prefixText === undefined) return { address, family };
  // Digits only: `10.0.0.1/` must not read as /0, which would let every address in.
  if (!/^\d{1,3}$/.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > (v === 4 ? 32 : 128)) return undefined;
  return { address, prefix, family };
}

function blockListOf(entries: readonly string[]): BlockList {
  const list = new BlockList();
  for (const entry of entries) {
    const e = allowEntry(entry);
    if (!e) continue;
    if (e.prefix === undefined) list.addAddress(e.address, e.family);
    else list.addSubnet(e.address, e.prefix, e.family);
  }
  return list;
}

/** The address a request came from, as the allow-list compares it (an IPv4-mapped IPv6 address as IPv4). */
function remoteOf(address: string | undefined): { address: string; family: 'ipv4' | 'ipv6' } | undefined {
  if (!address) return undefined;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped?.[1]) return { address: mapped[1], family: 'ipv4' };
  const v = isIP(address);
  return v === 0 ? undefined : { address, family: v === 4 ? 'ipv4' : 'ipv6' };
}

/**
 * GET /metrics: the registry in Prometheus's text format. Never behind a tenant's API key or the
 * Dapr app token (Prometheus has neither); limited instead by METRICS_ALLOW and METRICS_TOKEN.
 */
export function metricsRoute(registry: Registry, access: MetricsAccess = {}): Route {
  const allowed = access.METRICS_ALLOW ? blockListOf(access.METRICS_ALLOW) : undefined;
  const isToken = access.METRICS_TOKEN ? secretMatcher(access.METRICS_TOKEN) : undefined;
  return (req) => {
    if (req.path !== '/metrics') return undefined;
    if (req.method !== 'GET' && req.method !== 'HEAD') return Promise.resolve({ status: 405, headers: { Allow: 'GET, HEAD' }, json: { error: 'GET /metrics' } });
    if (allowed) {
      const from = remoteOf(req.remoteAddress);
      if (!from || !allowed.check(from.address, from.family)) return Promise.resolve({ status: 403, json: { error: 'this address may not read /metrics (METRICS_ALLOW)' } });
    }
    if (isToken) {
      if (!isToken(/^Bearer (.+)$/.exec(header(req.headers, 'authorization') ?? '')?.[1])) {
        return Promise.resolve({ status: 401, headers: { 'WWW-Authenticate': 'Bearer realm="metrics"' }, json: { error: 'a bearer token is needed for /metrics (METRICS_TOKEN)' } });
      }
    }
    return registry.metrics().then((body) => ({ status: 200, headers: { 'content-type': registry.contentType }, body }));
  };
}

/**
 * A gauge read when Prometheus scrapes, from something that may fail (Redis): a failed read
 * keeps the gauge's last value and counts the failure in `herald_metrics_read_failures_total`,
 * rather than failing the whole scrape, which would make the app look down just when its other
 * metrics matter most.
 */
export function readGauge<L extends string>(
  registry: Registry,
  opts: { name: string; help: string; labelNames?: readonly L[] },
  read: (set: (value: number, labels?: Partial<Record<L, string>>) => void) => Promise<void>,
): Gauge<L> {
  const failures =
    (registry.getSingleMetric('herald_metrics_read_failures_total') as Counter<'metric'> | undefined) ??
    new Counter({ name: 'herald_metrics_read_failures_total', help: 'Scrape-time reads of a gauge that failed (the gauge kept its last value), by gauge', labelNames: ['metric'], registers: [registry] });
  return new Gauge<L>({
    name: opts.name,
    help: opts.help,
    labelNames: opts.labelNames ?? [],
    registers: [registry],
    async collect() {
      try {
        await read((value, labels) => (labels ? this.set(labels, value) : this.set(value)));
      } catch {
        failures.inc({ metric: opts.name });
      }
    },
  });
}

/** Starts a timer; the function it answers gives the seconds since, as a duration metric takes them. */
export function stopwatch(): () => number {
  const start = performance.now();
  return () => (performance.now() - start) / 1000;
}
