import { AbstractActor } from '@dapr/dapr';
import {
  channelOutBinding,
  DeliveryResultSchema,
  NOTIFICATION_ACTOR,
  NotificationAcceptedSchema,
  traceIdOf,
  type Logger,
  type NotificationView,
  type Sidecar,
} from '@herald/shared';
import { z } from 'zod';
import type { RetryPolicy } from '../domain/backoff.js';
import { decide, toView, type Effect, type NotificationEvent, type NotificationState } from '../domain/notification-machine.js';

export interface NotificationActorDeps {
  sidecar: Sidecar;
  log: Logger;
  policy: RetryPolicy;
  now?: () => Date;
  random?: () => number;
}

const STATE_KEY = 'notification';
const RETRY_REMINDER = 'retry';

/** Body of the actor's `accept` method: the event as published, and the trace it came with. */
export const AcceptCommandSchema = z.object({ event: NotificationAcceptedSchema, traceparent: z.string().optional() });
const RetryReminderSchema = z.object({ attempt: z.number().int().positive() });

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

  return class NotificationActor extends AbstractActor {
    async accept(body: unknown): Promise<{ status: string }> {
      const cmd = AcceptCommandSchema.parse(body);
      const state = await this.apply({ type: 'accept', accepted: cmd.event, traceId: traceIdOf(cmd.traceparent) });
      return { status: state?.status ?? 'unknown' };
    }

    async recordResult(body: unknown): Promise<{ status: string }> {
      const result = DeliveryResultSchema.parse(body);
      const state = await this.apply({ type: 'result', result });
      return { status: state?.status ?? 'unknown' };
    }

    async view(): Promise<NotificationView | null> {
      const state = await this.load();
      return state ? toView(state) : null;
    }

    override async receiveReminder(data: unknown): Promise<void> {
      const parsed = RetryReminderSchema.safeParse(typeof data === 'string' ? safeJson(data) : data);
      if (!parsed.success) {
        deps.log.error({ notificationId: this.notificationId(), reminder: data }, 'unreadable reminder payload, ignored');
        return;
      }
      await this.apply({ type: 'retry-due', attempt: parsed.data.attempt });
    }

    private notificationId(): string {
      return this.getActorId().getId();
    }

    private async load(): Promise<NotificationState | undefined> {
      const [found, value] = await this.getStateManager<NotificationState>().tryGetState(STATE_KEY);
      return found && value ? value : undefined;
    }

    private async apply(event: NotificationEvent): Promise<NotificationState | undefined> {
      const stateManager = this.getStateManager<NotificationState>();
      try {
        const decision = decide(await this.load(), event, { now: now(), random: random(), policy: deps.policy });
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

    private async perform(state: NotificationState, effect: Effect): Promise<void> {
      const notificationId = state.id;
      switch (effect.type) {
        case 'send':
          try {
            await deps.sidecar.invokeBinding(channelOutBinding(effect.dispatch.channel), 'create', effect.dispatch);
            deps.log.debug({ notificationId, attempt: effect.dispatch.attempt }, 'dispatched');
          } catch (err) {
            const reason = `queue hand-off failed: ${err instanceof Error ? err.message : String(err)}`;
            deps.log.warn({ notificationId, attempt: effect.dispatch.attempt, err: reason }, 'dispatch failed');
            await this.apply({ type: 'dispatch-failed', attempt: effect.dispatch.attempt, reason });
          }
          return;
        case 'schedule-retry':
          // A durable reminder, not a timer: it survives the dispatcher's restart.
          // A failure here throws: the event is redelivered and re-issues this (owedEffects).
          await deps.sidecar.registerReminder(NOTIFICATION_ACTOR, notificationId, RETRY_REMINDER, {
            dueTime: `${Math.max(0, Date.parse(effect.at) - now().getTime())}ms`,
            // A JSON *string*: when the reminder fires, @dapr/dapr 3.18 (ActorReminderData.fromObject)
            // calls toString() on the data before JSON.parse, which turns an object into
            // "[object Object]".
            data: JSON.stringify({ attempt: effect.attempt }),
          });
          deps.log.info({ notificationId, attempt: effect.attempt, at: effect.at }, 'retry scheduled');
          return;
      }
    }
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
