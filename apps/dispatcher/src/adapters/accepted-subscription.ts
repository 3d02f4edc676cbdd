import { NotificationAcceptedSchema } from '@herald/contracts';
import { errMessage, noTracing, type Logger, type Tracing } from '@herald/service';
import { actorRefusal, NOTIFICATION_ACTOR, type ActorPort } from '@herald/dapr';

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
 * notification's actor. Never throws: every outcome is a status. Unreadable input, and input the
 * actor refuses for good, goes to the dead-letter topic with its reason and is acknowledged (it
 * can never succeed, and must not block the subscription); anything else that fails is retried.
 */
export function createAcceptedHandler(deps: { sidecar: ActorPort; log: Logger; deadLetters: DeadLetters; topic: string; tracing?: Tracing }): EntryHandler {
  const tracing = deps.tracing ?? noTracing;
  /** Parks a message that can never be taken, with why; it is retried only if it cannot be parked. */
  async function park(reason: string, data: unknown): Promise<EntryStatus> {
    try {
      await deps.deadLetters.park(deps.topic, reason, data);
      deps.log.error({ topic: deps.topic, reason }, 'accepted event dead-lettered');
      return 'SUCCESS';
    } catch (err) {
      deps.log.error({ topic: deps.topic, err: errMessage(err) }, 'could not dead-letter an event; will be redelivered');
      return 'RETRY';
    }
  }

  return async (data, cloudEventTraceparent) => {
    const parsed = NotificationAcceptedSchema.safeParse(data);
    if (!parsed.success) {
      return park(parsed.error.issues.map((i) => `${i.path.join('.') || '(event)'}: ${i.message}`).join('; '), data);
    }
    const event = parsed.data;
    // Intake puts the request's trace into the event itself (a bulk publish has no per-message
    // headers); an event without one continues the CloudEvent's.
    // The delivery's own span: a bulk delivery is one request for many notifications, so the
    // sidecar's request names at most one of their traces; each entry continues its own.
    const span = tracing.start('take from lane', {
      parent: event.traceparent ?? cloudEventTraceparent,
      kind: 'consumer',
      notificationId: event.id,
      attributes: { 'messaging.destination.name': deps.topic },
    });
    const traceparent = span.traceparent;
    try {
      await deps.sidecar.invokeActor(NOTIFICATION_ACTOR, event.id, 'accept', { event, traceparent }, { traceparent });
      span.end();
      return 'SUCCESS';
    } catch (err) {
      span.end('actor call failed');
      // The lane's sidecar holds a RETRY and asks again until it is taken (resiliency.yaml,
      // laneDelivery), so a message the actor refuses for good must leave the lane here.
      const refusal = actorRefusal(err);
      if (refusal) return park(`the notification's actor refused it: ${refusal}`, data);
      deps.log.warn({ notificationId: event.id, err: errMessage(err) }, 'actor call failed; will be redelivered');
      return 'RETRY';
    }
  };
}
