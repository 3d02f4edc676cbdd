import { errMessage, type Logger } from '@herald/service';
import type { PreferencesStore } from '@herald/stores';
import type { PreferencesLookup } from '../domain/notification-machine.js';

/**
 * Reads a customer's preferences for the actor, bounded in time. A failure or a slow store is
 * `unavailable`, never an exception and never "no preferences": the state machine then holds
 * the notification (fail closed) instead of sending it unchecked.
 */
export function createPreferencesReader(store: PreferencesStore, log: Logger, timeoutMs = 2_000) {
  return async (tenantId: string, customerId: string): Promise<PreferencesLookup> => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      const found = await Promise.race([store.get(tenantId, customerId), timeout]);
      return found ? { kind: 'found', preferences: found } : { kind: 'none' };
    } catch (err) {
      const reason = errMessage(err);
      log.warn({ tenantId, err: reason }, 'preferences unavailable');
      return { kind: 'unavailable', reason };
    } finally {
      clearTimeout(timer);
    }
  };
}
