import { errMessage } from '@herald/service';
import type { BulkPublishPort } from './sidecar.js';

/** Publishes events one by one to its callers, in bulk to the sidecar. */
export interface GroupPublisher {
  /**
   * Publishes one event to `topic` of `pubsub`, with this message's component metadata (e.g. its
   * priority). Resolves undefined once the sidecar has confirmed it, or the reason it is not
   * published. Never rejects. `traceparent`: the trace the event goes on in; the subscriber's
   * sidecar continues it.
   */
  publish(pubsub: string, topic: string, event: unknown, metadata?: Record<string, string>, traceparent?: string): Promise<string | undefined>;
}

export interface GroupPublisherOptions {
  sidecar: BulkPublishPort;
  /** Bulk publishes in flight per topic at once. */
  maxInFlight?: number;
  /** Entries in one bulk publish. */
  maxBatch?: number;
}

interface Waiting {
  event: unknown;
  metadata: Record<string, string> | undefined;
  traceparent: string | undefined;
  settle: (reason: string | undefined) => void;
}

interface Topic {
  pubsub: string;
  topic: string;
  waiting: Waiting[];
  inFlight: number;
  pumpQueued: boolean;
}

/**
 * Dapr's CloudEvent override (Dapr docs, "Pub/sub API", `cloudevent.` metadata): the sidecar
 * writes it into the envelope as the message's traceparent. One bulk request has one traceparent
 * header, but its events may belong to as many traces; with this each envelope carries its own,
 * and the subscriber's sidecar starts its delivery span in the event's trace.
 */
const CLOUDEVENT_TRACEPARENT = 'cloudevent.traceparent';

/**
 * Group commit over Dapr's bulk publish (Dapr docs, "Pub/sub API", bulk publish), per topic. A
 * publish goes out at once while fewer than `maxInFlight` are on their way to that topic; beyond
 * that, events wait and leave together in the next bulk publish as soon as one returns. At low
 * load nothing waits (no timer: what is published in the same tick leaves together, at the end
 * of that tick); under load many concurrent callers share one sidecar request, which costs the
 * sidecar a fraction of one request per event (docs/performance.md, "What each Dapr hop costs
 * here, measured alone": bulk publish against one by one). A broker without bulk publish of
 * its own (RabbitMQ) still gets one publish per event from the sidecar: what is saved is the
 * request from app to sidecar. An event is answered only when the sidecar has confirmed it, so
 * a resolved publish still means published.
 */
export function createGroupPublisher(opts: GroupPublisherOptions): GroupPublisher {
  const maxInFlight = opts.maxInFlight ?? 4;
  const maxBatch = opts.maxBatch ?? 200;
  const topics = new Map<string, Topic>();

  function pump(t: Topic): void {
    while (t.inFlight < maxInFlight && t.waiting.length > 0) {
      const batch = t.waiting.splice(0, maxBatch);
      t.inFlight++;
      void send(t, batch).finally(() => {
        t.inFlight--;
        pump(t);
      });
    }
  }

  async function send(t: Topic, batch: Waiting[]): Promise<void> {
    const entries = batch.map((w, i) => {
      const metadata = w.traceparent ? { ...w.metadata, [CLOUDEVENT_TRACEPARENT]: w.traceparent } : w.metadata;
      return { entryId: String(i), event: w.event, ...(metadata ? { metadata } : {}) };
    });
    // A request of one event is that event's hop: its sidecar's spans join the event's trace.
    const only = batch.length === 1 ? batch[0]?.traceparent : undefined;
    try {
      const failed = await (only ? opts.sidecar.publishBulk(t.pubsub, t.topic, entries, { traceparent: only }) : opts.sidecar.publishBulk(t.pubsub, t.topic, entries));
      batch.forEach((w, i) => w.settle(failed.get(String(i))));
    } catch (err) {
      const reason = errMessage(err);
      for (const w of batch) w.settle(reason);
    }
  }

  return {
    publish(pubsub, topic, event, metadata, traceparent) {
      const key = `${pubsub}\u0000${topic}`;
      let t = topics.get(key);
      if (!t) topics.set(key, (t = { pubsub, topic, waiting: [], inFlight: 0, pumpQueued: false }));
      const target = t;
      const settled = new Promise<string | undefined>((settle) => target.waiting.push({ event, metadata, traceparent, settle }));
      if (!target.pumpQueued) {
        target.pumpQueued = true;
        queueMicrotask(() => {
          target.pumpQueued = false;
          pump(target);
        });
      }
      return settled;
    },
  };
}
