import { StateConflict, type StatePort } from '@herald/dapr';

const MAX_TRIES = 8;

/**
 * Reads one record, changes it, and writes it back at the version read (ETag; a first write
 * only if it is still absent). Two changes at once, on two replicas, cannot lose one another:
 * the one refused waits a moment (random, growing with each try, so contenders that collided do
 * not collide again in step) and reads again, up to eight tries: n changes at once need up to n
 * tries for the last of them. `edit` returns the new value (or none, to write nothing) and what
 * to answer.
 */
export async function changeRecord<V, T>(
  state: StatePort,
  store: string,
  key: string,
  edit: (current: unknown) => { value?: V; result: T },
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const current = await state.getState<unknown>(store, key);
    const { value, result } = edit(current?.value);
    if (value === undefined) return result;
    try {
      await state.saveState(store, key, value, current ? { etag: current.etag } : { onlyIfAbsent: true });
      return result;
    } catch (err) {
      if (!(err instanceof StateConflict) || attempt >= MAX_TRIES) throw err;
    }
    await new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * attempt));
  }
}
