import type { NotificationAccepted } from '@herald/contracts';
import { createGroupPublisher, lanePubsub, laneTopic, type BulkPublishPort } from '@herald/dapr';

/** Publishes accepted notifications on their lane's topic. */
export interface LanePublisher {
  /**
   * Publishes each event; resolves, per event in order, with undefined when it is published or
   * the reason it is not. Never rejects.
   */
  publish(events: readonly NotificationAccepted[]): Promise<Array<string | undefined>>;
}

export interface LanePublisherOptions {
  sidecar: BulkPublishPort;
  /** The bulk lane's component; the critical lane's is its `-critical` namesake (lanePubsub). */
  pubsubName: string;
  topicPrefix: string;
  /** Bulk publishes in flight per lane at once. */
  maxInFlight?: number;
  /** Entries in one bulk publish. */
  maxBatch?: number;
}

/**
 * Each lane's topic through one group commit (group-publisher.ts): concurrent requests share a
 * bulk publish, and 202 still means published.
 */
export function createLanePublisher(opts: LanePublisherOptions): LanePublisher {
  const group = createGroupPublisher(opts);
  return {
    publish(events) {
      return Promise.all(
        events.map((event) => group.publish(lanePubsub(event.request.priority, opts.pubsubName), laneTopic(event.request.priority, opts.topicPrefix), event, undefined, event.traceparent)),
      );
    },
  };
}
