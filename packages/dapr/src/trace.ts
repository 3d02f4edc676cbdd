/** The trace id of a W3C traceparent header (version-traceid-parentid-flags), if well formed. */
export function traceIdOf(traceparent: string | undefined): string | undefined {
  const id = traceparent?.split('-')[1];
  return id && /^[0-9a-f]{32}$/.test(id) ? id : undefined;
}

/**
 * The parent a hop's own span continues: the traceparent its sidecar delivered with the request
 * (Dapr's span of that hop, so the app's span nests under it) when it is of the trace the message
 * itself carries, else the message's own. A sidecar starts a trace of its own where it could not
 * carry the message's (a reminder, a bulk request shared by many messages, tracing off), and the
 * message's trace is the one its notification is followed by.
 */
export function nearestParent(delivered: string | undefined, carried: string | undefined): string | undefined {
  if (!carried) return delivered;
  const trace = traceIdOf(delivered);
  return trace !== undefined && trace === traceIdOf(carried) ? delivered : carried;
}

/**
 * Whether a W3C traceparent asks for its trace to be recorded (the sampled bit of its flags).
 * What is not recorded need not be kept or carried beyond the header itself.
 */
export function isSampled(traceparent: string | undefined): boolean {
  const flags = traceparent?.split('-')[3];
  return flags !== undefined && /^[0-9a-f]{2}$/.test(flags) && (parseInt(flags, 16) & 1) === 1;
}
