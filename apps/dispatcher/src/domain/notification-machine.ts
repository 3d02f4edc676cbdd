// The lifecycle of one notification, as pure code: decide(state, event, context) returns the
// next state and the effects to perform. The actor (adapters/notification-actor.ts) loads
// state, calls decide, saves, then performs the effects. Every transition appends to the
// timeline; an event that does not apply (a redelivery, a stale or duplicate result)
// changes nothing.
//
//   accepted ──▶ (scheduled) ──▶ dispatched ──▶ sent ──▶ delivered | bounced | undeliverable
//      │            │  ▲            │   ▲  │
//      │            │  └ quiet hours │   │  └─(no contact point, no channel left)──▶ undeliverable
//      │            │                ▼   │    (the sealed message cannot be opened)──▶ failed
//      │            │             retrying ──(attempts and channels exhausted)──▶ failed
//      └────────────┴──▶ expired | canceled | suppressed
//
// An erasure of the customer cancels whatever has not settled (`canceled`, customer_erased) and
// strips the state of everything of theirs, settled or not (erasedState).
//
// Whatever waits (a scheduled send, quiet hours, a retry's backoff, a hold while preferences
// cannot be read) waits on one durable actor reminder, due at `wakeAt`: the earliest of the
// time it waits for and `expiresAt`. On waking, `release` decides again from the state.
//
// A dispatch waits on a deadline instead (`dueBy`, dispatch-deadline.ts): the channel's report
// is expected by then, or the same attempt is handed to the queue again; the actor's watchdog
// list (the `watch` effect) is how a passed deadline is noticed, also after a crash. A hand-off
// whose outcome is unknown (the broker refused it, or never answered) is also handed over again
// as the same attempt: the channel de-duplicates by (notification, attempt), so a copy that did
// reach the queue is sent once and reported, never sent twice as two attempts.
//
// The actor saves the new state before performing its effects. If an effect then fails (or
// the process dies in between), the event is delivered again (pub/sub redelivery, a queue
// redelivery of the channel's report) and finds the state already moved: it changes nothing
// but re-issues what that state still owes (`owedEffects`), so nothing is left stranded. All
// effects are safe to repeat: the channel de-duplicates a send by (notification, attempt), a
// reminder registered again under its name replaces the first, and status events carry an id
// per change for receivers to de-duplicate.
import {
  type DeliveryResult,
  type NotificationAccepted,
  type NotificationView,
  notificationViewOf,
  type ProviderEvent,
  requestChannels,
  type TimelineEntry,
} from '@herald/contracts';
import { retryDelayMs, type RetryPolicy } from './backoff.js';
import { nextHandoffDelayMs, type DispatchPolicy } from './dispatch-deadline.js';
import type { Channel } from '@herald/contracts';
import { bareEntry, CUSTOMER_ERASED, currentChannel, entry, erasedState, sendOf, type Effect, type NotificationState, type PreferencesLookup } from './notification-state.js';
import { quietHoursEnd } from './quiet-hours.js';

export type { Effect, NotificationState, PreferencesLookup } from './notification-state.js';

export type NotificationEvent =
  /** `traceparent`: the trace the notification's later turns continue (a reminder brings none of its own). */
  | { type: 'accept'; accepted: NotificationAccepted; traceId?: string | undefined; traceparent?: string | undefined; preferences: PreferencesLookup }
  /** The hand-off to the channel's queue failed, or its outcome is unknown (no confirm in time). */
  | { type: 'dispatch-failed'; attempt: number; reason: string }
  /** The watchdog found the notification's deadline passed. */
  | { type: 'overdue'; preferences: PreferencesLookup }
  | { type: 'result'; result: DeliveryResult }
  /** The actor's reminder fired. */
  | { type: 'wake'; preferences: PreferencesLookup }
  | { type: 'cancel'; tenantId: string }
  | { type: 'provider-event'; event: ProviderEvent }
  /** The send found neither the request nor the customer's profile naming where `channel` goes. */
  | { type: 'no-contact-point'; attempt: number; channel: Channel }
  /** The customer is erased: cancel what has not settled, and keep nothing of theirs. */
  | { type: 'erase'; tenantId: string };

