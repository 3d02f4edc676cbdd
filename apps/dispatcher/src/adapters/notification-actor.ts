import {
  DeliveryResultSchema,
  NotificationAcceptedSchema,
  ProviderEventSchema,
  type NotificationView,
  type SealedDispatch,
  type StatusEvent,
} from '@herald/contracts';
import { errMessage, noTracing, type Logger, type TraceSpan, type Tracing } from '@herald/service';
import { dispatchRoute, isSampled, nearestParent, NOTIFICATION_ACTOR, traceIdOf, type ActorDefinition, type ActorTurn, type GroupPublisher, type ReminderPort } from '@herald/dapr';
import { z } from 'zod';
import type { RetryPolicy } from '../domain/backoff.js';
import type { DispatchPolicy } from '../domain/dispatch-deadline.js';
import { decide, isSettled, toView, watchdogAt, type Effect, type NotificationEvent, type NotificationState, type PreferencesLookup } from '../domain/notification-machine.js';
import { currentChannel, statusEventOf } from '../domain/notification-state.js';
import { hasRecipient, profileRecipient } from '../domain/recipient.js';
import { preferencesOf, readOncePerTurn, type ReadCustomer } from './customer-reader.js';
import { noActorMetrics, type ActorMetrics } from './metrics.js';

export interface NotificationActorDeps {
  /** Where the actor's wake-up reminder is kept. */
  sidecar: ReminderPort;
  /** Sends dispatches to the channel queues; concurrent turns share one sidecar request. */
  dispatches: GroupPublisher;
  log: Logger;
  policy: RetryPolicy;
  /** Each dispatch's deadline: when its report is overdue, how many unanswered hand-overs before giving up. */
  dispatch: DispatchPolicy;
  /** The watchdog's list of deadlines (dispatch-watchdog.ts). */
  deadlines: DeadlineList;
  /** Prefixes the channel topics (tests and regions run isolated queues). */
  topicPrefix: string;
  /**
   * Reads a customer's profile and preferences; never throws (an error is `unavailable`). Asked
   * at most once per turn: for the preferences of a bulk notification, and for the profile when
   * a dispatch lacks its channel's recipient.
   */
  customers: ReadCustomer;
  /**
   * How long a settled notification (sent or ended) stays readable, and in its customer's
   * history (a query over these states); then the store forgets it.
   */
  retentionSeconds: number;
  /** Where status events go (the webhook deliverer). Costs nothing for a tenant without webhooks. */
  statusEvents: { enqueue(event: StatusEvent): Promise<void> };
  /** Counts each saved change (metrics.ts); nothing when absent. */
  metrics?: ActorMetrics;
  /** A span for each turn, in the notification's trace; none when absent. */
  tracing?: Tracing;
  now?: () => Date;
  random?: () => number;
}

/** Which of the watchdog's lists an entry is on: a dispatch's report deadline, or a reminder's wake-up. */
export type WatchList = 'dispatch' | 'wait';

/** Where each notification's next deadline is kept, for the watchdog to find once it passes. */
export interface DeadlineList {
  /** Puts it on `list` at `atMs`; `from`: the list it was on before, left if it is another. */
  watch(notificationId: string, atMs: number, list?: WatchList, from?: WatchList): Promise<void>;
  /** Takes it off `list`, or off every list when that is not known. */
  unwatch(notificationId: string, list?: WatchList): Promise<void>;
}

/** The list a state is watched on, if it is watched at all (watchdogAt). */
function watchListOf(state: NotificationState | undefined): WatchList | undefined {
  if (!state || watchdogAt(state) === undefined) return undefined;
  return state.status === 'dispatched' ? 'dispatch' : 'wait';
}

const STATE_KEY = 'notification';
/** The actor's one reminder: whatever it waits for (send time, quiet hours, backoff) is due then. */
export const WAKE_REMINDER = 'wake';
/** After a failed wake-up turn, try again this much later. */
const WAKE_RETRY_MS = 5_000;

/** Body of the actor's `accept` method: the event as published, and the trace it came with. */
export const AcceptCommandSchema = z.object({ event: NotificationAcceptedSchema, traceparent: z.string().optional() });
export const CancelCommandSchema = z.object({ tenantId: z.string().min(1) });
export type CancelOutcome = { outcome: 'canceled'; view: NotificationView } | { outcome: 'not_cancelable'; view: NotificationView } | { outcome: 'not_found' };
/** Body of the actor's `erase` method: the tenant of the customer erased. */
export const EraseCommandSchema = z.object({ tenantId: z.string().min(1) });
/** `canceled`: it had not settled, and ended `canceled` (customer_erased) by this erasure. */
export type EraseOutcome = { outcome: 'erased'; canceled: boolean } | { outcome: 'not_found' };

