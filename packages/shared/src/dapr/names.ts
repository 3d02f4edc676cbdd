import type { Channel, Priority } from '../contracts/notification-request.js';

// Names shared by several apps and the component YAML. One place, so a rename is one change.

export const NOTIFICATION_ACTOR = 'NotificationActor';

/** The pub/sub topic of a lane. `prefix` lets tests and regions run isolated streams. */
export function laneTopic(priority: Priority, prefix = ''): string {
  return `${prefix}notifications-${priority}`;
}

/** The output binding (dispatcher side) and input binding (channel side) of a channel's queue. */
export function channelOutBinding(channel: Channel): string {
  return `${channel}-queue-out`;
}
export function channelInBinding(channel: Channel): string {
  return `${channel}-queue-in`;
}

/** Where messages that can never be processed are parked, with their reason. */
export function deadLetterTopic(prefix = ''): string {
  return `${prefix}dead-letter`;
}
