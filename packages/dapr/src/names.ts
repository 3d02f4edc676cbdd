import type { Channel, Priority } from '@herald/contracts';

// Names shared by several apps and the component YAML. One place, so a rename is one change.

export const NOTIFICATION_ACTOR = 'NotificationActor';

/** The pub/sub topic of a lane. `prefix` lets tests and regions run isolated streams. */
export function laneTopic(priority: Priority, prefix = ''): string {
  return `${prefix}notifications-${priority}`;
}

/**
 * The pub/sub component of a lane between intake and the dispatcher: the bulk lane uses the
 * configured one (PUBSUB_NAME), the critical lane its namesake with `-critical`. One component
 * per lane because Dapr's Redis Streams component feeds every topic it serves through one queue
 * and one pool of workers: with both lanes on one component, a bulk backlog filled that queue
 * and critical entries waited behind it (docs/performance.md, "The lanes").
 */
export function lanePubsub(lane: Priority, base = 'pubsub'): string {
  return lane === 'critical' ? `${base}-critical` : base;
}

/**
 * A channel's queue for one lane: the dispatcher publishes a dispatch to it, the channel app
 * subscribes. Each lane is its own pub/sub component (RabbitMQ), so its queue, its prefetch and
 * its consumer concurrency are its own: a bulk backlog never sits in front of a critical
 * message. The topic names the lane too: RabbitMQ makes one exchange per topic name.
 */
export function channelPubsub(lane: Priority): string {
  return `channels-${lane}`;
}
export function channelTopic(channel: Channel, lane: Priority, prefix = ''): string {
  return `${prefix}${channel}-${lane}`;
}

/** The queues' `x-max-priority` (the channel apps declare it on subscribing). */
export const QUEUE_MAX_PRIORITY = 2;

/**
 * Where one dispatch is published: its channel's queue in its lane, with a RabbitMQ priority.
 * A retry or a fallback (attempt > 1) has already waited its backoff, so it goes ahead of
 * first attempts queued behind a burst.
 */
export function dispatchRoute(dispatch: { channel: Channel; priority: Priority; attempt: number }, prefix = '') {
  return {
    pubsub: channelPubsub(dispatch.priority),
    topic: channelTopic(dispatch.channel, dispatch.priority, prefix),
    metadata: { priority: String(dispatch.attempt > 1 ? QUEUE_MAX_PRIORITY : 1) },
  };
}

/** Where messages that can never be processed are parked, with their reason. */
export function deadLetterTopic(prefix = ''): string {
  return `${prefix}dead-letter`;
}
