// The lifecycle of one notification, as pure code: decide(state, event, context) returns the
// next state and the effects to perform. The actor (adapters/notification-actor.ts) loads
// state, calls decide, saves, then performs the effects. Every transition appends to the
// timeline; an event that does not apply (a redelivery, a stale or duplicate result)
// changes nothing.
//
//   accepted → dispatched → sent
//                 │   ▲
//                 ▼   │ (reminder: retry due)
//              retrying ──(attempts exhausted)──▶ failed
//   dispatched ──(permanent failure)──▶ failed
//
// The actor saves the new state before performing its effects. If an effect then fails (or
// the process dies in between), the event is delivered again (pub/sub redelivery, a queue
// redelivery of the channel's report) and finds the state already moved: it changes nothing
// but re-issues what that state still owes (`owedEffects`), so nothing is left stranded. Both
// effects are safe to repeat: the channel de-duplicates a send by (notification, attempt), and
// a reminder registered again under its name replaces the first, at the same stored time.
import type {
  Channel,
  ChannelDispatch,
  Content,
  DeliveryResult,
  NotificationAccepted,
  NotificationStatus,
  NotificationView,
  Priority,
  Recipient,
  TimelineEntry,
} from '@herald/shared';
import { retryDelayMs, type RetryPolicy } from './backoff.js';

export interface NotificationState {
  id: string;
  tenantId: string;
  customerId: string;
  channel: Channel;
  priority: Priority;
  to: Recipient;
  content: Content;
  metadata?: Record<string, string>;
  status: NotificationStatus;
  /** The current (or last) delivery attempt; 0 before the first. */
  attempt: number;
  /** While retrying: when the next attempt is due (ISO time). */
  retryAt?: string;
  createdAt: string;
  updatedAt: string;
  timeline: TimelineEntry[];
}

export type NotificationEvent =
  | { type: 'accept'; accepted: NotificationAccepted; traceId?: string | undefined }
  /** The send to the channel's queue failed (the broker or sidecar did not take it). */
  | { type: 'dispatch-failed'; attempt: number; reason: string }
  | { type: 'result'; result: DeliveryResult }
  | { type: 'retry-due'; attempt: number };

export type Effect =
  | { type: 'send'; dispatch: ChannelDispatch }
  /** Wake the actor at `at` (ISO time) to make the attempt after `attempt`. */
  | { type: 'schedule-retry'; attempt: number; at: string };

export interface DecideContext {
  now: Date;
  /** A number in [0, 1) for jitter. */
  random: number;
  policy: RetryPolicy;
}

export interface Decision {
  state: NotificationState | undefined;
  effects: Effect[];
  /** False when the event did not apply: nothing to save, nothing to do. */
  changed: boolean;
}

const unchanged = (state: NotificationState | undefined): Decision => ({ state, effects: [], changed: false });

export function decide(state: NotificationState | undefined, event: NotificationEvent, ctx: DecideContext): Decision {
  const at = ctx.now.toISOString();
  switch (event.type) {
    case 'accept': {
      if (state) return { state, effects: owedEffects(state), changed: false }; // pub/sub redelivery
      const { accepted, traceId } = event;
      const req = accepted.request;
      const created: NotificationState = {
        id: accepted.id,
        tenantId: accepted.tenantId,
        customerId: req.customerId,
        channel: req.channel,
        priority: req.priority,
        to: req.to,
        content: req.content,
        ...(req.metadata ? { metadata: req.metadata } : {}),
        status: 'accepted',
        attempt: 0,
        createdAt: accepted.acceptedAt,
        updatedAt: at,
        timeline: [entry({ at: accepted.acceptedAt, status: 'accepted', channel: req.channel, attempt: 0, traceId })],
      };
      return dispatch(created, at, traceId);
    }

    case 'dispatch-failed': {
      if (!state || state.status !== 'dispatched' || event.attempt !== state.attempt) return unchanged(state);
      return retryOrFail(state, at, event.reason, ctx);
    }

    case 'result':
      return onResult(state, event.result, at, ctx);

    case 'retry-due': {
      if (!state || state.status !== 'retrying' || event.attempt !== state.attempt) return unchanged(state);
      const { retryAt: _done, ...rest } = state;
      return dispatch(rest, at, undefined);
    }
  }
}

