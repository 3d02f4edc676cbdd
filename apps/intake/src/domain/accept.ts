import type { NotificationAccepted, NotificationRequest, SealedRequest } from '@herald/contracts';

/**
 * The event intake publishes for a request it accepted. It takes the request sealed (its
 * recipient, content and metadata values under the customer's data key): a queue holds its
 * events for days, and an erasure must reach every copy.
 */
export function acceptedEvent(id: string, tenantId: string, request: SealedRequest, now: Date): NotificationAccepted {
  return { schemaVersion: 2, id, tenantId, acceptedAt: now.toISOString(), request };
}

/** How far ahead a send can be scheduled. */
export const MAX_SCHEDULE_AHEAD_MS = 366 * 24 * 3_600_000;

/** What the schema cannot check because it needs the time: an expiry already past, a send too far ahead. */
export function timingIssues(request: NotificationRequest, now: Date): Array<{ field: string; message: string }> {
  const issues: Array<{ field: string; message: string }> = [];
  if (request.expiresAt && Date.parse(request.expiresAt) <= now.getTime()) {
    issues.push({ field: 'expiresAt', message: 'has already passed' });
  }
  if (request.sendAt && Date.parse(request.sendAt) > now.getTime() + MAX_SCHEDULE_AHEAD_MS) {
    issues.push({ field: 'sendAt', message: 'must be at most 366 days ahead' });
  }
  return issues;
}