/** Reasons Herald gives in the timeline for its own decisions, stable for callers to match on. */
export const REASONS = {
  /** The customer was erased (their data key destroyed) before it went out. */
  customerErased: CUSTOMER_ERASED,
  /** The sealed recipient or content failed to open: tampered with, or sealed under another key. */
  undecryptable: 'undecryptable',
  /** Neither the request nor the customer's profile says where the channel's message goes. */
  noContactPoint: 'no_contact_point',
} as const;

export interface DecideContext {
  now: Date;
  /** A number in [0, 1) for jitter. */
  random: number;
  policy: RetryPolicy;
  dispatch: DispatchPolicy;
}

export interface Decision {
  state: NotificationState | undefined;
  effects: Effect[];
  /** False when the event did not apply: nothing to save, nothing to do. */
  changed: boolean;
}

/** How long to hold before asking again when the customer's preferences cannot be read. */
export const PREFERENCES_RETRY_MS = 30_000;
/** A reminder firing this early is taken as on time (clocks of scheduler and app differ a little). */
const WAKE_TOLERANCE_MS = 1_000;

const unchanged = (state: NotificationState | undefined, effects: Effect[] = []): Decision => ({ state, effects, changed: false });

export function decide(state: NotificationState | undefined, event: NotificationEvent, ctx: DecideContext): Decision {
  return withDeadline(state, decideEvent(state, event, ctx));
}

/**
 * When the watchdog must look at a notification, if its own timer fails: a dispatch's deadline
 * (no report from the channel by then), or a while after a waiting notification's wake-up time,
 * in case its reminder never fires. A reminder can be lost: one that falls due while placement
 * still routes its actor to a dispatcher host that just died fails, and the scheduler gives it
 * up after its retries.
 */
export function watchdogAt(state: NotificationState): string | undefined {
  if (state.status === 'dispatched') return state.dueBy;
  if (isWaiting(state) && state.wakeAt) return new Date(Date.parse(state.wakeAt) + OVERDUE_WAKE_MS + WATCH_MARGIN_MS).toISOString();
  return undefined;
}

/**
 * Keeps the watchdog's list in step with the state: a deadline that is new or moved is watched
 * (performed before the save), one that is gone is unwatched, and a state that leaves
 * `dispatched` drops the dispatch's bookkeeping.
 */
function withDeadline(before: NotificationState | undefined, d: Decision): Decision {
  if (!d.changed || !d.state) return d;
  let state = d.state;
  if (state.status !== 'dispatched' && (state.dueBy ?? state.handoffs ?? state.failedHandoffs) !== undefined) {
    const { dueBy: _due, handoffs: _h, failedHandoffs: _f, ...rest } = state;
    state = rest;
  }
  const watchAt = watchdogAt(state);
  const watchedAt = before ? watchdogAt(before) : undefined;
  if (watchAt !== undefined && watchAt !== watchedAt) return { ...d, state, effects: [{ type: 'watch', at: watchAt }, ...d.effects] };
  if (watchAt === undefined && watchedAt !== undefined) return { ...d, state, effects: [...d.effects, { type: 'unwatch' }] };
  return { ...d, state };
}

function decideEvent(state: NotificationState | undefined, event: NotificationEvent, ctx: DecideContext): Decision {
  const at = ctx.now.toISOString();
  switch (event.type) {
    case 'accept': {
      // A pub/sub redelivery: re-issue what is owed.
      if (state) return unchanged(state, owedEffects(state));
      const created = createState(event.accepted, event.traceId, event.traceparent, at);
      const released = release(created, at, ctx, event.preferences);
      return { ...released, effects: [{ type: 'notify', index: 0 }, ...released.effects], changed: true };
    }

    case 'dispatch-failed': {
      if (!state || state.status !== 'dispatched' || event.attempt !== state.attempt) return unchanged(state);
      // It may have reached the queue all the same: hand the same attempt over again, soon.
      const failedHandoffs = (state.failedHandoffs ?? 0) + 1;
      const dueBy = new Date(ctx.now.getTime() + nextHandoffDelayMs(ctx.dispatch, failedHandoffs, true, ctx.random)).toISOString();
      const reason = `${event.reason}; attempt ${state.attempt} goes to the queue again by ${dueBy}`;
      return handoffNoted({ ...state, failedHandoffs, dueBy }, at, reason);
    }

    case 'overdue':
      return onOverdue(state, event.preferences, at, ctx);

    case 'result':
      return onResult(state, event.result, at, ctx);

    case 'wake': {
      if (!state || !isWaiting(state) || !state.wakeAt) return unchanged(state);
      // Early (a reminder registered for an older, earlier time): wait again for the stored time.
      if (Date.parse(state.wakeAt) - ctx.now.getTime() > WAKE_TOLERANCE_MS) return unchanged(state, owedEffects(state));
      const { wakeAt: _fired, ...rest } = state;
      return release(rest, at, ctx, event.preferences);
    }

    case 'cancel': {
      if (!state || state.tenantId !== event.tenantId || !isCancelable(state)) return unchanged(state);
      return end(state, at, entry({ at, status: 'canceled', channel: currentChannel(state), attempt: state.attempt, reason: 'canceled by request' }));
    }

    case 'provider-event':
      return onProviderEvent(state, event.event, at);

    case 'no-contact-point': {
      if (!state || state.status !== 'dispatched' || event.attempt !== state.attempt || event.channel !== currentChannel(state)) return unchanged(state);
      const base = { at, channel: event.channel, attempt: state.attempt };
      return fallBackOr(state, at, `no ${event.channel} contact point (${REASONS.noContactPoint})`, entry({ ...base, status: 'undeliverable', reason: REASONS.noContactPoint }));
    }

    case 'erase':
      return onErase(state, event.tenantId, at);
  }
}

