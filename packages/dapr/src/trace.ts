/** The trace id of a W3C traceparent header (version-traceid-parentid-flags), if well formed. */
export function traceIdOf(traceparent: string | undefined): string | undefined {
  const id = traceparent?.split('-')[1];
  return id && /^[0-9a-f]{32}$/.test(id) ? id : undefined;
}
