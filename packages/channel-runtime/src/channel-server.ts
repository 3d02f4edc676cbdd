import type { Server } from 'node:http';
import { PrioritySchema, type Channel, type Priority } from '@herald/contracts';
import { channelPubsub, channelTopic, QUEUE_MAX_PRIORITY } from '@herald/dapr';
import { errMessage, header, requireAppToken, startHttpServer, type HttpRequest, type HttpResponse, type Logger, type Route } from '@herald/service';
import type { ChannelWorker } from './channel-worker.js';
import type { InHandCounter } from '@herald/stores';

export interface ChannelServerOptions {
  host: string;
  port: number;
  channel: Channel;
  /** Prefixes the channel topics (tests and regions run isolated queues). */
  topicPrefix: string;
  worker: ChannelWorker;
  /** Counts the dispatches this replica holds, per lane, for intake's admission control. */
  inHand?: Pick<InHandCounter, 'begin' | 'end'>;
  log: Logger;
  /** Extra read-only routes (e.g. the sandbox's record), path → JSON producer. */
  routes?: Record<string, () => unknown>;
  maxBodyBytes?: number;
  /**
   * Dapr's app token (APP_API_TOKEN): with it, the queue deliveries and the subscriptions are
   * served only to a request that carries it, from the sidecar, and so is the sandbox's record
   * (what it would have sent, opened) but to a caller on this machine. The health check and the
   * counts stay open.
   */
  appToken?: string | undefined;
  /** `GET /metrics` (metricsRoute of @herald/service), served before the app token's check with its own access settings. */
  metricsRoute?: Route;
}

/** A peer on this machine: 127.0.0.0/8 or ::1, as the socket gives it (an IPv4 one may come mapped). */
export const isLoopback = (address: string | undefined): boolean => address !== undefined && /^(127\.|::1$|::ffff:127\.)/.test(address);

/** Where the sidecar delivers a lane's queue messages. */
const lanePath = (lane: Priority): string => `/queues/${lane}`;

/**
 * The channel's subscriptions: its queue in each lane (Dapr docs, "Pub/sub API", programmatic
 * subscriptions). RabbitMQ declares each queue with `x-max-priority`, so a retry can go ahead of
 * first attempts. Replicas of the app share one queue per lane (the queue is named after the app
 * id and the topic), so they compete for messages.
 */
export function channelSubscriptions(channel: Channel, topicPrefix: string) {
  return PrioritySchema.options.map((lane) => ({
    pubsubname: channelPubsub(lane),
    topic: channelTopic(channel, lane, topicPrefix),
    route: lanePath(lane),
    metadata: { maxPriority: String(QUEUE_MAX_PRIORITY) },
  }));
}

/** The payload of a delivered CloudEvent (the dispatch the dispatcher published). */
function cloudEventData(body: unknown): { data: unknown; traceparent?: string } {
  if (body && typeof body === 'object' && 'data' in body) {
    const traceparent = 'traceparent' in body && typeof body.traceparent === 'string' ? body.traceparent : undefined;
    return { data: body.data, ...(traceparent ? { traceparent } : {}) };
  }
  return { data: body };
}

const ok = (json: unknown): Promise<HttpResponse> => Promise.resolve({ status: 200, json });

/**
 * The channel app's HTTP face toward its sidecar (Dapr docs, "Pub/sub API"): the sidecar reads
 * `/dapr/subscribe` once, then POSTs each message of a lane's queue to that lane's route, many
 * at once (the component's prefetch bounds how many). The answer `{status}` settles the message:
 * SUCCESS acknowledges it, RETRY puts it back on the queue. `GET /stats` answers the worker's
 * counts (`{ undecryptable, erased }`).
 */
export function startChannelServer(opts: ChannelServerOptions): Promise<Server> {
  const subscriptions = channelSubscriptions(opts.channel, opts.topicPrefix);
  const laneOfRoute = new Map(PrioritySchema.options.map((lane) => [lanePath(lane), lane]));

  async function deliver(lane: Priority, req: HttpRequest): Promise<HttpResponse> {
    opts.inHand?.begin(lane);
    try {
      const body = await req.json();
      if (body === undefined) throw new Error('empty queue message');
      const event = cloudEventData(body);
      // The sidecar's delivery span (its header) before the envelope's trace, which that span continues.
      const ack = await opts.worker.handle(event.data, header(req.headers, 'traceparent') ?? event.traceparent);
      opts.inHand?.end(lane, ack === 'ack');
      return { status: 200, json: { status: ack === 'ack' ? 'SUCCESS' : 'RETRY' } };
    } catch (err) {
      // Redelivering it would fail the same way.
      opts.inHand?.end(lane, true);
      opts.log.error({ err: errMessage(err) }, 'unreadable queue message dropped');
      return { status: 200, json: { status: 'SUCCESS' } };
    }
  }

  const route: Route = (req) => {
    if (req.method === 'GET' && req.path === '/dapr/subscribe') return ok(subscriptions);
    const lane = req.method === 'POST' ? laneOfRoute.get(req.path) : undefined;
    if (lane) return deliver(lane, req);
    if (req.method !== 'GET') return undefined;
    if (req.path === '/healthz') return ok({ status: 'ok' });
    // Counts only, never what a dispatch holds: an operator's alert on `undecryptable` reads it.
    if (req.path === '/stats') return ok(opts.worker.stats());
    const extra = opts.routes?.[req.path];
    return extra ? ok(extra()) : undefined;
  };
  // The extra routes for a caller on this machine (a developer's curl, the tests), whatever the
  // app token: the sandbox's record holds what it would have sent, opened, so from elsewhere it
  // answers the app token only.
  const local: Route = (req) => (req.method === 'GET' && Object.hasOwn(opts.routes ?? {}, req.path) && isLoopback(req.remoteAddress) ? route(req) : undefined);

  return startHttpServer({
    host: opts.host,
    port: opts.port,
    // The health check and the counts (of the sandbox's too) are open to anyone.
    routes: [...(opts.metricsRoute ? [opts.metricsRoute] : []), local, requireAppToken(opts.appToken, (path) => path === '/healthz' || path === '/stats' || path === '/sandbox/count'), route],
    log: opts.log,
    maxBodyBytes: opts.maxBodyBytes,
    answers: { notFound: { status: 404, json: { error: { code: 'route_not_found', message: 'no such route' } } } },
  });
}
