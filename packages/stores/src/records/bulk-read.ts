// A bulk read that cannot mistake a failed read for absent keys.
//
// Dapr's PostgreSQL state store (v1, as of components-contrib 1.18) reads a bulk get with one
// query and does not check the rows' error after the loop: when the query fails once sent (a
// server restarting, a connection terminated), it answers every key as absent, with no error.
// Seen in Herald's postgres-restart chaos test, where customers read so looked as if they had
// no data. So each bulk read also asks for one key that always exists; without it, the answer
// is not trusted.
import type { StateEntry, StatePort } from '@herald/dapr';

/** Kept in every store read in bulk, so that its absence gives a failed read away. */
export const PRESENT_KEY = 'herald|present';

export class BulkReadFailed extends Error {
  constructor(store: string) {
    super(`a bulk read of ${store} came back without its marker key: the store failed it`);
    this.name = new.target.name;
  }
}

/**
 * getBulkState, throwing BulkReadFailed when the store answered without PRESENT_KEY. The first
 * time a store is read so, the marker is made (a single read, which reports failures, says it
 * is missing for real) and the read made again.
 */
export async function getBulkStateChecked<T>(state: StatePort, store: string, keys: string[]): Promise<Map<string, StateEntry<T>>> {
  for (let made = false; ; made = true) {
    const found = await state.getBulkState<T>(store, [...keys, PRESENT_KEY]);
    if (found.has(PRESENT_KEY)) {
      found.delete(PRESENT_KEY);
      return found;
    }
    if (made || (await state.getState(store, PRESENT_KEY)) !== undefined) throw new BulkReadFailed(store);
    await state.saveState(store, PRESENT_KEY, { present: true });
  }
}