/**
 * Strips the notification of its customer's data, once. One that has not settled is canceled
 * first, as a cancel by request is (its reminder and its deadline go, listeners hear of it), but
 * whether it was dispatched or not: with the customer's key destroyed, the channel could not open
 * the dispatch anyway. The erasure's own entry keeps its reason, Herald's code, which quotes
 * nothing of the customer's.
 */
function onErase(state: NotificationState | undefined, tenantId: string, at: string): Decision {
  if (!state || state.tenantId !== tenantId || state.erased) return unchanged(state);
  const stripped = erasedState(state);
  if (isSettled(state)) return { state: stripped, effects: [], changed: true };
  return end(stripped, at, entry({ at, status: 'canceled', channel: currentChannel(state), attempt: state.attempt, reason: REASONS.customerErased }));
}

function createState(accepted: NotificationAccepted, traceId: string | undefined, traceparent: string | undefined, at: string): NotificationState {
  const req = accepted.request;
  const channels = requestChannels(req);
  return {
    id: accepted.id,
    tenantId: accepted.tenantId,
    customerId: req.customerId,
    channels,
    channelIndex: 0,
    priority: req.priority,
    to: req.to,
    content: req.content,
    ...(req.metadata ? { metadata: req.metadata } : {}),
    ...(req.sendAt ? { sendAt: req.sendAt } : {}),
    ...(req.expiresAt ? { expiresAt: req.expiresAt } : {}),
    status: 'accepted',
    attempt: 0,
    channelAttempts: 0,
    createdAt: accepted.acceptedAt,
    updatedAt: at,
    timeline: [entry({ at: accepted.acceptedAt, status: 'accepted', channel: currentChannel({ channels, channelIndex: 0 }), attempt: 0, traceId })],
    ...(traceId ? { traceId } : {}),
    ...(traceparent ? { traceparent } : {}),
  };
}

/**
 * The one place that decides whether a notification may go out now, for its first attempt
 * and every later one: expiry, the requested send time, the customer's preferences (bulk
 * only: a critical notification ignores opt-outs and quiet hours), then the send.
 */
function release(state: NotificationState, at: string, ctx: DecideContext, preferences: PreferencesLookup): Decision {
  const now = ctx.now.getTime();
  const channel = currentChannel(state);
  const base = { at, channel, attempt: state.attempt };
  if (state.expiresAt && Date.parse(state.expiresAt) <= now) {
    return end(state, at, entry({ ...base, status: 'expired', reason: `expired at ${state.expiresAt} before it could be sent` }));
  }
  if (state.status === 'accepted' && state.sendAt && Date.parse(state.sendAt) > now + WAKE_TOLERANCE_MS) {
    return wait(state, at, Date.parse(state.sendAt), entry({ ...base, status: 'scheduled', reason: `scheduled for ${state.sendAt}` }));
  }
  if (state.priority === 'bulk') {
    if (preferences.kind === 'unavailable') {
      // Fail closed and hold: never send unchecked, never drop.
      const reason = `customer preferences unavailable (${preferences.reason}); holding`;
      return wait(state, at, now + PREFERENCES_RETRY_MS, entry({ ...base, status: 'scheduled', reason }));
    }
    const prefs = preferences.kind === 'found' ? preferences.preferences : {};
    const optedOut = new Set(prefs.optedOut ?? []);
    const usable = state.channels.findIndex((c, i) => i >= state.channelIndex && !optedOut.has(c));
    if (usable < 0) {
      return end(state, at, entry({ ...base, status: 'suppressed', reason: `customer opted out of ${[...optedOut].join(', ')}` }));
    }
    if (usable !== state.channelIndex) state = { ...state, channelIndex: usable, channelAttempts: 0 };
    if (prefs.quietHours && prefs.timezone) {
      const until = quietHoursEnd({ ...prefs.quietHours, timezone: prefs.timezone }, ctx.now);
      if (until) {
        const reason = `quiet hours (${prefs.quietHours.start}-${prefs.quietHours.end} ${prefs.timezone}) until ${until.toISOString()}`;
        return wait(state, at, until.getTime(), entry({ ...base, channel: currentChannel(state), status: 'scheduled', reason }));
      }
    }
  }
  return dispatch(state, at, ctx);
}

