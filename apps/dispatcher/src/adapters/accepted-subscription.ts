import { DaprPubSubStatusEnum } from '@dapr/dapr';
import { NOTIFICATION_ACTOR, NotificationAcceptedSchema, type Logger, type Sidecar } from '@herald/shared';

/**
 * Handles one `notification accepted` event from a lane's topic by handing it to the
 * notification's actor. Never throws: the @dapr/dapr SDK acknowledges a thrown handler as
 * success, which would lose the message. Unreadable input is dropped (it can never succeed);
 * anything else that fails is retried by the broker.
 */
export function createAcceptedHandler(deps: { sidecar: Sidecar; log: Logger }) {
  return async (data: unknown, headers: object): Promise<DaprPubSubStatusEnum> => {
    const parsed = NotificationAcceptedSchema.safeParse(data);
    if (!parsed.success) {
      deps.log.error({ issues: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) }, 'unreadable accepted event dropped');
      return DaprPubSubStatusEnum.DROP;
    }
    const event = parsed.data;
    const traceparent = 'traceparent' in headers && typeof headers.traceparent === 'string' ? headers.traceparent : undefined;
    try {
      await deps.sidecar.invokeActor(NOTIFICATION_ACTOR, event.id, 'accept', { event, traceparent }, { traceparent });
      return DaprPubSubStatusEnum.SUCCESS;
    } catch (err) {
      deps.log.warn({ notificationId: event.id, err: err instanceof Error ? err.message : String(err) }, 'actor call failed; will be redelivered');
      return DaprPubSubStatusEnum.RETRY;
    }
  };
}
