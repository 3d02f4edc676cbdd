import { errMessage, header, type HttpRequest, type HttpResponse, type Logger, type Route } from '@herald/service';
import { ACTOR_REFUSED_FIELD, failsEveryTime } from './actor-refusal.js';
import type { ActorStateCache, ActorStateHandle } from './actor-state.js';

// The app side of Dapr's actor protocol (Dapr docs, "Actors API reference", the endpoints the
// app serves): daprd places each actor, runs one turn at a time per actor, keeps reminders,
// and calls us here. We answer `GET /dapr/config` (the types we host), run methods and
// reminders, and drop an actor's cached state when daprd deactivates it.
//
// Why not the @dapr/dapr actor runtime: per fresh actor it also asked the sidecar for its
// metadata and read the state key twice, and ran every call through express; the same turn
// cost far more than the protocol itself (docs/performance.md, "What each Dapr hop costs here,
// measured alone", and "Why node:http"). Everything else the SDK's runtime did for us is the
// sidecar's job anyway.

/** What a method or reminder of one actor works with during its turn. */
export interface ActorTurn {
  readonly actorType: string;
  readonly id: string;
  readonly state: ActorStateHandle;
  /**
   * The trace daprd delivered the call in (its `traceparent` header): the caller's, through the
   * sidecars' spans. A reminder's is a trace daprd started itself.
   */
  readonly traceparent?: string | undefined;
}

/** The body daprd sends when a reminder fires. */
export interface ReminderFired {
  data?: unknown;
  dueTime?: string;
  period?: string;
}

export interface ActorDefinition {
  type: string;
  /** Methods by name: the body is the caller's, the result goes back to the caller as JSON. */
  methods: Record<string, (turn: ActorTurn, body: unknown) => Promise<unknown>>;
  /** Reminders by name. */
  reminders: Record<string, (turn: ActorTurn, fired: ReminderFired) => Promise<void>>;
}

/** The actor settings daprd reads from `GET /dapr/config` (Go durations). */
export interface ActorRuntimeConfig {
  actorIdleTimeout: string;
  actorScanInterval: string;
  drainOngoingCallTimeout: string;
  drainRebalancedActors: boolean;
}

export interface ActorHostOptions {
  actors: ActorDefinition[];
  cache: ActorStateCache;
  config: ActorRuntimeConfig;
  log: Logger;
}

export function createActorHost(opts: ActorHostOptions): Route {
  const types = new Map(opts.actors.map((a) => [a.type, a]));
  const appConfig = {
    entities: [...types.keys()],
    ...opts.config,
    // Off: one turn at a time per actor is what makes the state cache valid.
    reentrancy: { enabled: false },
  };
  const notFound = (error: string): Promise<HttpResponse> => Promise.resolve({ status: 404, json: { error } });

  async function run(what: string, turn: ActorTurn, work: () => Promise<unknown>): Promise<HttpResponse> {
    try {
      return { status: 200, json: (await work()) ?? null };
    } catch (err) {
      // daprd hands any non-200 answer to the caller as the call's error. 404 stays reserved
      // for an unknown method, which daprd treats as permanent.
      // A turn that would fail the same way every time says so, so whoever holds the message
      // that caused it can park it rather than ask forever (actor-refusal.ts).
      const refused = failsEveryTime(err);
      opts.log.warn({ actorType: turn.actorType, actorId: turn.id, call: what, err: errMessage(err), refused }, 'actor turn failed');
      return { status: 500, json: { error: errMessage(err), ...(refused ? { [ACTOR_REFUSED_FIELD]: true } : {}) } };
    }
  }

  return (req: HttpRequest) => {
    if (req.method === 'GET' && req.path === '/healthz') return Promise.resolve({ status: 200, json: { status: 'ok' } });
    if (req.method === 'GET' && req.path === '/dapr/config') return Promise.resolve({ status: 200, json: appConfig });
    if (!req.path.startsWith('/actors/')) return undefined;

    // /actors/<type>/<id>[/method/<name> | /method/remind/<name> | /method/timer/<name>]
    let segments: string[];
    try {
      segments = req.path.slice('/actors/'.length).split('/').map(decodeURIComponent);
    } catch {
      return Promise.resolve({ status: 400, json: { error: 'malformed actor path' } });
    }
    const [type = '', id = '', ...rest] = segments;
    const actor = types.get(type);
    if (!actor || !id) return notFound(`no actor type ${type}`);

    if (req.method === 'DELETE' && rest.length === 0) {
      // Deactivation (idle, or moved to another host): the next activation reads the store.
      opts.cache.evict(type, id);
      return Promise.resolve({ status: 200 });
    }
    if (req.method !== 'PUT' || rest[0] !== 'method' || rest.length < 2) return notFound('no such actor route');

    const turn: ActorTurn = { actorType: type, id, state: opts.cache.handle(type, id), traceparent: header(req.headers, 'traceparent') };
    const [, kind = '', name = ''] = rest;
    if (rest.length === 3 && kind === 'remind') {
      const handler = Object.hasOwn(actor.reminders, name) ? actor.reminders[name] : undefined;
      if (!handler) {
        // Nothing registers such a reminder any more; failing it would only make daprd retry.
        opts.log.warn({ actorType: type, actorId: id, reminder: name }, 'unknown reminder ignored');
        return Promise.resolve({ status: 200 });
      }
      return req.json().then((body) => run(`remind/${name}`, turn, () => handler(turn, reminderFired(body))));
    }
    if (rest.length === 3 && kind === 'timer') return notFound('this host registers no timers');
    const method = rest.length === 2 && Object.hasOwn(actor.methods, kind) ? actor.methods[kind] : undefined;
    if (!method) return notFound(`no method ${rest.slice(1).join('/')} on ${type}`);
    return req.json().then((body) => run(kind, turn, () => method(turn, body)));
  };
}

function reminderFired(body: unknown): ReminderFired {
  if (!body || typeof body !== 'object') return {};
  const b = body as Record<string, unknown>;
  return {
    ...('data' in b ? { data: b.data } : {}),
    ...(typeof b.dueTime === 'string' ? { dueTime: b.dueTime } : {}),
    ...(typeof b.period === 'string' ? { period: b.period } : {}),
  };
}