function dispatch(state: NotificationState, at: string, ctx: DecideContext): Decision {
  const attempt = state.attempt + 1;
  const dueBy = new Date(ctx.now.getTime() + nextHandoffDelayMs(ctx.dispatch, 1, false, ctx.random)).toISOString();
  const next: NotificationState = { ...state, attempt, channelAttempts: state.channelAttempts + 1, dueBy, handoffs: 1 };
  const traceId = attempt === 1 ? state.traceId : undefined;
  const changedState = appendEntry(next, at, entry({ at, status: 'dispatched', channel: currentChannel(next), attempt, traceId }));
  return { state: changedState, effects: [{ type: 'send', dispatch: sendOf(changedState) }, notify(changedState)], changed: true };
}

/** Waits until `untilMs`, or until expiry if that comes first (a reminder at the earlier of the two). */
function wait(state: NotificationState, at: string, untilMs: number, e: TimelineEntry): Decision {
  const expiresMs = state.expiresAt ? Date.parse(state.expiresAt) : Infinity;
  const wakeAt = new Date(Math.min(untilMs, expiresMs)).toISOString();
  const next = appendEntry({ ...state, wakeAt }, at, e);
  return { state: next, effects: [{ type: 'schedule-wake', at: wakeAt }, notify(next)], changed: true };
}

/** A final status: nothing left to wait for, so the reminder (if any) goes. */
function end(state: NotificationState, at: string, e: TimelineEntry): Decision {
  const { wakeAt, ...rest } = state;
  const ended = advance(rest, at, e);
  return wakeAt === undefined ? ended : { ...ended, effects: [{ type: 'cancel-wake' }, ...ended.effects] };
}

/** Appends the entry and tells whoever listens: a transition with nothing else to do. */
function advance(state: NotificationState, at: string, e: TimelineEntry): Decision {
  const next = appendEntry(state, at, e);
  return { state: next, effects: [notify(next)], changed: true };
}

function onResult(state: NotificationState | undefined, result: DeliveryResult, at: string, ctx: DecideContext): Decision {
  // Only the result of the attempt in flight counts. A duplicate of the report that moved the
  // state on changes nothing but re-issues what is owed; a late one changes nothing at all.
  if (!state || result.attempt !== state.attempt) return unchanged(state);
  if (state.status !== 'dispatched') return unchanged(state, owedEffects(state));
  const { outcome } = result;
  const base = { at, channel: result.channel, attempt: result.attempt, provider: outcome.provider, traceId: result.traceId };
  switch (outcome.kind) {
    case 'sent':
      return advance({ ...state, providerMessageId: outcome.providerMessageId }, at, entry({ ...base, status: 'sent', providerMessageId: outcome.providerMessageId }));
    case 'expired':
      return end(state, at, entry({ ...base, status: 'expired', reason: `reached the channel after it expired at ${state.expiresAt ?? '?'}` }));
    case 'deferred': {
      // The provider was not even tried: wait as told, and give the attempt back.
      const e = entry({ ...base, status: 'retrying', reason: `deferred: ${outcome.reason}` });
      return wait({ ...state, channelAttempts: Math.max(0, state.channelAttempts - 1) }, at, ctx.now.getTime() + outcome.retryAfterMs, e);
    }
    case 'permanent':
      return fallBackOrFail(state, at, { reason: outcome.reason, provider: outcome.provider, traceId: result.traceId });
    case 'erased':
      // The customer's key is gone: nothing of theirs can be sent, on this channel or another.
      return end(state, at, entry({ ...base, status: 'canceled', reason: REASONS.customerErased }));
    case 'undecryptable':
      // Every channel's message is sealed alike: no retry and no other channel can open it either.
      return end(state, at, entry({ ...base, status: 'failed', reason: REASONS.undecryptable }));
    case 'transient':
      return retryOrFallBack(state, at, ctx, { reason: outcome.reason, provider: outcome.provider, traceId: result.traceId }, outcome.retryAfterMs);
  }
}