function onResult(state: NotificationState | undefined, result: DeliveryResult, at: string, ctx: DecideContext): Decision {
  // Only the result of the attempt in flight counts. A duplicate of the report that moved the
  // state on changes nothing but re-issues what is owed; a late one changes nothing at all.
  if (!state || result.attempt !== state.attempt) return unchanged(state);
  if (state.status !== 'dispatched') return { state, effects: owedEffects(state), changed: false };
  const { outcome } = result;
  const base = { channel: result.channel, attempt: result.attempt, provider: outcome.provider, traceId: result.traceId };
  switch (outcome.kind) {
    case 'sent':
      return transition(state, at, entry({ at, status: 'sent', ...base, providerMessageId: outcome.providerMessageId }));
    case 'permanent':
      return transition(state, at, entry({ at, status: 'failed', ...base, reason: outcome.reason }));
    case 'transient':
      return retryOrFail(state, at, outcome.reason, ctx, outcome.retryAfterMs, outcome.provider, result.traceId);
  }
}

function dispatch(state: NotificationState, at: string, traceId: string | undefined): Decision {
  const attempt = state.attempt + 1;
  const next = appendEntry({ ...state, attempt }, at, entry({ at, status: 'dispatched', channel: state.channel, attempt, traceId }));
  return { state: next, effects: [{ type: 'send', dispatch: sendOf(state, attempt) }], changed: true };
}

function sendOf(state: NotificationState, attempt: number): ChannelDispatch {
  return {
    schemaVersion: 1,
    notificationId: state.id,
    attempt,
    channel: state.channel,
    priority: state.priority,
    to: state.to,
    content: state.content,
  };
}

function retryOrFail(
  state: NotificationState,
  at: string,
  reason: string,
  ctx: DecideContext,
  retryAfterMs?: number,
  provider?: string,
  traceId?: string,
): Decision {
  const base = { at, channel: state.channel, attempt: state.attempt, provider, traceId };
  if (state.attempt >= ctx.policy.maxAttempts) {
    const why = `gave up after ${state.attempt} attempts: ${reason}`;
    return transition(state, at, entry({ ...base, status: 'failed', reason: why }));
  }
  const delayMs = retryDelayMs(ctx.policy, state.attempt, ctx.random, retryAfterMs);
  const retryAt = new Date(ctx.now.getTime() + delayMs).toISOString();
  const next = appendEntry({ ...state, retryAt }, at, entry({ ...base, status: 'retrying', reason }));
  return { state: next, effects: [{ type: 'schedule-retry', attempt: state.attempt, at: retryAt }], changed: true };
}

/** What a state still owes the world, were its effects lost: re-issued on a redelivery. */
export function owedEffects(state: NotificationState): Effect[] {
  if (state.status === 'dispatched') return [{ type: 'send', dispatch: sendOf(state, state.attempt) }];
  if (state.status === 'retrying' && state.retryAt) return [{ type: 'schedule-retry', attempt: state.attempt, at: state.retryAt }];
  return [];
}

function transition(state: NotificationState, at: string, e: TimelineEntry): Decision {
  return { state: appendEntry(state, at, e), effects: [], changed: true };
}

function appendEntry(state: NotificationState, at: string, e: TimelineEntry): NotificationState {
  return { ...state, status: e.status, updatedAt: at, timeline: [...state.timeline, e] };
}

/** Builds a timeline entry without undefined-valued keys (they would not survive JSON anyway). */
function entry(fields: { [K in keyof TimelineEntry]: TimelineEntry[K] | undefined }): TimelineEntry {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as TimelineEntry;
}

/** The public view of a notification: no recipient, no content. */
export function toView(state: NotificationState): NotificationView {
  return {
    id: state.id,
    tenantId: state.tenantId,
    customerId: state.customerId,
    channel: state.channel,
    priority: state.priority,
    status: state.status,
    attempts: state.attempt,
    createdAt: state.createdAt,
    updatedAt: state.updatedAt,
    timeline: state.timeline,
  };
}
