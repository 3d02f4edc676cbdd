import { ChannelDispatchSchema, type ChannelDispatch, type DeliveryOutcome, type DeliveryResult } from '../contracts/events.js';
import type { Channel } from '../contracts/notification-request.js';
import { NOTIFICATION_ACTOR } from '../dapr/names.js';
import type { Sidecar } from '../dapr/sidecar.js';
import { traceIdOf } from '../dapr/trace.js';
import type { Logger } from '../log.js';
import type { ProviderPort } from './provider-port.js';

/** What to tell the queue about one message. */
export type Ack = 'ack' | 'retry';

export interface ChannelWorker {
  handle(body: unknown, traceparent?: string): Promise<Ack>;
}

export interface ChannelWorkerDeps {
  channel: Channel;
  provider: ProviderPort;
  sidecar: Sidecar;
  log: Logger;
  now?: () => Date;
  /** How many recent outcomes to remember so a redelivered message is reported, not re-sent. */
  rememberOutcomes?: number;
}

/**
 * Takes one message from the channel's queue: sends it through the provider and reports the
 * outcome to the notification's actor. Never throws.
 *
 * If the report fails after the provider took the message, the queue redelivers it; the
 * outcome remembered under (notification id, attempt) is then reported again instead of
 * sending twice. (That memory is this replica's; issue 5 makes it shared.)
 */
export function createChannelWorker(deps: ChannelWorkerDeps): ChannelWorker {
  const now = deps.now ?? (() => new Date());
  const capacity = deps.rememberOutcomes ?? 10_000;
  const outcomes = new Map<string, DeliveryOutcome>();

  function remember(key: string, outcome: DeliveryOutcome): void {
    outcomes.set(key, outcome);
    if (outcomes.size > capacity) {
      const oldest = outcomes.keys().next();
      if (!oldest.done) outcomes.delete(oldest.value);
    }
  }

  async function send(message: ChannelDispatch): Promise<DeliveryOutcome> {
    try {
      return await deps.provider.send(message);
    } catch (err) {
      // A provider adapter that throws has a bug; the notification still deserves a retry.
      return { kind: 'transient', provider: deps.provider.name, reason: `provider adapter error: ${errMessage(err)}` };
    }
  }

  return {
    async handle(body, traceparent) {
      const parsed = ChannelDispatchSchema.safeParse(body);
      if (!parsed.success) {
        // Redelivering it would fail the same way: acknowledge, and say so loudly.
        deps.log.error({ issues: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) }, 'unreadable dispatch dropped');
        return 'ack';
      }
      const message = parsed.data;
      if (message.channel !== deps.channel) {
        deps.log.error({ notificationId: message.notificationId, channel: message.channel }, 'dispatch for another channel dropped');
        return 'ack';
      }
      const key = `${message.notificationId}/${message.attempt}`;
      let outcome = outcomes.get(key);
      if (!outcome) {
        // A dispatch that waited in the queue past its expiry is not sent late (an OTP, a flash sale).
        const expired = message.expiresAt !== undefined && Date.parse(message.expiresAt) <= now().getTime();
        outcome = expired ? { kind: 'expired', provider: deps.provider.name } : await send(message);
        remember(key, outcome);
      }
      const traceId = traceIdOf(message.traceparent ?? traceparent);
      const result: DeliveryResult = {
        schemaVersion: 1,
        notificationId: message.notificationId,
        attempt: message.attempt,
        channel: message.channel,
        at: now().toISOString(),
        outcome,
        ...(traceId ? { traceId } : {}),
      };
      try {
        await deps.sidecar.invokeActor(NOTIFICATION_ACTOR, message.notificationId, 'recordResult', result, { traceparent });
      } catch (err) {
        deps.log.warn({ notificationId: message.notificationId, attempt: message.attempt, err: errMessage(err) }, 'result report failed; redelivery will report it');
        return 'retry';
      }
      deps.log.debug({ notificationId: message.notificationId, attempt: message.attempt, outcome: outcome.kind }, 'delivered to provider');
      return 'ack';
    },
  };
}

const errMessage = (err: unknown): string => (err instanceof Error ? err.message : String(err));