interface FailureInfo {
  reason: string;
  provider?: string | undefined;
  traceId?: string | undefined;
}

function retryOrFallBack(state: NotificationState, at: string, ctx: DecideContext, failure: FailureInfo, retryAfterMs?: number): Decision {
  if (state.channelAttempts >= ctx.policy.maxAttempts) {
    return fallBackOrFail(state, at, { ...failure, reason: `gave up on ${currentChannel(state)} after ${state.channelAttempts} attempts: ${failure.reason}` });
  }
  const delayMs = retryDelayMs(ctx.policy, state.channelAttempts, ctx.random, retryAfterMs);
  const e = entry({ at, status: 'retrying', channel: currentChannel(state), attempt: state.attempt, ...failure });
  return wait(state, at, ctx.now.getTime() + delayMs, e);
}

/** The current channel is done with: try the next one, or fail. */
function fallBackOrFail(state: NotificationState, at: string, failure: FailureInfo): Decision {
  const channel = currentChannel(state);
  const last = entry({ at, channel, attempt: state.attempt, provider: failure.provider, traceId: failure.traceId, status: 'failed', reason: failure.reason });
  return fallBackOr(state, at, `${channel} failed: ${failure.reason}`, last);
}

/**
 * The current channel is done with, for `why`: try the next one (through a reminder due now, so
 * `release` decides), or, on the last channel, end with the entry `last`.
 */
function fallBackOr(state: NotificationState, at: string, why: string, last: TimelineEntry): Decision {
  const nextChannel = state.channels[state.channelIndex + 1];
  if (!nextChannel) return end(state, at, last);
  const moved: NotificationState = { ...state, channelIndex: state.channelIndex + 1, channelAttempts: 0 };
  return wait(moved, at, Date.parse(at), { ...last, status: 'retrying', reason: `${why}; falling back to ${nextChannel}` });
}

/**
 * The watchdog saw the deadline pass. A dispatch still unanswered is handed over again as the
 * same attempt, or, after as many unanswered hand-overs as the policy allows, its channel is
 * given up on as after a permanent failure (the next channel, or `failed` with the reason): a
 * new attempt on the same channel could send twice what may already have gone out. A waiting notification
 * whose reminder is long overdue is woken. Anything else owes the watchdog nothing.
 */
function onOverdue(state: NotificationState | undefined, preferences: PreferencesLookup, at: string, ctx: DecideContext): Decision {
  const now = ctx.now.getTime();
  if (state?.status === 'dispatched') {
    const dueBy = state.dueBy ?? at;
    if (Date.parse(dueBy) - now > WAKE_TOLERANCE_MS) return unchanged(state, [{ type: 'watch', at: dueBy }]);
    const handoffs = state.handoffs ?? 1;
    const unanswered = handoffs - (state.failedHandoffs ?? 0);
    const channel = currentChannel(state);
    if (unanswered >= ctx.dispatch.maxHandoffs) {
      return fallBackOrFail(state, at, { reason: `no report from the ${channel} channel for attempt ${state.attempt} after ${handoffs} hand-overs to its queue` });
    }
    const next = { ...state, handoffs: handoffs + 1, dueBy: new Date(now + nextHandoffDelayMs(ctx.dispatch, unanswered + 1, false, ctx.random)).toISOString() };
    const decided = handoffNoted(next, at, `no report from the ${channel} channel by ${dueBy}: attempt ${state.attempt} handed to its queue again`);
    return { ...decided, effects: [{ type: 'send', dispatch: sendOf(next) }] };
  }
  if (state && isWaiting(state) && state.wakeAt) {
    if (now - Date.parse(state.wakeAt) > OVERDUE_WAKE_MS) {
      const { wakeAt: _missed, ...rest } = state;
      return release(rest, at, ctx, preferences);
    }
    // Not lost yet (its wake-up time moved, or the watchdog looked early): look again later.
    return unchanged(state, [{ type: 'watch', at: watchdogAt(state)! }]);
  }
  return unchanged(state, [{ type: 'unwatch' }]);
}

