import { createHash, timingSafeEqual } from 'node:crypto';
import { header, type Route } from './http-server.js';

// Dapr's app token: a sidecar started with APP_API_TOKEN sends it, in the header
// `dapr-api-token`, with every request it makes to its app (service invocations, pub/sub
// deliveries, actor calls, /dapr/subscribe, /dapr/config). An app whose routes are for its
// sidecar alone puts this route first, so nothing else on the machine or the network can
// hand it a message, call its actors or read its subscriptions. The sidecar's health probe
// carries no token (daprd 1.18 sends none), so the health path stays open.

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

/**
 * Whether a presented secret is `secret`, compared as digests: equal lengths, and no timing that
 * tells how much of a guess was right. Absent is never it.
 */
export function secretMatcher(secret: string): (presented: string | undefined) => boolean {
  const want = digest(secret);
  return (presented) => presented !== undefined && timingSafeEqual(digest(presented), want);
}

/**
 * A route that answers 401 to any request without the app token, and passes the rest on (also,
 * always, those whose path `open` allows). Without a token it passes everything.
 */
export function requireAppToken(token: string | undefined, open: (path: string) => boolean): Route {
  if (!token) return () => undefined;
  const isToken = secretMatcher(token);
  return (req) => {
    if (open(req.path)) return undefined;
    if (isToken(header(req.headers, 'dapr-api-token'))) return undefined;
    return Promise.resolve({ status: 401, json: { error: 'this app takes requests from its Dapr sidecar only (dapr-api-token)' } });
  };
}
