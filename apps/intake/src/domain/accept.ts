import type { NotificationAccepted, NotificationRequest } from '@herald/shared';

/** The event intake publishes for a request it accepted. */
export function acceptedEvent(id: string, tenantId: string, request: NotificationRequest, now: Date): NotificationAccepted {
  return { schemaVersion: 1, id, tenantId, acceptedAt: now.toISOString(), request };
}
