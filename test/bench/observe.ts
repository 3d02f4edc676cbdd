// What the bench reads from the running system: the provider's count of successful sends
// (the sandbox's record in the channel apps, or the simulator's statistics), the systems' own
// cost counters, the lane topics' backlog, and each notification's timeline.
import { Agent, request } from 'undici';
import type { NotificationView } from '@herald/contracts';
import type { Redis } from '@herald/stores';
import { cpuMs, pidsOf, postgresBackendsCpu, postgresCpuMs, rabbitMessagesReceived, redisCommandCalls } from './counters.js';
import type { Lane } from './schedule.js';
import type { TableWrites } from './store.js';
import type { Trace } from './windows.js';

/** Successful sends as the provider side counts them. */
export interface ProviderCounter {
  kind: 'sandbox' | 'simulator';
  total(): Promise<number>;
  /** The simulator's statistics per provider (undefined for the sandbox). */
  detail(): Promise<Record<string, SimProviderStats> | undefined>;
}

/** `GET /_sim/stats` of apps/provider-sim, per provider. */
export interface SimProviderStats {
  received: number;
  accepted: number;
  rejected429: number;
  failed5xx: number;
  rejected4xx: number;
  maxPerSecond: number;
}

const agent = new Agent({ connections: 128, keepAliveTimeout: 30_000, headersTimeout: 30_000, bodyTimeout: 30_000 });

async function getJson<T>(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: T }> {
  const res = await request(url, { headers, dispatcher: agent });
  const text = await res.body.text();
  return { status: res.statusCode, body: (text ? JSON.parse(text) : undefined) as T };
}

/** The sandbox provider of each channel app: `GET /sandbox/count` → `{ total }` (every send it recorded). */
export function sandboxCounter(ports: number[]): ProviderCounter {
  return {
    kind: 'sandbox',
    async total() {
      const totals = await Promise.all(ports.map(async (p) => (await getJson<{ total: number }>(`http://127.0.0.1:${p}/sandbox/count`)).body.total));
      return totals.reduce((a, b) => a + b, 0);
    },
    detail: async () => undefined,
  };
}

/** The provider simulator: successful sends are its 2xx answers (`accepted`), summed over providers. */
export function simulatorCounter(simUrl: string): ProviderCounter {
  const stats = async () => (await getJson<Record<string, SimProviderStats>>(`${simUrl}/_sim/stats`)).body;
  return {
    kind: 'simulator',
    total: async () => Object.values(await stats()).reduce((n, s) => n + s.accepted, 0),
    detail: stats,
  };
}

export async function simConfigure(simUrl: string, patch: Record<string, Record<string, unknown>>): Promise<void> {
  const res = await request(`${simUrl}/_sim/config`, { method: 'PUT', body: JSON.stringify(patch), headers: { 'content-type': 'application/json' }, dispatcher: agent });
  const text = await res.body.text();
  if (res.statusCode !== 200) throw new Error(`simulator refused its configuration (${res.statusCode}): ${text}`);
}

export async function simReset(simUrl: string): Promise<void> {
  const res = await request(`${simUrl}/_sim/reset`, { method: 'POST', dispatcher: agent });
  await res.body.text();
}

/**
 * The costs read before and after the measured window: Redis commands, RabbitMQ publishes, CPU
 * per process (`postgres`: the whole PostgreSQL server, see postgresCpuMs), Redis memory, and
 * the state table's writes (PostgreSQL's own counters).
 */
export interface CostSnapshot {
  redis: Record<string, number>;
  rabbitReceived: number | undefined;
  cpu: Record<string, number>;
  redisUsedBytes: number;
  /** Requests the sidecars served or made, by kind (see sidecarRequests); absent when attached to a stack not ours. */
  sidecar?: Record<SidecarRequestKind, number>;
  /** CPU-ms so far of each backend serving the stack's database, by pid (postgresBackendsCpu). */
  postgresBackends?: Record<string, number>;
  /** Rows written to the state table so far (read apart, once its counters have settled: store.ts). */
  stateTable?: TableWrites & { byTable?: Record<string, number> };
}

/** The requests that cross a sidecar, counted once each. */
export type SidecarRequestKind = 'appToSidecar' | 'sidecarToApp' | 'sidecarToSidecar';

/**
 * Requests through the sidecars so far, summed over every sidecar, from daprd's own Prometheus
 * counters: the app's calls to its sidecar's API (`dapr_http_server_request_count`), the
 * sidecar's calls to its app (subscriptions, actor methods: `dapr_http_client_completed_count`),
 * and calls between sidecars (actor calls to another host: `dapr_grpc_io_server_completed_rpcs`,
 * counted where they arrive). Each is a request on the loopback with its syscalls and parsing on
 * both sides: the count that CPU per notification follows.
 */
export async function sidecarRequests(metricsPorts: Record<string, number>): Promise<Record<SidecarRequestKind, number>> {
  const totals: Record<SidecarRequestKind, number> = { appToSidecar: 0, sidecarToApp: 0, sidecarToSidecar: 0 };
  const metricOf: Record<string, SidecarRequestKind> = {
    dapr_http_server_request_count: 'appToSidecar',
    dapr_http_client_completed_count: 'sidecarToApp',
    dapr_grpc_io_server_completed_rpcs: 'sidecarToSidecar',
  };
  for (const port of Object.values(metricsPorts)) {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(5_000) })).text();
    for (const line of text.split('\n')) {
      // Greedy up to the last brace: label values hold braces of their own (path="…/{id}/state").
      const m = /^(\w+)\{.*\} ([0-9.eE+-]+)$/.exec(line);
      const kind = m?.[1] ? metricOf[m[1]] : undefined;
      if (kind) totals[kind] += Number(m?.[2]);
    }
  }
  return totals;
}

