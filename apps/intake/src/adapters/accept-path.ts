import type { IncomingHttpHeaders, RequestListener, Server } from 'node:http';
import { createHttpServer, header, type HttpRequest, type HttpResponse, type Logger, type Route } from '@herald/service';
import type { Authenticate } from './api-keys.js';
import { callerFor, internalError, invalidJson, isAnswer, payloadTooLarge, type JsonRoute } from './routes/answer.js';

// The accept routes without express: every notification crosses one of them, and in a bench
// profile of intake express, its router and its body parser took more of intake's CPU than the
// validation, the admission check and the publish together (docs/performance.md, "Why
// node:http"). This path answers the same requests with the same answers; anything it is not
// sure to read exactly as express would (a compressed body, a charset other than UTF-8, another
// spelling of the path) it leaves to express, which serves the same route functions.

export interface AcceptPathRoute {
  route: JsonRoute;
  bodyLimitBytes: number;
}

export interface AcceptPathOptions {
  authenticate: Authenticate;
  /** By exact path (`/v1/notifications`): POST only. */
  routes: Record<string, AcceptPathRoute>;
  log: Logger;
  /** Serves every request the lean path leaves (express). */
  fallback: RequestListener;
  /** Routes served before the accept routes, without an API key (`/metrics`). */
  before?: Route[];
}

const UTF8_CHARSET = /;\s*charset\s*=\s*"?utf-?8"?\s*(;|$)/i;

/** Whether the body reads as UTF-8 JSON as it comes: not compressed, no other charset. */
function readsAsIs(headers: IncomingHttpHeaders): boolean {
  const encoding = headers['content-encoding'];
  if (encoding !== undefined && encoding.toLowerCase() !== 'identity') return false;
  const type = headers['content-type'];
  return type === undefined || !/charset/i.test(type) || UTF8_CHARSET.test(type);
}

/** express.json reads an empty body as `{}`: only a request without one (no length, not chunked) has none. */
const hasBody = (headers: IncomingHttpHeaders): boolean => headers['transfer-encoding'] !== undefined || headers['content-length'] !== undefined;

function acceptRoute(opts: AcceptPathOptions): Route {
  const routes = new Map(Object.entries(opts.routes));

  async function serve(req: HttpRequest, entry: AcceptPathRoute): Promise<HttpResponse> {
    // Authenticate before reading a body: an unauthenticated caller gets 401, never a parse error.
    const caller = await callerFor(opts.authenticate, req.headers.authorization, 'send');
    if (isAnswer(caller)) return caller;
    const body = await req.json(entry.bodyLimitBytes);
    return entry.route({ tenantId: caller.tenantId, body: body === undefined && hasBody(req.headers) ? {} : body, header: (name) => header(req.headers, name) });
  }

  return (req) => {
    const entry = req.method === 'POST' ? routes.get(req.path) : undefined;
    return entry && readsAsIs(req.headers) ? serve(req, entry) : undefined;
  };
}

/** Intake's server: the accept routes on the lean path, every other request through `fallback`. */
export function createAcceptServer(opts: AcceptPathOptions): Server {
  return createHttpServer({
    routes: [...(opts.before ?? []), acceptRoute(opts)],
    fallback: opts.fallback,
    log: opts.log,
    jsonContentType: 'application/json; charset=utf-8',
    // A refused body is not read on: the connection closes after the answer.
    answers: { invalidJson, internalError, tooLarge: (limit) => ({ ...payloadTooLarge(limit), headers: { Connection: 'close' } }) },
  });
}
