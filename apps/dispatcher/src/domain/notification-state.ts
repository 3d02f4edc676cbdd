// What a notification actor keeps, and the effects its decisions ask for. The state is the
// tracking record and the audit timeline in one: there is no other copy to keep in step.
//
// The recipient, the content and the metadata values are kept sealed, exactly as intake sealed
// them under the customer's data key: the dispatcher never opens them. Only a channel app opens
// what it sends, and the webhook deliverer the metadata it POSTs.
import type {
  Channel,
  NotificationStatus,
  Preferences,
  Priority,
  Sealed,
  SealedDispatch,
  SealedRecipient,
  StatusEvent,
  TimelineEntry,
} from '@herald/contracts';
import { recipientFor } from './recipient.js';

export interface NotificationState {
  id: string;
  tenantId: string;
  customerId: string;
  /** Channels in the order they are tried; `channelIndex` is the one in use. */
  channels: Channel[];
  channelIndex: number;
  priority: Priority;
  /**
   * The recipient the request gave, field by field (a channel whose field it lacks takes the
   * customer's profile when sending). Absent once the customer is erased, like `content` and
   * `metadata`.
   */
  to?: SealedRecipient;
  /** The content, one sealed JSON. */
  content?: Sealed;
  /** The caller's metadata: the keys in the clear (they name things), each value sealed. */
  metadata?: Record<string, Sealed>;
  /**
   * The customer was erased: recipient, content, metadata and customer id are gone, and the
   * timeline keeps statuses, times, channels and attempts only.
   */
  erased?: true;
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
  /**
   * Where in that trace the actor took the notification up (a W3C traceparent): a turn that
   * arrives without the notification's trace (a reminder, the watchdog, a provider's callback)
   * continues from here, so retries and fallbacks show in the same trace.
   */
  traceparent?: string;
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
  /** Publish to the channel's queue; a dispatch without its channel's recipient takes the customer's profile first. */
  | { type: 'send'; dispatch: SealedDispatch }
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
 * recipient field that channel needs (the push queue never holds an email address), or none
 * when the request left it to the customer's profile: the actor fills it in when sending.
 */
export function sendOf(state: NotificationState): SealedDispatch {
  // Erased notifications are all settled: nothing sends for them (a bug if something asks).
  if (state.content === undefined) throw new Error(`notification ${state.id} has no content to send`);
  const channel = currentChannel(state);
  return {
    schemaVersion: 2,
    notificationId: state.id,
    tenantId: state.tenantId,
    customerId: state.customerId,
    attempt: state.attempt,
    channel,
    priority: state.priority,
    to: recipientFor(channel, state.to ?? {}),
    content: state.content,
    ...(state.expiresAt ? { expiresAt: state.expiresAt } : {}),
  };
}

/** Builds a timeline entry without undefined-valued keys (they would not survive JSON anyway). */
export function entry(fields: { [K in keyof TimelineEntry]: TimelineEntry[K] | undefined }): TimelineEntry {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as TimelineEntry;
}

/**
 * What a status event names as the customer of an erased notification: the event's schema
 * requires one, and the real id is gone.
 */
export const ERASED_CUSTOMER = 'erased';

/**
 * The status event for the timeline entry at `index` (what webhooks receive): no recipient, no
 * content. The metadata values stay sealed here and in the webhook queue; the deliverer opens
 * them just before it POSTs.
 */
export function statusEventOf(state: NotificationState, index: number): StatusEvent | undefined {
  const e = state.timeline[index];
  if (!e) return undefined;
  return {
    schemaVersion: 1,
    id: `${state.id}.${index}`,
    type: 'notification.status',
    tenantId: state.tenantId,
    notificationId: state.id,
    customerId: state.erased ? ERASED_CUSTOMER : state.customerId,
    ...e,
    ...(state.metadata && !state.erased ? { metadata: state.metadata } : {}),
  };
}

/** A timeline entry reduced to what an erased notification keeps: no provider, no reason, no trace. */
export function bareEntry(e: TimelineEntry): TimelineEntry {
  return entry({ at: e.at, status: e.status, channel: e.channel, attempt: e.attempt });
}

/** The reason of an entry that ended a notification because its customer was erased: Herald's code, quoting nothing. */
export const CUSTOMER_ERASED = 'customer_erased';

/**
 * The notification with its customer's data gone: recipient, content and metadata deleted, the
 * customer id emptied (the customer's history finds notifications by it, and must find none),
 * and each timeline entry bare (a provider's reason may quote an address), but for the reason
 * `customer_erased`. A channel that found the customer's key gone may have ended the
 * notification so before the erasure reached its actor; the end keeps saying why.
 */
export function erasedState(state: NotificationState): NotificationState {
  const { to: _to, content: _content, metadata: _metadata, ...rest } = state;
  const bare = (e: TimelineEntry): TimelineEntry => (e.reason === CUSTOMER_ERASED ? { ...bareEntry(e), reason: CUSTOMER_ERASED } : bareEntry(e));
  return { ...rest, customerId: '', erased: true, timeline: state.timeline.map(bare) };
}
