import type { StatusEvent } from '@herald/contracts';
import { openStoredMetadata, type DataKeys } from '@herald/stores';

/** Turns a queued status event into the one its receiver gets. */
export type EventOpener = (event: StatusEvent) => Promise<StatusEvent>;

/**
 * Opens a status event's metadata, just before it is POSTed: in the webhook queue (and in an
 * endpoint's dead list) the values stay sealed under the customer's data key. When that key is
 * gone (the customer was erased) or a value does not open, the event goes without metadata:
 * never with the sealed values, never held back for what can never open. A failure to read the
 * key at all (the store unreachable) is thrown: the delivery waits and tries again.
 */
export function createEventOpener(dataKeys: Pick<DataKeys, 'forOpening'>): EventOpener {
  return async (event) => {
    const { metadata, ...rest } = event;
    if (metadata === undefined) return event;
    const opened = await openStoredMetadata(dataKeys, { tenantId: event.tenantId, customerId: event.customerId }, metadata);
    return opened ? { ...rest, metadata: opened } : rest;
  };
}
