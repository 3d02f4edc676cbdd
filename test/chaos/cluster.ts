// Load on a multi-host stack (StackOptions.hosts), and optionally one app host killed whole
// (kill -9 of every process in its namespace) mid-load: how the actors spread over the hosts,
// what completed per second, what became of every notification accepted with 202 (lost, sent
// twice), and how long the surviving hosts took to take the dead host's actors and reminders
// over. Shared by `npm run cluster` (test/tools/cluster.ts) and test/integration/multi-host.test.ts.
import { createHash } from 'node:crypto';
import { NOTIFICATION_ACTOR } from '@herald/dapr';
import type { NotificationView } from '@herald/contracts';
import { createClient, keyOf, request } from '../harness/client.js';
import { hostOf, killHost } from '../harness/hosts.js';
import { sidecarHeaders, waitFor, type StackInfo } from '../harness/stack.js';
import { SETTLED, tally, viewsOf, waitSettled, type Tally } from '../harness/tally.js';
import { createGenerator } from '../bench/load.js';
import { steadyPlan } from '../bench/schedule.js';

export interface ClusterLoad {
  /** Offered notifications per second (a mix of email, SMS and push; a fifth critical). */
  ratePerSec: number;
  /** How long the load is offered, seconds. */
  seconds: number;
  /** The app host to kill (its number: 2 is `h2`), and when, seconds into the load. */
  killHost?: number;
  killAfterSeconds?: number;
  /**
   * Beside the load, SMS scheduled this many seconds ahead (`sendAt`), one every half second: an
   * actor's reminder (the scheduler's) sends each, so a host killed with some pending shows how
   * soon the survivors fire its reminders. 8 unless told; 0 for none.
   */
  scheduleAheadSeconds?: number;
  /** How long to wait, after the load, for everything accepted to settle, seconds. */
  settleSeconds: number;
  /** Called with progress lines (the CLI prints them). */
  log?: (line: string) => void;
}

export interface HostFigures {
  address: string;
  /**
   * Notification actors active in the host's dispatcher sidecar (its metadata API,
   * actorRuntime.activeActors): read at the kill for the host killed, at the end of the load
   * for the others. Dapr 1.18 has no counter of activations; an actor stays active until idle
   * (ACTOR_IDLE_TIMEOUT) or rebalanced, so over a short run this is the number it activated.
   */
  activeActors: number | undefined;
  /** Of the notifications accepted before the kill (all, without one), how many the placement table gave this host. */
  placedBeforeKill: number;
  /** Of those accepted after the kill, how many it was given (the dead host: none). */
  placedAfterKill: number;
}

export interface Takeover {
  host: string;
  /** Processes killed (apps and sidecars). */
  killedPids: number;
  /** Seconds from the kill until placement's own table no longer listed the dead host (the sidecars learn of it later). */
  placementSeconds: number | undefined;
  /**
   * Seconds from the kill until an actor the dead host had answered again (the status of one of
   * its notifications, asked through intake every 100 ms): the sidecars have the new table and a
   * survivor activated it.
   */
  answerSeconds: number | undefined;
  /**
   * Seconds from the kill until the first transition after the kill (any status but `accepted`)
   * in the timeline of a notification whose actor the dead host had: a surviving host has taken
   * one of its actors, or reminders, over.
   */
  firstActorSeconds: number | undefined;
  /** Seconds from the kill until the first of those that settled after the kill did (sent, …). */
  firstSettledSeconds: number | undefined;
  /** Seconds from the kill until the last of them settled (a send in flight at the kill is held until its send-ledger claim expires: 120 s). */
  allSettledSeconds: number | undefined;
  /** The dead host's notifications that had not settled at the kill (they had to be taken over). */
  unsettledAtKill: number;
  /** Of those, scheduled ones due after the kill (their reminders had to fire on a survivor). */
  remindersDueAfterKill: number;
  /** How late the latest of those reminders fired: its first dispatch after its `sendAt`, seconds. */
  remindersLateMaxSeconds: number | undefined;
}

