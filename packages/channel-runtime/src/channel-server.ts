import { createServer, type IncomingMessage, type Server } from 'node:http';
import { PrioritySchema, type Channel, type Priority } from '@herald/contracts';
import { channelPubsub, channelTopic, QUEUE_MAX_PRIORITY } from '@herald/dapr';
import { readBody } from '@herald/service';
import { errMessage, type Logger } from '@herald/service';
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
}

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

/**
 * The channel app's HTTP face toward its sidecar (Dapr docs, "Pub/sub API"): the sidecar reads
 * `/dapr/subscribe` once, then POSTs each message of a lane's queue to that lane's route, many
 * at once (the component's prefetch bounds how many). The answer `{status}` settles the message:
 * SUCCESS acknowledges it, RETRY puts it back on the queue.
 */
export function startChannelServer(opts: ChannelServerOptions): Promise<Server> {
  const maxBody = opts.maxBodyBytes ?? 1024 * 1024;
  const subscriptions = channelSubscriptions(opts.channel, opts.topicPrefix);
  const laneOfRoute = new Map(PrioritySchema.options.map((lane) => [lanePath(lane), lane]));
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const reply = (status: number, body?: unknown) => {
      res.writeHead(status, body === undefined ? {} : { 'content-type': 'application/json' });
      res.end(body === undefined ? undefined : JSON.stringify(body));
    };
    if (req.method === 'GET' && path === '/dapr/subscribe') return reply(200, subscriptions);
    const lane = req.method === 'POST' && path ? laneOfRoute.get(path) : undefined;
    if (lane) {
      opts.inHand?.begin(lane);
      readJson(req, maxBody)
        .then((body) => {
          const event = cloudEventData(body);
          return opts.worker.handle(event.data, event.traceparent ?? header(req, 'traceparent'));
        })
        .then((ack) => {
          opts.inHand?.end(lane, ack === 'ack');
          reply(200, { status: ack === 'ack' ? 'SUCCESS' : 'RETRY' });
        })
        .catch((err: unknown) => {
          // Redelivering it would fail the same way.
          opts.inHand?.end(lane, true);
          opts.log.error({ err: errMessage(err) }, 'unreadable queue message dropped');
          reply(200, { status: 'SUCCESS' });
        });
      return;
    }
    if (req.method === 'GET' && path === '/healthz') return reply(200, { status: 'ok' });
    const route = req.method === 'GET' && path ? opts.routes?.[path] : undefined;
    if (route) return reply(200, route());
    return reply(404, { error: { code: 'route_not_found', message: 'no such route' } });
  });
  server.keepAliveTimeout = 65_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve(server));
  });
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

async function readJson(req: IncomingMessage, maxBytes: number): Promise<unknown> {
  return JSON.parse((await readBody(req, maxBytes)).toString('utf8')) as unknown;
}