/** The group of the PostgreSQL server's processes: its CPU is read as a whole (postgresCpuMs), never by these pids. */
export const POSTGRES = 'postgres';

/** The pid of the Redis a client is connected to (INFO server), to count its CPU and no other Redis's. */
export async function redisProcessId(redis: Redis): Promise<number | undefined> {
  const pid = Number(/^process_id:(\d+)/m.exec(String(await redis.info('server')))?.[1]);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/**
 * Every process of the stack, grouped under the name the results use (`dispatcher daprd`,
 * `redis`, …). `redis`: the stack's own, else the one `redisPid` names, else every Redis here.
 * `postgres`: the server's processes when found (its backends come and go: cpuSnapshot reads
 * the server as a whole).
 */
export function stackProcesses(processes: ReadonlyArray<{ name: string; pid: number }> | undefined, redisPid?: number): Record<string, number[]> {
  const groups: Record<string, number[]> = { redis: redisPid ? [redisPid] : pidsOf('redis-server'), rabbitmq: pidsOf('beam.smp') };
  const postgres = pidsOf('postgres');
  if (postgres.length > 0) groups[POSTGRES] = postgres;
  if (processes) {
    for (const { name, pid } of processes) groups[name.replace(/-daprd$/, ' daprd')] = [pid];
  } else {
    groups.daprd = pidsOf('daprd');
    groups.placement = pidsOf('placement');
    groups.scheduler = pidsOf('scheduler');
  }
  return groups;
}

/** CPU-ms so far of each group; `postgres` is the whole server, exited backends included (postgresCpuMs). */
export function cpuSnapshot(groups: Record<string, number[]>): Record<string, number> {
  return Object.fromEntries(
    Object.entries(groups).map(([name, pids]) => [name, name === POSTGRES ? (postgresCpuMs() ?? 0) : pids.reduce((s, p) => s + (cpuMs(p) ?? 0), 0)]),
  );
}

/** `database`: the stack's PostgreSQL database, whose backends' CPU is read apart as well. */
export async function costSnapshot(redis: Redis, groups: Record<string, number[]>, metricsPorts?: Record<string, number>, database?: string): Promise<CostSnapshot> {
  const cpu = cpuSnapshot(groups);
  const postgresBackends = database && groups[POSTGRES] ? postgresBackendsCpu(database) : undefined;
  const redisCalls = await redisCommandCalls(redis);
  const memory = String(await redis.info('memory'));
  const usedBytes = Number(/^used_memory:(\d+)/m.exec(memory)?.[1] ?? NaN);
  // rabbitmqctl starts an Erlang VM of its own (named beam.smp too): it is read after the
  // CPU snapshot, and its pid was never in `groups`, so its own start-up is not counted.
  const sidecar = metricsPorts ? await sidecarRequests(metricsPorts) : undefined;
  return {
    redis: redisCalls,
    rabbitReceived: rabbitMessagesReceived(),
    cpu,
    redisUsedBytes: usedBytes,
    ...(sidecar ? { sidecar } : {}),
    ...(postgresBackends ? { postgresBackends } : {}),
  };
}

/**
 * Accepted events not yet handled by the dispatcher, per lane: the consumer group's lag
 * (entries never delivered) plus its pending entries (delivered, not acknowledged).
 */
export async function laneBacklog(redis: Redis, topicPrefix: string): Promise<Record<Lane, number>> {
  const out: Record<Lane, number> = { critical: 0, bulk: 0 };
  for (const lane of ['critical', 'bulk'] as const) {
    try {
      for (const g of await redis.xInfoGroups(`${topicPrefix}notifications-${lane}`)) {
        const lag = Number(g.lag);
        out[lane] += (Number.isFinite(lag) ? lag : 0) + Number(g.pending);
      }
    } catch {
      // no stream yet: nothing waits
    }
  }
  return out;
}

/**
 * Reads each accepted notification's timeline (GET /v1/notifications/:id) and writes what it
 * says into its trace: when it was accepted and first sent, by Herald's clock, and its status.
 * `wallAtZero` is the wall-clock time (ms) of the run's zero, to put timeline times on its clock.
 */
export async function readTimelines(intake: string, apiKey: string, traces: Trace[], wallAtZero: number, concurrency = 48): Promise<void> {
  const todo = traces.filter((t) => t.id !== undefined && t.sentAtMs === undefined);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, todo.length) }, async () => {
      while (next < todo.length) {
        const t = todo[next++]!;
        try {
          const { status, body } = await getJson<NotificationView>(`${intake}/v1/notifications/${t.id}`, { authorization: `Bearer ${apiKey}` });
          if (status === 404) {
            t.finalStatus = 'unknown';
            continue;
          }
          if (status !== 200) continue; // not read this time (e.g. 503): stays as it was
          const accepted = body.timeline.find((e) => e.status === 'accepted');
          const dispatched = body.timeline.find((e) => e.status === 'dispatched');
          const sent = body.timeline.find((e) => e.status === 'sent');
          t.finalStatus = body.status;
          const last = body.timeline.at(-1);
          if (!sent && last?.reason !== undefined) t.endReason = last.reason;
          if (accepted) t.acceptedAtMs = Date.parse(accepted.at) - wallAtZero;
          if (dispatched) t.dispatchedAtMs = Date.parse(dispatched.at) - wallAtZero;
          if (sent) t.sentAtMs = Date.parse(sent.at) - wallAtZero;
        } catch {
          // not read this time; a later pass may
        }
      }
    }),
  );
}

export async function closeObservers(): Promise<void> {
  await agent.close();
}
