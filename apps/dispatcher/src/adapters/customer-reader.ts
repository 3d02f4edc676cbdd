import { errMessage, type Logger } from '@herald/service';
import type { CustomerRecords, CustomerStore } from '@herald/stores';
import type { PreferencesLookup } from '../domain/notification-machine.js';

/** A customer's records as the actor could read them: an error is `unavailable`, never "none". */
export type CustomerLookup = { kind: 'found'; records: CustomerRecords } | { kind: 'unavailable'; reason: string };

/** Reads a customer's profile and preferences; never throws. */
export type ReadCustomer = (tenantId: string, customerId: string) => Promise<CustomerLookup>;

/**
 * Reads a customer's records (profile and preferences in one sidecar request), bounded in time.
 * A failure or a slow store is `unavailable`: the state machine then holds the notification
 * (fail closed) instead of sending it unchecked, or to nobody.
 */
export function createCustomerReader(store: Pick<CustomerStore, 'read'>, log: Logger, timeoutMs = 2_000): ReadCustomer {
  return async (tenantId, customerId) => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      return { kind: 'found', records: await Promise.race([store.read(tenantId, customerId), timeout]) };
    } catch (err) {
      const reason = errMessage(err);
      log.warn({ tenantId, err: reason }, 'customer records unavailable');
      return { kind: 'unavailable', reason };
    } finally {
      clearTimeout(timer);
    }
  };
}

/**
 * A reader for one actor turn: each customer is read at most once, and every later ask gets the
 * first answer. A bulk notification checks the preferences and then sends to the profile's
 * address in the same turn; the two cost one read, and see the same records.
 */
export function readOncePerTurn(read: ReadCustomer): ReadCustomer {
  const answers = new Map<string, Promise<CustomerLookup>>();
  return (tenantId, customerId) => {
    const key = `${tenantId}|${customerId}`;
    let answer = answers.get(key);
    if (!answer) {
      answer = read(tenantId, customerId);
      answers.set(key, answer);
    }
    return answer;
  };
}

/** The preferences part of a lookup, as the state machine takes it. */
export function preferencesOf(lookup: CustomerLookup): PreferencesLookup {
  if (lookup.kind === 'unavailable') return lookup;
  const { preferences } = lookup.records;
  return preferences ? { kind: 'found', preferences } : { kind: 'none' };
}
