import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { errMessage, readBody, type Logger } from '@herald/service';

// The dispatcher's HTTP face toward its sidecar: plain node:http, because every notification
// crosses it at least twice (its lane's delivery, its actor's turns) and a framework's per-request
// work was a measurable share of the dispatcher's CPU (docs/performance.md).

export interface HttpRequest {
  method: string;
  /** The path without its query, still percent-encoded. */
  path: string;
  headers: IncomingHttpHeaders;
  /** The parsed JSON body; undefined when the request had none. */
  body: unknown;
}

/** `json` present (even null) is sent as JSON; absent, the response has no body. */
export interface HttpResponse {
  status: number;
  json?: unknown;
}

/** Claims a request by returning its handling, or passes (undefined) to the next route. */
export type Route = (req: HttpRequest) => Promise<HttpResponse> | undefined;

export interface HttpServerOptions {
  host: string;
  port: number;
  routes: Route[];
  log: Logger;
  maxBodyBytes?: number;
}

export function startHttpServer(opts: HttpServerOptions): Promise<Server> {
  const maxBody = opts.maxBodyBytes ?? 16 * 1024 * 1024;
  const server = createServer((req, res) => {
    const send = (response: HttpResponse) => {
      if (!Object.hasOwn(response, 'json')) {
        res.writeHead(response.status).end();
        return;
      }
      const text = JSON.stringify(response.json ?? null);
      res.writeHead(response.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text);
    };
    readBody(req, maxBody)
      .then((raw) => {
        let body: unknown;
        try {
          body = raw.length === 0 ? undefined : (JSON.parse(raw.toString('utf8')) as unknown);
        } catch {
          return { status: 400, json: { error: 'the body is not JSON' } };
        }
        const request: HttpRequest = { method: req.method ?? 'GET', path: (req.url ?? '/').split('?')[0] ?? '/', headers: req.headers, body };
        for (const route of opts.routes) {
          const handled = route(request);
          if (handled) return handled;
        }
        return { status: 404, json: { error: 'no such route' } };
      })
      .then(send, (err: unknown) => {
        // Routes answer their own failures; this is a broken request or a bug.
        opts.log.error({ method: req.method, err: errMessage(err) }, 'request failed');
        if (!res.headersSent) send({ status: 500, json: { error: 'internal error' } });
      });
  });
  // Node's default (5 s) closes idle keep-alive connections that the sidecar may be about to
  // reuse, and a request racing that close fails: keep them open across quiet spells.
  server.keepAliveTimeout = 65_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve(server));
  });
}