export interface ClusterOutcome {
  hosts: Record<string, HostFigures>;
  offered: number;
  accepted: number;
  /** Refused (429: shed) or failed requests, by status or error code. */
  refused: Record<string, number>;
  /** Notifications settled while the load ran, per second of it. */
  completedPerSec: number;
  /** Settled per second from the load's start until the last settled. */
  settledPerSecOverall: number;
  /** Seconds from the end of the load until the last one settled. */
  drainSeconds: number;
  tally: Tally;
  takeover?: Takeover;
  /**
   * The first 20 not settled: where their actor was placed, when they were accepted and due
   * (seconds from the kill, or from the load's start without one), and their timeline.
   */
  unsettled: Array<{ id: string; host: string; acceptedAt: number; sendAt?: number; timeline: string[] }>;
}

/** The hash Dapr's placement ring uses (pkg/placement/hashing): blake2b-512, the first 8 bytes little-endian. */
function ringHash(key: string): bigint {
  return createHash('blake2b512').update(key).digest().readBigUInt64LE(0);
}

/**
 * Dapr's consistent-hash ring for a set of hosts (`address:internal gRPC port`, as placement lists
 * them), 100 virtual nodes each (placement's default replicationFactor): which host has an actor.
 */
export function placementRing(hostNames: readonly string[], replicationFactor = 100): (actorId: string) => string {
  const nodes: Array<[bigint, string]> = [];
  for (const name of hostNames) for (let i = 0; i < replicationFactor; i++) nodes.push([ringHash(`${name}${i}`), name]);
  nodes.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return (actorId) => {
    const h = ringHash(actorId);
    let lo = 0;
    let hi = nodes.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (nodes[mid]![0] >= h) hi = mid;
      else lo = mid + 1;
    }
    return (nodes[lo] ?? nodes[0]!)[1];
  };
}

/** The hosts placement's table lists for the notification actor (GET /placement/state on its healthz port). */
export async function placementHosts(stack: StackInfo): Promise<string[]> {
  const args = stack.launch.placement?.args ?? [];
  const port = args[args.indexOf('--healthz-port') + 1];
  const res = await fetch(`http://127.0.0.1:${port}/placement/state`, { signal: AbortSignal.timeout(2_000) });
  if (!res.ok) throw new Error(`placement state answered ${res.status} (is placement running with --metadata-enabled?)`);
  const body = (await res.json()) as { tables?: Record<string, { hosts?: Array<{ name: string; entities?: string[] }> }> };
  return Object.values(body.tables ?? {}).flatMap((t) => (t.hosts ?? []).filter((h) => h.entities?.includes(NOTIFICATION_ACTOR)).map((h) => h.name));
}

/** Notification actors active in an instance's sidecar now (its metadata API), or undefined when it does not answer. */
export async function activeActors(stack: StackInfo, instance: string): Promise<number | undefined> {
  const i = stack.instances?.find((x) => x.name === instance);
  if (!i) throw new Error(`${instance} is not part of this stack`);
  try {
    const res = await fetch(`http://${i.address}:${i.ports.daprHttp}/v1.0/metadata`, { headers: sidecarHeaders(stack, i.appId), signal: AbortSignal.timeout(2_000) });
    const body = (await res.json()) as { actorRuntime?: { activeActors?: Array<{ type: string; count?: number }> } };
    const entry = body.actorRuntime?.activeActors?.find((a) => a.type === NOTIFICATION_ACTOR);
    return entry ? (entry.count ?? 0) : 0;
  } catch {
    return undefined;
  }
}

/** The app host whose address a placement host name (`address:port`) carries. */
function hostNamed(stack: StackInfo, placementName: string): string {
  const address = placementName.slice(0, placementName.lastIndexOf(':'));
  return stack.hosts?.hosts.find((h) => h.address === address)?.name ?? placementName;
}

/** Sends the provider simulator accepted (every provider): a notification sent twice is counted twice. */
async function providerSends(stack: StackInfo): Promise<number> {
  const res = await request(`http://127.0.0.1:${stack.simulatorPort ?? 0}/_sim/stats`);
  const stats = res.body as Record<string, { accepted: number }>;
  return Object.values(stats).reduce((n, p) => n + p.accepted, 0);
}

const SENT = new Set(['sent', 'delivered', 'bounced']);
const settledAt = (v: NotificationView): number | undefined => {
  const entry = v.timeline.find((e) => SETTLED.has(e.status));
  return entry ? Date.parse(entry.at) : undefined;
};

/**
 * Runs the load on a stack started with `hosts` and `simulator`; kills one app host mid-way when
 * told. Resolves once every accepted notification settled or `settleSeconds` passed.
 */
