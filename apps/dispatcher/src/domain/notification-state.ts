// What a notification actor keeps, and the effects its decisions ask for. The state is the
// tracking record and the audit timeline in one: there is no other copy to keep in step.
import { recipientFieldFor } from '@herald/contracts';
import type {
  Channel,
  ChannelDispatch,
  Content,
  NotificationStatus,
  Preferences,
  Priority,
  Recipient,
  StatusEvent,
  TimelineEntry,
} from '@herald/contracts';

export interface NotificationState {
  id: string;
  tenantId: string;
  customerId: string;
  /** Channels in the order they are tried; `channelIndex` is the one in use. */
  channels: Channel[];
  channelIndex: number;
  priority: Priority;
  to: Recipient;
  content: Content;
  metadata?: Record<string, string>;
  sendAt?: string;
  expiresAt?: string;
  status: NotificationStatus;
  /** The current (or last) delivery attempt, counted across channels; 0 before the first. */
  attempt: number;
  /** Attempts made on the channel in use. */
  channelAttempts: number;
  /** While scheduled or retrying: when the actor's reminder is due (ISO time). */
  wakeAt?: string;
  /** While dispatched: by when the channel's report is expected, else the attempt is handed over again (ISO time). */
  dueBy?: string;
  /** While dispatched: how many times the current attempt has been handed to its queue. */
  handoffs?: number;
  /** While dispatched: how many of those hand-overs the queue refused or left in doubt. */
  failedHandoffs?: number;
  /** What the provider called the message it accepted: matches its later delivery callbacks. */
  providerMessageId?: string;
  /** The trace the notification was accepted in; the first dispatch continues it. */
  traceId?: string;
  createdAt: string;
  updatedAt: string;
  timeline: TimelineEntry[];
}

/** The customer's preferences as the actor could read them (the read happens at the edge). */
export type PreferencesLookup =
  | { kind: 'found'; preferences: Preferences }
  | { kind: 'none' }
  | { kind: 'unavailable'; reason: string };

export type Effect =
  | { type: 'send'; dispatch: ChannelDispatch }
  /** Wake the actor at `at` (ISO time); replaces any reminder set before. */
  | { type: 'schedule-wake'; at: string }
  | { type: 'cancel-wake' }
  /**
   * Put the notification on the watchdog's list, due at `at` (ISO time), replacing its place
   * there. Performed before the state is saved: a dispatch is never recorded without a deadline
   * someone will notice.
   */
  | { type: 'watch'; at: string }
  /** Take the notification off the watchdog's list: it waits for nothing any more. */
  | { type: 'unwatch' }
  /** Tell whoever listens (webhooks) about the timeline entry at `index`. */
  | { type: 'notify'; index: number };

export function currentChannel(state: Pick<NotificationState, 'channels' | 'channelIndex'>): Channel {
  const channel = state.channels[state.channelIndex] ?? state.channels[0];
  if (!channel) throw new Error('a notification without a channel');
  return channel;
}

/**
 * The message for the channel's queue, for the attempt in flight. It carries only the
 * recipient field that channel needs: the push queue never holds an email address.
 */
export function sendOf(state: NotificationState): ChannelDispatch {
  const channel = currentChannel(state);
  const field = recipientFieldFor[channel];
  return {
    schemaVersion: 1,
    notificationId: state.id,
    attempt: state.attempt,
    channel,
    priority: state.priority,
    to: { [field]: state.to[field] },
    content: state.content,
    ...(state.expiresAt ? { expiresAt: state.expiresAt } : {}),
  };
}

/** Builds a timeline entry without undefined-valued keys (they would not survive JSON anyway). */
export function entry(fields: { [K in keyof TimelineEntry]: TimelineEntry[K] | undefined }): TimelineEntry {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as TimelineEntry;
}

/** The status event for the timeline entry at `index` (what webhooks receive): no PII. */
export function statusEventOf(state: NotificationState, index: number): StatusEvent | undefined {
  const e = state.timeline[index];
  if (!e) return undefined;
  return {
    schemaVersion: 1,
    id: `${state.id}.${index}`,
    type: 'notification.status',
    tenantId: state.tenantId,
    notificationId: state.id,
    customerId: state.customerId,
    ...e,
    ...(state.metadata ? { metadata: state.metadata } : {}),
  };
}
