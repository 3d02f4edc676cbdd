import { errMessage, NOTIFICATION_ACTOR, NotificationAcceptedSchema, type Logger, type Sidecar } from '@herald/shared';

export interface DeadLetters {
  /** Parks a message that can never be processed, with why; resolves once it is durably kept. */
  park(topic: string, reason: string, data: unknown): Promise<void>;
}

/** How one delivered message is settled (Dapr docs, "Pub/sub API", the app's answer). */
export type EntryStatus = 'SUCCESS' | 'RETRY' | 'DROP';

/** Handles one delivered message: its data, and the trace of the CloudEvent that carried it. */
export type EntryHandler = (data: unknown, traceparent: string | undefined) => Promise<EntryStatus>;

/**
 * Handles one `notification accepted` event from a lane's topic by handing it to the
 * notification's actor. Never throws: every outcome is a status. Unreadable input goes to the
 * dead-letter topic with its reason and is acknowledged (it can never succeed, and must not
 * block the subscription); anything else that fails is retried by the broker.
 */
export function createAcceptedHandler(deps: { sidecar: Sidecar; log: Logger; deadLetters: DeadLetters; topic: string }): EntryHandler {
  return async (data, cloudEventTraceparent) => {
    const parsed = NotificationAcceptedSchema.safeParse(data);
    if (!parsed.success) {
      const reason = parsed.error.issues.map((i) => `${i.path.join('.') || '(event)'}: ${i.message}`).join('; ');
      try {
        await deps.deadLetters.park(deps.topic, reason, data);
        deps.log.error({ topic: deps.topic, reason }, 'unreadable accepted event dead-lettered');
        return 'SUCCESS';
      } catch (err) {
        deps.log.error({ topic: deps.topic, err: errMessage(err) }, 'could not dead-letter an unreadable event; will be redelivered');
        return 'RETRY';
      }
    }
    const event = parsed.data;
    // Intake puts the request's trace into the event itself (a bulk publish has no per-message
    // headers); an event without one continues the CloudEvent's.
    const traceparent = event.traceparent ?? cloudEventTraceparent;
    try {
      await deps.sidecar.invokeActor(NOTIFICATION_ACTOR, event.id, 'accept', { event, traceparent }, { traceparent });
      return 'SUCCESS';
    } catch (err) {
      deps.log.warn({ notificationId: event.id, err: errMessage(err) }, 'actor call failed; will be redelivered');
      return 'RETRY';
    }
  };
}