export async function clusterRun(stack: StackInfo, load: ClusterLoad): Promise<ClusterOutcome> {
  if (!stack.hosts) throw new Error('clusterRun needs a stack started with StackOptions.hosts');
  if (!stack.simulatorPort) throw new Error('clusterRun needs a stack started with the provider simulator (it counts the sends)');
  const log = load.log ?? (() => {});
  const api = createClient(stack);
  const dispatchers = (stack.instances ?? []).filter((i) => i.appId === 'dispatcher');
  const hosts: Record<string, HostFigures> = Object.fromEntries(
    stack.hosts.hosts.map((h) => [h.name, { address: h.address, activeActors: undefined, placedBeforeKill: 0, placedAfterKill: 0 }]),
  );
  const victim = load.killHost === undefined ? undefined : hostOf(stack, load.killHost);
  if (victim && stack.hosts.hosts.length < 2) throw new Error('killing a host needs two hosts at least');

  const tableBefore = await waitFor('every app host in placement', async () => {
    const names = await placementHosts(stack);
    return names.length === stack.hosts!.hosts.length ? names : undefined;
  }, 30_000, 200);
  const ownerBefore = placementRing(tableBefore);
  await request(`http://127.0.0.1:${stack.simulatorPort}/_sim/reset`, { method: 'POST' });
  const sendsBefore = await providerSends(stack);

  const t0 = Date.now();
  // The scheduled SMS beside the load (their reminders), one every half second.
  const ahead = load.scheduleAheadSeconds ?? 8;
  const scheduled = new Map<string, { sendAt: number; acceptedAt: number }>();
  const scheduling = (async () => {
    for (let i = 0; ahead > 0 && Date.now() - t0 < load.seconds * 1000; i++) {
      const sendAt = Date.now() + ahead * 1000;
      const body = { customerId: `cluster-${i % 100}`, channel: 'sms', to: { phone: '+14155550100' }, content: { text: 'scheduled' }, sendAt: new Date(sendAt).toISOString() };
      const res = await api.send(body).catch(() => undefined);
      if (res?.status === 202) scheduled.set((res.body as { id: string }).id, { sendAt, acceptedAt: Date.now() });
      await new Promise((r) => setTimeout(r, 500));
    }
  })();
  const gen = createGenerator({ intake: api.base, apiKey: keyOf(stack, 'tenant-a'), concurrency: 64, now: () => Date.now() - t0 });
  let kill: { at: number; pids: number[]; placementAt?: number; answerAt?: number } | undefined;
  let killError: Error | undefined;
  const killing = victim
    ? (async () => {
        await new Promise((r) => setTimeout(r, (load.killAfterSeconds ?? load.seconds / 2) * 1000));
        const instance = dispatchers.find((d) => d.host === victim.name)!.name;
        const active = await activeActors(stack, instance);
        hosts[victim.name]!.activeActors = active;
        // One of its actors, to ask after the kill until it answers again.
        const probe = gen.traces.map((tr) => tr.id).filter((id): id is string => id !== undefined && hostNamed(stack, ownerBefore(id)) === victim.name).at(-1);
        try {
          const { at, pids } = await killHost(stack, victim.name);
          const k: NonNullable<typeof kill> = { at, pids };
          kill = k;
          log(`killed ${victim.name} (${victim.address}): ${pids.length} processes, ${Math.round((at - t0) / 1000)} s into the load`);
          await Promise.all([
            // When placement's table lets it go.
            waitFor(`placement to drop ${victim.name}`, async () => {
              const names = await placementHosts(stack).catch(() => undefined);
              return names && !names.some((n) => hostNamed(stack, n) === victim.name) ? true : undefined;
            }, 120_000, 100).then(() => {
              k.placementAt = Date.now();
              log(`placement dropped ${victim.name} from its table after ${((k.placementAt - at) / 1000).toFixed(1)} s`);
            }),
            // When one of its actors answers again.
            probe &&
              waitFor(`an actor of ${victim.name} to answer`, async () => ((await api.status(probe).catch(() => undefined))?.status === 200 ? true : undefined), 120_000, 100).then(() => {
                k.answerAt = Date.now();
                log(`an actor of ${victim.name} answered again after ${((k.answerAt - at) / 1000).toFixed(1)} s`);
              }),
          ]);
        } catch (err) {
          killError = err instanceof Error ? err : new Error(String(err));
        }
      })()
    : Promise.resolve();
  const progress = setInterval(() => log(`${Math.round((Date.now() - t0) / 1000)} s: ${gen.counts.accepted} accepted, ${gen.counts.shed} shed, ${gen.counts.errors} failed`), 10_000);
  try {
    await gen.run(steadyPlan({ ratePerSec: load.ratePerSec, durationMs: load.seconds * 1000, criticalShare: 0.2 }));
  } finally {
    clearInterval(progress);
    await gen.close();
  }
  await scheduling;
  const loadEnd = Date.now();
  // Each surviving host's active actors at the end of the load (the killed one's were read at the kill).
  for (const d of dispatchers) if (d.host && d.host !== victim?.name) hosts[d.host]!.activeActors = await activeActors(stack, d.name);
  await killing;
  if (killError) throw killError;

  const ids = [...gen.traces.flatMap((t) => (t.id ? [t.id] : [])), ...scheduled.keys()];
  const refused: Record<string, number> = {};
  for (const t of gen.traces) if (!t.id) refused[t.code ?? String(t.status)] = (refused[t.code ?? String(t.status)] ?? 0) + 1;
  log(`load done: ${ids.length} accepted of ${gen.traces.length}; waiting for them to settle`);
  const statuses = await waitSettled(api, ids, load.settleSeconds * 1000);
  const views = await viewsOf(api, ids, 32);
  const t = tally(statuses, new Map());
  const sent = [...statuses.values()].filter((s) => SENT.has(s)).length;
  t.duplicates = Math.max(0, (await providerSends(stack)) - sendsBefore - sent);

  // Where each notification's actor was (the table before the kill; after it, the survivors'),
  // and when each settled.
  const acceptedAt = new Map([
    ...gen.traces.flatMap((tr) => (tr.id ? [[tr.id, t0 + tr.endMs] as const] : [])),
    ...[...scheduled].map(([id, s]) => [id, s.acceptedAt] as const),
  ]);
  const ownerAfter = kill ? placementRing(tableBefore.filter((n) => hostNamed(stack, n) !== victim?.name)) : ownerBefore;
  /** Whether a notification was accepted after the kill, and the host its actor was placed on then. */
  const placement = (id: string): { afterKill: boolean; owner: string } => {
    const afterKill = kill !== undefined && (acceptedAt.get(id) ?? 0) > kill.at;
    return { afterKill, owner: hostNamed(stack, (afterKill ? ownerAfter : ownerBefore)(id)) };
  };
  const settleTimes: number[] = [];
  const deadHosts: NotificationView[] = [];
  for (const [id, view] of views) {
    const { afterKill, owner } = placement(id);
    const figures = hosts[owner];
    if (figures) figures[afterKill ? 'placedAfterKill' : 'placedBeforeKill']++;
    if (typeof view === 'string') continue;
    const at = settledAt(view);
    if (at !== undefined) settleTimes.push(at);
    // The dead host's: actors it had (accepted before the kill and placed there).
    if (kill && !afterKill && owner === victim?.name) deadHosts.push(view);
  }
  const lastSettled = Math.max(...settleTimes);
  const outcome: ClusterOutcome = {
    hosts,
    offered: gen.traces.length + scheduled.size,
    accepted: ids.length,
    refused,
    completedPerSec: round(settleTimes.filter((at) => at <= loadEnd).length / ((loadEnd - t0) / 1000)),
    settledPerSecOverall: round(settleTimes.length / ((lastSettled - t0) / 1000)),
    drainSeconds: round((lastSettled - loadEnd) / 1000),
    tally: t,
    unsettled: [],
  };
  const origin = kill?.at ?? t0;
  const rel = (ms: number) => round((ms - origin) / 1000);
  for (const id of ids.filter((x) => !SETTLED.has(statuses.get(x) ?? '')).slice(0, 20)) {
    const view = views.get(id);
    const sendAt = scheduled.get(id)?.sendAt;
    outcome.unsettled.push({
      id,
      host: placement(id).owner,
      acceptedAt: rel(acceptedAt.get(id) ?? NaN),
      ...(sendAt ? { sendAt: rel(sendAt) } : {}),
      timeline: typeof view === 'string' ? [view] : view ? view.timeline.map((e) => `${e.status}@${rel(Date.parse(e.at))}`) : [],
    });
  }
  if (kill && victim) {
    const after = (v: NotificationView, pick: (status: string) => boolean) =>
      v.timeline.filter((e) => pick(e.status) && Date.parse(e.at) > kill!.at).map((e) => Date.parse(e.at));
    const firstOf = (xs: number[]) => (xs.length ? round((Math.min(...xs) - kill!.at) / 1000) : undefined);
    const settledAfter = deadHosts.flatMap((v) => after(v, (s) => SETTLED.has(s)).slice(0, 1));
    // The dead host's reminders: its scheduled notifications due after the kill, and how late each was first dispatched.
    const reminders = deadHosts.filter((v) => (scheduled.get(v.id)?.sendAt ?? 0) > kill!.at);
    const lateness = reminders.flatMap((v) => after(v, (s) => s === 'dispatched').slice(0, 1).map((at) => (at - scheduled.get(v.id)!.sendAt) / 1000));
    outcome.takeover = {
      host: victim.name,
      killedPids: kill.pids.length,
      placementSeconds: kill.placementAt === undefined ? undefined : round((kill.placementAt - kill.at) / 1000),
      answerSeconds: kill.answerAt === undefined ? undefined : round((kill.answerAt - kill.at) / 1000),
      firstActorSeconds: firstOf(deadHosts.flatMap((v) => after(v, (s) => s !== 'accepted'))),
      firstSettledSeconds: firstOf(settledAfter),
      allSettledSeconds: settledAfter.length ? round((Math.max(...settledAfter) - kill.at) / 1000) : undefined,
      unsettledAtKill: deadHosts.filter((v) => (settledAt(v) ?? Infinity) > kill!.at).length,
      remindersDueAfterKill: reminders.length,
      remindersLateMaxSeconds: lateness.length ? round(Math.max(...lateness)) : undefined,
    };
  }
  return outcome;
}

