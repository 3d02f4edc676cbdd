import type { ChannelDispatch, SealedDispatch } from '@herald/contracts';
import { openDispatch, sealedKeyId, Undecryptable, type DataKeys } from '@herald/stores';

/**
 * Opens a sealed dispatch in memory, just before its send. What it opens is never written
 * anywhere: it goes to the provider and is dropped.
 */
export interface DispatchOpener {
  /**
   * The dispatch in the clear; `erased` when the customer's data key is gone (or is a newer one:
   * the customer was erased since), so nothing in it can be read again; `undecryptable` when a
   * sealed field fails authentication (tampered with, or sealed in another customer's context).
   * Throws when the key store cannot be read: the dispatch may open later.
   */
  open(sealed: SealedDispatch): Promise<ChannelDispatch | 'erased' | 'undecryptable'>;
}

/** The opener over the customers' data keys (component `datakeys`, read through the sidecar). */
export function createDispatchOpener(keys: Pick<DataKeys, 'forOpening'>): DispatchOpener {
  return {
    async open(sealed) {
      try {
        // The content is always sealed, and the recipient under the same key: its key id says which.
        const key = await keys.forOpening(sealed.tenantId, sealed.customerId, sealedKeyId(sealed.content));
        if (key === undefined) return 'erased';
        return openDispatch(key, sealed);
      } catch (err) {
        // Also a wrapped data key the key ring cannot unwrap (its KEK version retired too early).
        if (err instanceof Undecryptable) return 'undecryptable';
        throw err;
      }
    },
  };
}
