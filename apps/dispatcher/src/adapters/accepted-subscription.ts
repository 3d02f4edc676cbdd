import { DaprPubSubStatusEnum } from '@dapr/dapr';
import { errMessage, NOTIFICATION_ACTOR, NotificationAcceptedSchema, type Logger, type Sidecar } from '@herald/shared';

export interface DeadLetters {
  /** Parks a message that can never be processed, with why; resolves once it is durably kept. */
  park(topic: string, reason: string, data: unknown): Promise<void>;
}

/**
 * Handles one `notification accepted` event from a lane's topic by handing it to the
 * notification's actor. Never throws: the @dapr/dapr SDK acknowledges a thrown handler as
 * success, which would lose the message. Unreadable input goes to the dead-letter topic with
 * its reason (it can never succeed, and must not block the subscription); anything else that
 * fails is retried by the broker.
 */
export function createAcceptedHandler(deps: { sidecar: Sidecar; log: Logger; deadLetters: DeadLetters; topic: string }) {
  return async (data: unknown, headers: object): Promise<DaprPubSubStatusEnum> => {
    const parsed = NotificationAcceptedSchema.safeParse(data);
    if (!parsed.success) {
      const reason = parsed.error.issues.map((i) => `${i.path.join('.') || '(event)'}: ${i.message}`).join('; ');
      try {
        await deps.deadLetters.park(deps.topic, reason, data);
        deps.log.error({ topic: deps.topic, reason }, 'unreadable accepted event dead-lettered');
        return DaprPubSubStatusEnum.SUCCESS;
      } catch (err) {
        deps.log.error({ topic: deps.topic, err: errMessage(err) }, 'could not dead-letter an unreadable event; will be redelivered');
        return DaprPubSubStatusEnum.RETRY;
      }
    }
    const event = parsed.data;
    const traceparent = 'traceparent' in headers && typeof headers.traceparent === 'string' ? headers.traceparent : undefined;
    try {
      await deps.sidecar.invokeActor(NOTIFICATION_ACTOR, event.id, 'accept', { event, traceparent }, { traceparent });
      return DaprPubSubStatusEnum.SUCCESS;
    } catch (err) {
      deps.log.warn({ notificationId: event.id, err: errMessage(err) }, 'actor call failed; will be redelivered');
      return DaprPubSubStatusEnum.RETRY;
    }
  };
}