const round = (n: number): number => Math.round(n * 10) / 10;

/** The outcome as rows for a person to read. */
export function formatCluster(o: ClusterOutcome, load: ClusterLoad): string {
  const rows: Array<[string, string | number]> = [
    ['offered', `${o.offered} (${load.ratePerSec}/s for ${load.seconds} s${load.scheduleAheadSeconds === 0 ? '' : `, and 2/s scheduled ${load.scheduleAheadSeconds ?? 8} s ahead`})`],
    ['accepted (202)', o.accepted],
    ...Object.entries(o.refused).map(([why, n]): [string, number] => [`refused: ${why}`, n]),
    ...Object.entries(o.hosts).map(([name, h]): [string, string] => [
      `host ${name} (${h.address})`,
      `actors active ${h.activeActors ?? '?'}; placed there: ${h.placedBeforeKill}${o.takeover ? ` before the kill, ${h.placedAfterKill} after` : ''}`,
    ]),
    ['completed/s while loaded', o.completedPerSec],
    ['settled/s, start to last settled', o.settledPerSecOverall],
    ['drained after the load in, s', o.drainSeconds],
    ...Object.entries(o.tally.byStatus).map(([status, n]): [string, number] => [`settled ${status}`, n]),
    ['lost (never settled)', o.tally.lost],
    ...Object.entries(o.tally.unsettled).map(([status, n]): [string, number] => [`  of which last seen ${status}`, n]),
    ['duplicates (provider sends beyond one per sent)', o.tally.duplicates],
  ];
  if (o.takeover) {
    const k = o.takeover;
    const s = (n: number | undefined) => (n === undefined ? 'n/a' : n.toFixed(1));
    rows.push(
      ['killed host', `${k.host} (${k.killedPids} processes, kill -9)`],
      ['takeover: placement dropped it from its table after, s', s(k.placementSeconds)],
      ['takeover: an actor of it answered again after, s', s(k.answerSeconds)],
      ["takeover: first transition of its actors after, s", s(k.firstActorSeconds)],
      ['takeover: first of its notifications settled after, s', s(k.firstSettledSeconds)],
      ['takeover: last of its notifications settled after, s', s(k.allSettledSeconds)],
      ['its notifications unsettled at the kill', k.unsettledAtKill],
      ['its reminders due after the kill', k.remindersDueAfterKill],
      ['takeover: its latest reminder fired late by, s', s(k.remindersLateMaxSeconds)],
    );
  }
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n');
}
