import { AbstractActor } from '@dapr/dapr';
import {
  channelOutBinding,
  DeliveryResultSchema,
  errMessage,
  NOTIFICATION_ACTOR,
  NotificationAcceptedSchema,
  ProviderEventSchema,
  traceIdOf,
  type HistoryIndex,
  type Logger,
  type NotificationView,
  type Sidecar,
  type StatusEvent,
} from '@herald/shared';
import { z } from 'zod';
import type { RetryPolicy } from '../domain/backoff.js';
import { decide, toView, type Effect, type NotificationEvent, type NotificationState, type PreferencesLookup } from '../domain/notification-machine.js';
import { statusEventOf } from '../domain/notification-state.js';

export interface NotificationActorDeps {
  sidecar: Sidecar;
  log: Logger;
  policy: RetryPolicy;
  /** Reads a customer's preferences; never throws (an error is `unavailable`). */
  preferences(tenantId: string, customerId: string): Promise<PreferencesLookup>;
  history: Pick<HistoryIndex, 'add'>;
  /** Where status events go (the webhook deliverer). Costs nothing for a tenant without webhooks. */
  statusEvents: { enqueue(event: StatusEvent): Promise<void> };
  now?: () => Date;
  random?: () => number;
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

/**
 * Builds the NotificationActor class with its dependencies closed over. The @dapr/dapr runtime
 * constructs actors itself (`new cls(client, id)`) and names the type after the class, so the
 * class must be called NotificationActor.
 *
 * Each method: load state, decide (pure), save, then perform the effects. Dapr runs one turn
 * at a time per actor, so the load-decide-save needs no lock of ours.
 */
export type ActorClass = new (...args: ConstructorParameters<typeof AbstractActor>) => AbstractActor;

export function createNotificationActor(deps: NotificationActorDeps): ActorClass {
  const now = deps.now ?? (() => new Date());
  const random = deps.random ?? Math.random;
  const bulkPreferences = async (state: Pick<NotificationState, 'priority' | 'tenantId' | 'customerId'>): Promise<PreferencesLookup> =>
    // Critical notifications ignore preferences: no read at all on their path.
    state.priority === 'critical' ? { kind: 'none' } : deps.preferences(state.tenantId, state.customerId);

  return class NotificationActor extends AbstractActor {
    async accept(body: unknown): Promise<{ status: string }> {
      const cmd = AcceptCommandSchema.parse(body);
      const accepted = cmd.event;
      const state = await this.apply(async (current) => ({
        type: 'accept',
        accepted,
        traceId: traceIdOf(cmd.traceparent),
        // Preferences matter only to a notification not yet created (a redelivery reads nothing).
        preferences: current ? { kind: 'none' } : await bulkPreferences({ ...accepted.request, tenantId: accepted.tenantId }),
      }));
      return { status: state?.status ?? 'unknown' };
    }

    async recordResult(body: unknown): Promise<{ status: string }> {
      const result = DeliveryResultSchema.parse(body);
      const state = await this.apply(async () => ({ type: 'result', result }));
      return { status: state?.status ?? 'unknown' };
    }

    async providerEvent(body: unknown): Promise<{ status: string }> {
      const event = ProviderEventSchema.parse(body);
      const state = await this.apply(async () => ({ type: 'provider-event', event }));
      return { status: state?.status ?? 'unknown' };
    }

    async cancel(body: unknown): Promise<CancelOutcome> {
      const { tenantId } = CancelCommandSchema.parse(body);
      const state = await this.apply(async () => ({ type: 'cancel', tenantId }));
      // Another tenant's notification is indistinguishable from none at all.
      if (!state || state.tenantId !== tenantId) return { outcome: 'not_found' };
      return { outcome: state.status === 'canceled' ? 'canceled' : 'not_cancelable', view: toView(state) };
    }

    async view(): Promise<NotificationView | null> {
      const state = await this.load();
      return state ? toView(state) : null;
    }

    override async receiveReminder(_data: unknown): Promise<void> {
      try {
        await this.apply(async (current) => ({ type: 'wake', preferences: current ? await bulkPreferences(current) : { kind: 'none' } }));
      } catch (err) {
        // The reminder is spent; a turn that failed must not strand the notification.
        deps.log.warn({ notificationId: this.notificationId(), err: errMessage(err) }, 'wake-up failed; trying again shortly');
        await this.registerWake(new Date(now().getTime() + WAKE_RETRY_MS).toISOString());
      }
    }

    private notificationId(): string {
      return this.getActorId().getId();
    }

    private async load(): Promise<NotificationState | undefined> {
      const [found, value] = await this.getStateManager<NotificationState>().tryGetState(STATE_KEY);
      return found && value ? value : undefined;
    }

    private async apply(eventFor: (state: NotificationState | undefined) => Promise<NotificationEvent>): Promise<NotificationState | undefined> {
      const stateManager = this.getStateManager<NotificationState>();
      try {
        const current = await this.load();
        const decision = decide(current, await eventFor(current), { now: now(), random: random(), policy: deps.policy });
        if (!decision.state) return undefined;
        if (decision.changed) {
          await stateManager.setState(STATE_KEY, decision.state);
          // Save before acting: a send must never go out for a state we failed to record.
          await stateManager.saveState();
        }
        for (const effect of decision.effects) await this.perform(decision.state, effect);
        return await this.load();
      } catch (err) {
        // The SDK keeps unsaved changes cached in this activation when a method throws;
        // drop them so the next turn starts from what the store holds.
        await stateManager.clearCache();
        throw err;
      }
    }

    /** Performs one effect. A failure throws: the event is delivered again and re-issues it (owedEffects). */
    private async perform(state: NotificationState, effect: Effect): Promise<void> {
      const notificationId = state.id;
      switch (effect.type) {
        case 'send':
          try {
            await deps.sidecar.invokeBinding(channelOutBinding(effect.dispatch.channel), 'create', effect.dispatch);
            deps.log.debug({ notificationId, attempt: effect.dispatch.attempt }, 'dispatched');
          } catch (err) {
            const reason = `queue hand-off failed: ${errMessage(err)}`;
            deps.log.warn({ notificationId, attempt: effect.dispatch.attempt, err: reason }, 'dispatch failed');
            await this.apply(async () => ({ type: 'dispatch-failed', attempt: effect.dispatch.attempt, reason }));
          }
          return;
        case 'schedule-wake':
          await this.registerWake(effect.at);
          deps.log.info({ notificationId, status: state.status, at: effect.at }, 'wake-up scheduled');
          return;
        case 'cancel-wake':
          await deps.sidecar.deleteReminder(NOTIFICATION_ACTOR, notificationId, WAKE_REMINDER).catch((err: unknown) => {
            // A reminder left behind wakes a finished notification, which changes nothing.
            deps.log.warn({ notificationId, err: errMessage(err) }, 'could not delete reminder');
          });
          return;
        case 'index':
          await deps.history.add(state.tenantId, state.customerId, notificationId, Date.parse(state.createdAt));
          return;
        case 'notify': {
          const event = statusEventOf(state, effect.index);
          if (event) await deps.statusEvents.enqueue(event);
          return;
        }
      }
    }

    private async registerWake(at: string): Promise<void> {
      // A durable reminder, not a timer: it survives the dispatcher's restart. Registered again
      // under the same name, it replaces the one before.
      await deps.sidecar.registerReminder(NOTIFICATION_ACTOR, this.notificationId(), WAKE_REMINDER, {
        dueTime: `${Math.max(0, Date.parse(at) - now().getTime())}ms`,
        // A JSON *string*: when the reminder fires, @dapr/dapr 3.18 (ActorReminderData.fromObject)
        // calls toString() on the data before JSON.parse, which turns an object into "[object Object]".
        data: JSON.stringify({ at }),
      });
    }
  };
}

