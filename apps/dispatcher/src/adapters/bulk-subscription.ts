import { PrioritySchema, type Priority } from '@herald/contracts';
import { errMessage, type HttpRequest, type HttpResponse, type Logger, type Route } from '@herald/service';
import { lanePubsub, laneTopic } from '@herald/dapr';
import type { LaneGate } from '../domain/lane-gate.js';
import type { EntryHandler, EntryStatus } from './accepted-subscription.js';

// The lanes' subscriptions, as Dapr bulk subscriptions (Dapr docs, "Publish and subscribe to
// bulk messages"): the sidecar collects up to maxMessagesCount messages, or what came within
// maxAwaitDurationMs, and POSTs them in one request; the answer settles each entry on its own.
// A batch costs the sidecar and the app one request instead of one per message, which is most
// of what a subscription costs (docs/performance.md, "What each Dapr hop costs here, measured
// alone": the pub/sub rows, one by one against bulk).

export interface LaneBatching {
  maxMessagesCount: number;
  /** How long the sidecar waits to fill a batch: the latency every entry of the lane may pay. */
  maxAwaitDurationMs: number;
}

export interface LaneSubscriptionsOptions {
  pubsubName: string;
  topicPrefix: string;
  batching: Record<Priority, LaneBatching>;
  /** The handler of each lane's entries. */
  handlers: Record<Priority, EntryHandler>;
  /** Which entries start now: critical first, bulk while critical leaves room. */
  gate: LaneGate;
  log: Logger;
}

const lanePath = (lane: Priority): string => `/events/${lane}`;

/** The programmatic subscriptions the sidecar reads from `GET /dapr/subscribe`. */
export function laneSubscriptions(opts: Pick<LaneSubscriptionsOptions, 'pubsubName' | 'topicPrefix' | 'batching'>) {
  return PrioritySchema.options.map((lane) => ({
    pubsubname: lanePubsub(lane, opts.pubsubName),
    topic: laneTopic(lane, opts.topicPrefix),
    route: lanePath(lane),
    bulkSubscribe: { enabled: true, ...opts.batching[lane] },
  }));
}

/** One entry of a bulk delivery, as the sidecar sends it. */
interface BulkEntry {
  entryId: string;
  event: unknown;
}

export function createLaneSubscriptions(opts: LaneSubscriptionsOptions): Route {
  const subscriptions = laneSubscriptions(opts);
  const lanes = new Map(PrioritySchema.options.map((lane) => [lanePath(lane), lane]));

  async function deliver(lane: Priority, body: unknown): Promise<HttpResponse> {
    const entries = bulkEntries(body);
    if (!entries) {
      // Not a bulk delivery at all: every entry of it stays pending and comes again.
      opts.log.error({ lane }, 'malformed bulk delivery refused');
      return { status: 400, json: { error: 'expected a bulk delivery with entries' } };
    }
    const statuses = await Promise.all(
      entries.map(async (entry) => {
        const { data, traceparent } = payloadOf(entry);
        let status: EntryStatus;
        try {
          status = await opts.gate.run(lane, () => opts.handlers[lane](data, traceparent));
        } catch (err) {
          // Handlers answer with a status; a throw is a bug, and the message is worth another try.
          opts.log.error({ lane, err: errMessage(err) }, 'entry handler threw');
          status = 'RETRY';
        }
        return { entryId: entry.entryId, status };
      }),
    );
    return { status: 200, json: { statuses } };
  }

  return (req: HttpRequest) => {
    if (req.method === 'GET' && req.path === '/dapr/subscribe') return Promise.resolve({ status: 200, json: subscriptions });
    const lane = req.method === 'POST' ? lanes.get(req.path) : undefined;
    return lane ? req.json().then((body) => deliver(lane, body)) : undefined;
  };
}

function bulkEntries(body: unknown): BulkEntry[] | undefined {
  if (!body || typeof body !== 'object' || !('entries' in body) || !Array.isArray(body.entries)) return undefined;
  // An entry without an id cannot be answered; the sidecar checks ids before sending, so none
  // comes here, and one that did would be redelivered for want of an answer.
  return (body.entries as unknown[]).filter(
    (e): e is BulkEntry => !!e && typeof e === 'object' && 'entryId' in e && typeof e.entryId === 'string' && e.entryId !== '',
  );
}

/**
 * The published data of an entry, and the trace of the CloudEvent that carried it. A CloudEvent
 * comes as an object (`data`, or `data_base64` for binary data); a raw payload as base64.
 */
export function payloadOf(entry: { event: unknown }): { data: unknown; traceparent: string | undefined } {
  const { event } = entry;
  if (typeof event === 'string') return { data: decodeBase64(event), traceparent: undefined };
  if (!event || typeof event !== 'object') return { data: event, traceparent: undefined };
  const ce = event as Record<string, unknown>;
  const traceparent = typeof ce.traceparent === 'string' ? ce.traceparent : undefined;
  if ('data' in ce) return { data: ce.data, traceparent };
  if (typeof ce.data_base64 === 'string') return { data: decodeBase64(ce.data_base64), traceparent };
  return { data: event, traceparent };
}

function decodeBase64(text: string): unknown {
  const decoded = Buffer.from(text, 'base64').toString('utf8');
  try {
    return JSON.parse(decoded) as unknown;
  } catch {
    return decoded;
  }
}
