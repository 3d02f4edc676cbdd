// `herald tail`: which status changes a poll brings that were not printed before. A timeline
// only grows (each change is an entry with its time), so what is new in a notification is what
// lies past the entries already seen; a poll that misses a status in passing still prints it.
import type { NotificationStatus, NotificationView, TimelineEntry } from '@herald/contracts';

/** Statuses after which Herald has nothing more to do (a provider's callback may still move a `sent` one on). */
const WAITING: ReadonlySet<NotificationStatus> = new Set(['accepted', 'scheduled', 'dispatched', 'retrying']);

export const isFinal = (status: NotificationStatus): boolean => !WAITING.has(status);

/** One change as tail prints it: the timeline entry, and whose. */
export interface Change extends TimelineEntry {
  id: string;
  customerId?: string;
  /** Herald has nothing more to do for the notification once it is here. */
  final: boolean;
}

/** What tail has printed: each notification's timeline entries seen so far. */
export type Seen = ReadonlyMap<string, number>;

export interface Detected {
  changes: Change[];
  seen: Map<string, number>;
}

/**
 * The new entries of `views` against `seen`, oldest first, and what has been seen after them.
 * Entries before `since` are taken as seen without being changes: a customer's history holds
 * notifications from long before tail started. A timeline shorter than what was seen (the
 * notification was stripped by an erasure and kept statuses only) is read again from its start
 * without printing what was already printed: only its entries past that count are new.
 */
export function detectChanges(seen: Seen, views: readonly NotificationView[], since?: Date): Detected {
  const next = new Map(seen);
  const changes: Change[] = [];
  for (const view of views) {
    const before = seen.get(view.id);
    let start = before ?? 0;
    if (before === undefined && since) {
      while (start < view.timeline.length && Date.parse(view.timeline[start]?.at ?? '') < since.getTime()) start++;
    }
    for (const entry of view.timeline.slice(start)) {
      changes.push({ id: view.id, ...(view.customerId !== undefined ? { customerId: view.customerId } : {}), ...entry, final: isFinal(entry.status) });
    }
    next.set(view.id, Math.max(start, view.timeline.length));
  }
  // By time, then in each timeline's own order (sort is stable).
  changes.sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  return { changes, seen: next };
}

/** Whether every one of `ids` has reached a final status (by its view's current status). */
export function allFinal(ids: readonly string[], statuses: ReadonlyMap<string, NotificationStatus>): boolean {
  return ids.every((id) => {
    const status = statuses.get(id);
    return status !== undefined && isFinal(status);
  });
}