/** A waiting notification's reminder this late is taken as lost (the scheduler fires within seconds). */
const OVERDUE_WAKE_MS = 60_000;
/** The watchdog looks this long after a wake-up is taken as lost, so the look finds it so. */
const WATCH_MARGIN_MS = 5_000;

/**
 * A hand-over of the attempt in flight, on the timeline as `dispatched` again with why: not a
 * change of status, so nobody is notified.
 */
function handoffNoted(state: NotificationState, at: string, reason: string): Decision {
  const e = entry({ at, status: 'dispatched', channel: currentChannel(state), attempt: state.attempt, reason });
  return { state: appendEntry(state, at, e), effects: [], changed: true };
}

function onProviderEvent(state: NotificationState | undefined, event: ProviderEvent, at: string): Decision {
  if (!state || state.status !== 'sent') return unchanged(state);
  if (event.attempt !== undefined && event.attempt !== state.attempt) return unchanged(state);
  if (event.providerMessageId && state.providerMessageId && !sameMessage(event.providerMessageId, state.providerMessageId)) {
    return unchanged(state);
  }
  const e = entry({ at: event.at, status: event.status, channel: currentChannel(state), attempt: state.attempt, provider: event.provider, reason: event.reason });
  // A provider's reason may quote an address: an erased notification keeps only the status.
  return advance(state, at, state.erased ? bareEntry(e) : e);
}

/** SendGrid's event ids extend the message id the API returned (`<id>.filter…`). */
const sameMessage = (fromEvent: string, recorded: string): boolean => fromEvent === recorded || fromEvent.startsWith(`${recorded}.`);

/** What a state still owes the world, were its effects lost: re-issued on a redelivery. */
export function owedEffects(state: NotificationState): Effect[] {
  if (state.status === 'dispatched') {
    const watch: Effect[] = state.dueBy ? [{ type: 'watch', at: state.dueBy }] : [];
    return [...watch, { type: 'send', dispatch: sendOf(state) }, notify(state)];
  }
  if (isWaiting(state) && state.wakeAt) return [{ type: 'watch', at: watchdogAt(state)! }, { type: 'schedule-wake', at: state.wakeAt }, notify(state)];
  return [notify(state)];
}

export const isWaiting = (state: NotificationState): boolean => state.status === 'scheduled' || state.status === 'retrying';

/**
 * Herald has nothing more to do for it: sent (a provider's callback may still move it on) or
 * ended. From then on its state is kept for the retention period only; before, it is kept for as
 * long as it waits (a send time up to 366 days ahead, a retry, a dispatch in a queue).
 */
export function isSettled(state: NotificationState): boolean {
  return !(state.status === 'accepted' || state.status === 'dispatched' || isWaiting(state));
}

/** Nothing is in a provider's hands yet: it can still be called off. */
export function isCancelable(state: NotificationState): boolean {
  return state.status === 'accepted' || isWaiting(state);
}

/**
 * The status event for the newest change of status: the newest timeline entry, less the notes of
 * an attempt handed over again (a `dispatched` after a `dispatched` of the same attempt), which
 * are not changes and are never announced.
 */
function notify(state: NotificationState): Effect {
  let index = state.timeline.length - 1;
  const isHandoffNote = (i: number): boolean => {
    const e = state.timeline[i];
    const before = state.timeline[i - 1];
    return e?.status === 'dispatched' && before?.status === 'dispatched' && before.attempt === e.attempt;
  };
  while (index > 0 && isHandoffNote(index)) index--;
  return { type: 'notify', index };
}

function appendEntry(state: NotificationState, at: string, e: TimelineEntry): NotificationState {
  return { ...state, status: e.status, updatedAt: at, timeline: [...state.timeline, e] };
}

/**
 * The status view: the same for the actor as for a history read from the store, never the
 * recipient or the content. Its metadata values are as stored, sealed: whoever shows the view
 * opens them. An erased notification's view names no customer and has no metadata.
 */
export function toView(state: NotificationState): NotificationView {
  const view = notificationViewOf(state);
  if (!state.erased) return view;
  const { customerId: _customerId, metadata: _metadata, ...rest } = view;
  return rest;
}