/**
 * NotificationActor for the actor host of @herald/dapr (createActorHost), its dependencies closed over.
 *
 * Each method: load state, decide (pure), save, then perform the effects. Dapr runs one turn
 * at a time per actor, so the load-decide-save needs no lock of ours.
 */
export function createNotificationActor(deps: NotificationActorDeps): ActorDefinition {
  const now = deps.now ?? (() => new Date());
  const random = deps.random ?? Math.random;
  const metrics = deps.metrics ?? noActorMetrics;
  const tracing = deps.tracing ?? noTracing;
  const bulkPreferences = async (state: Pick<NotificationState, 'priority' | 'tenantId' | 'customerId'>, customer: ReadCustomer): Promise<PreferencesLookup> =>
    // Critical notifications ignore preferences: no read at all on their path.
    state.priority === 'critical' ? { kind: 'none' } : preferencesOf(await customer(state.tenantId, state.customerId));

  async function load(turn: ActorTurn): Promise<NotificationState | undefined> {
    return (await turn.state.get<NotificationState>(STATE_KEY)) ?? undefined;
  }

  /**
   * Applies one event and performs its effects; what an effect reports back (a failed hand-off)
   * is applied next, once every effect of this decision is done, so listeners and the timeline
   * see the changes in the order they happened.
   *
   * The turn is a span `actor <what>` in the notification's trace: the one the call came in if it
   * is that trace (through the sidecars' spans), else the one `carried` by the message or kept in
   * the state. A reminder fires in a trace daprd starts itself, so a retry, a fallback or a
   * scheduled send continues from the state's.
   */
  async function apply(
    turn: ActorTurn,
    what: string,
    eventFor: (state: NotificationState | undefined, customer: ReadCustomer, traceparent: string | undefined) => Promise<NotificationEvent>,
    carried?: string,
  ): Promise<NotificationState | undefined> {
    const customer = readOncePerTurn(deps.customers);
    let span: TraceSpan | undefined;
    try {
      const current = await load(turn);
      span = tracing.start(`actor ${what}`, { parent: nearestParent(turn.traceparent, carried ?? current?.traceparent), kind: 'server', notificationId: turn.id });
      const traceparent = span.traceparent;
      let next: NotificationEvent | undefined = await step(turn, await eventFor(current, customer, traceparent), customer, traceparent);
      while (next) next = await step(turn, next, customer, traceparent);
      const after = await load(turn);
      span.set({ 'herald.status': after?.status, 'herald.attempt': after?.attempt, 'herald.channel': after ? currentChannel(after) : undefined });
      span.end();
      return after;
    } catch (err) {
      span?.end('turn failed');
      // Whatever this turn read or wrote is in doubt: the next turn starts from what the store holds.
      turn.state.forget();
      throw err;
    }
  }

  /** Decide, save, perform; resolves the event an effect reported back, if any. */
  async function step(turn: ActorTurn, event: NotificationEvent, customer: ReadCustomer, traceparent: string | undefined): Promise<NotificationEvent | undefined> {
    const before = await load(turn);
    const at = now();
    const decision = decide(before, event, { now: at, random: random(), policy: deps.policy, dispatch: deps.dispatch });
    if (!decision.state) {
      // Nothing known by this id: at most a watchdog entry left behind to clear.
      if (decision.effects.some((e) => e.type === 'unwatch')) await deps.deadlines.unwatch(turn.id);
      return undefined;
    }
    // The deadline is on the watchdog's list before the state that waits on it is saved: a
    // crash in between leaves an entry that finds nothing to do, never a dispatch nobody watches.
    for (const effect of decision.effects) {
      if (effect.type !== 'watch') continue;
      const list = watchListOf(decision.state) ?? 'dispatch';
      // The watchdog may have found it on the other list (an entry a failed turn left there, or
      // one from before the lists were two): the turn that answers it takes it off that one too.
      const from = event.type === 'overdue' ? (list === 'wait' ? 'dispatch' : 'wait') : watchListOf(before);
      await deps.deadlines.watch(decision.state.id, Date.parse(effect.at), list, from);
    }
    // Save before acting: a send must never go out for a state we failed to record.
    if (decision.changed) {
      // Settled, it is kept for the retention (its status, timeline and place in the customer's
      // history); until then, for as long as it waits. Without a TTL the store would grow by
      // every notification forever.
      await turn.state.set(STATE_KEY, decision.state, isSettled(decision.state) ? { ttlSeconds: deps.retentionSeconds } : {});
      metrics.changed(before, decision.state, event, at);
    }
    let reported: NotificationEvent | undefined;
    for (const effect of decision.effects) {
      if (effect.type === 'watch') continue;
      reported = (await perform(decision.state, effect, customer, traceparent, watchListOf(before))) ?? reported;
    }
    return reported;
  }

  /**
   * Performs one effect. A failure throws: the event is delivered again and re-issues it
   * (owedEffects). A failed hand-off is not thrown but reported back, as the event it is.
   */
  async function perform(state: NotificationState, effect: Effect, customer: ReadCustomer, traceparent: string | undefined, watched: WatchList | undefined): Promise<NotificationEvent | undefined> {
    const notificationId = state.id;
    switch (effect.type) {
      case 'send':
        return send(effect.dispatch, customer, traceparent);
      case 'schedule-wake':
        await registerWake(notificationId, effect.at);
        deps.log.info({ notificationId, status: state.status, at: effect.at }, 'wake-up scheduled');
        return;
      case 'cancel-wake':
        await deps.sidecar.deleteReminder(NOTIFICATION_ACTOR, notificationId, WAKE_REMINDER).catch((err: unknown) => {
          // A reminder left behind wakes a finished notification, which changes nothing.
          deps.log.warn({ notificationId, err: errMessage(err) }, 'could not delete reminder');
        });
        return;
      case 'watch':
        return; // performed before the save (apply)
      case 'unwatch':
        // Left behind, the entry comes back to the watchdog once, which finds nothing owed.
        await deps.deadlines.unwatch(notificationId, watched).catch((err: unknown) => deps.log.warn({ notificationId, err: errMessage(err) }, 'could not unwatch'));
        return;
      case 'notify': {
        const event = statusEventOf(state, effect.index);
        if (event) await deps.statusEvents.enqueue(event);
        return;
      }
    }
  }

  /**
   * Hands the dispatch to its channel's queue, addressed first from the customer's profile if
   * the request named no recipient for the channel: read now, not at accept, so a retry goes to
   * an address changed meanwhile. The profile's recipient is never kept in the state.
   */
  async function send(dispatch: SealedDispatch, customer: ReadCustomer, traceparent: string | undefined): Promise<NotificationEvent | undefined> {
    const { notificationId, attempt, channel } = dispatch;
    let addressed = dispatch;
    if (!hasRecipient(channel, dispatch.to)) {
      const found = await customer(dispatch.tenantId, dispatch.customerId);
      if (found.kind === 'unavailable') {
        // As a hand-off in doubt: the same attempt goes again shortly, and reads the profile again.
        const reason = `customer profile unavailable: ${found.reason}`;
        deps.log.warn({ notificationId, attempt, err: reason }, 'dispatch held');
        return { type: 'dispatch-failed', attempt, reason };
      }
      const to = profileRecipient(channel, found.records.profile);
      if (!to) {
        deps.log.info({ notificationId, attempt, channel }, 'no contact point for the channel');
        return { type: 'no-contact-point', attempt, channel };
      }
      addressed = { ...dispatch, to };
    }
    try {
      const route = dispatchRoute(addressed, deps.topicPrefix);
      // The channel app continues this turn's trace: its send and the provider's call show in it.
      // Carried on as it is, sampled or not: the channel app keeps the caller's decision.
      const traced = tracing.enabled && traceparent ? traceparent : undefined;
      const failure = await deps.dispatches.publish(route.pubsub, route.topic, traced ? { ...addressed, traceparent: traced } : addressed, route.metadata, traced);
      if (failure !== undefined) throw new Error(failure);
      deps.log.debug({ notificationId, attempt }, 'dispatched');
      return undefined;
    } catch (err) {
      const reason = `queue hand-off failed: ${errMessage(err)}`;
      deps.log.warn({ notificationId, attempt, err: reason }, 'dispatch failed');
      return { type: 'dispatch-failed', attempt, reason };
    }
  }

  async function registerWake(notificationId: string, at: string): Promise<void> {
    // A durable reminder, not a timer: it survives the dispatcher's restart. Registered again
    // under the same name, it replaces the one before. The wake-up turn reads the state, not
    // the reminder's data: `at` is there for whoever inspects the scheduler's jobs.
    await deps.sidecar.registerReminder(NOTIFICATION_ACTOR, notificationId, WAKE_REMINDER, {
      dueTime: `${Math.max(0, Date.parse(at) - now().getTime())}ms`,
      data: JSON.stringify({ at }),
    });
  }

  return {
    type: NOTIFICATION_ACTOR,
    methods: {
      async accept(turn, body) {
        const cmd = AcceptCommandSchema.parse(body);
        const accepted = cmd.event;
        const state = await apply(turn, 'accept', async (current, customer, traceparent) => ({
          type: 'accept',
          accepted,
          traceId: traceIdOf(cmd.traceparent),
          // Kept only where spans are made: what a later turn's span continues.
          // Kept for the later turns only when the trace is recorded: an unsampled one costs no bytes.
          traceparent: tracing.enabled && isSampled(traceparent) ? traceparent : undefined,
          // Preferences matter only to a notification not yet created (a redelivery reads nothing).
          preferences: current ? { kind: 'none' } : await bulkPreferences({ ...accepted.request, tenantId: accepted.tenantId }, customer),
        }), cmd.traceparent);
        return { status: state?.status ?? 'unknown' };
      },

      async recordResult(turn, body) {
        const result = DeliveryResultSchema.parse(body);
        const state = await apply(turn, 'recordResult', async () => ({ type: 'result', result }));
        return { status: state?.status ?? 'unknown' };
      },

      async providerEvent(turn, body) {
        const event = ProviderEventSchema.parse(body);
        const state = await apply(turn, 'providerEvent', async () => ({ type: 'provider-event', event }));
        return { status: state?.status ?? 'unknown' };
      },

      async cancel(turn, body): Promise<CancelOutcome> {
        const { tenantId } = CancelCommandSchema.parse(body);
        const state = await apply(turn, 'cancel', async () => ({ type: 'cancel', tenantId }));
        // Another tenant's notification is indistinguishable from none at all.
        if (!state || state.tenantId !== tenantId) return { outcome: 'not_found' };
        return { outcome: state.status === 'canceled' ? 'canceled' : 'not_cancelable', view: toView(state) };
      },

      /**
       * The customer is erased: cancels the notification if it has not settled, and strips it of
       * everything of theirs. Idempotent: erasing again changes nothing and answers canceled false.
       */
      async erase(turn, body): Promise<EraseOutcome> {
        const { tenantId } = EraseCommandSchema.parse(body);
        let canceled = false;
        const state = await apply(turn, 'erase', async (current) => {
          canceled = current?.tenantId === tenantId && !current.erased && !isSettled(current);
          return { type: 'erase', tenantId };
        });
        // Another tenant's notification is indistinguishable from none at all.
        if (!state || state.tenantId !== tenantId) return { outcome: 'not_found' };
        return { outcome: 'erased', canceled };
      },

      /** The watchdog found this notification's deadline passed: decide what that means now. */
      async overdue(turn) {
        const state = await apply(turn, 'overdue', async (current, customer) => ({
          type: 'overdue',
          preferences: current && current.status !== 'dispatched' ? await bulkPreferences(current, customer) : { kind: 'none' },
        }));
        return { status: state?.status ?? 'unknown' };
      },

      /** The status view, its metadata values sealed as stored: the caller that shows it opens them. */
      async view(turn): Promise<NotificationView | null> {
        const state = await load(turn);
        return state ? toView(state) : null;
      },
    },
    reminders: {
      async [WAKE_REMINDER](turn) {
        try {
          await apply(turn, WAKE_REMINDER, async (current, customer) => ({ type: 'wake', preferences: current ? await bulkPreferences(current, customer) : { kind: 'none' } }));
        } catch (err) {
          // The reminder is spent; a turn that failed must not strand the notification.
          deps.log.warn({ notificationId: turn.id, err: errMessage(err) }, 'wake-up failed; trying again shortly');
          await registerWake(turn.id, new Date(now().getTime() + WAKE_RETRY_MS).toISOString());
        }
      },
    },
  };
}
