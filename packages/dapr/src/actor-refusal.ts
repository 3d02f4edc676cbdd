import { SidecarError } from './sidecar-error.js';

// An actor turn that fails for want of something (a store, the sidecar, a broker) is worth
// another try; one that fails on its input or on a bug fails the same way every time. The
// actor host marks the second kind in its answer, and daprd passes that answer through to the
// caller inside its own error (Dapr docs, "Actors API reference": a non-200 from the app is
// returned as ERR_ACTOR_INVOKE_METHOD with the app's body in the message), so a caller holding
// a message can park it instead of asking forever.

/** The field the actor host adds to the answer of a turn that can never succeed. */
export const ACTOR_REFUSED_FIELD = 'heraldRefused';

const NEVER_SUCCEEDS = new Set(['ZodError', 'TypeError', 'RangeError', 'SyntaxError', 'ReferenceError']);

/** A turn's error that another try would meet again: bad input, or a bug. */
export function failsEveryTime(err: unknown): boolean {
  return err instanceof Error && NEVER_SUCCEEDS.has(err.name);
}

/** The actor's refusal, when an actor call failed with one: what to record as the reason. */
export function actorRefusal(err: unknown): string | undefined {
  if (!(err instanceof SidecarError) || !err.body.includes(ACTOR_REFUSED_FIELD)) return undefined;
  return err.message;
}
