import { createServer, type IncomingHttpHeaders, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import { errMessage, type Logger } from './log.js';
import { BodyTooLargeError, readBody } from './read-body.js';

// Herald's small HTTP server: plain node:http, because every notification crosses one of these
// several times (intake's accept routes, the dispatcher's deliveries and actor turns, the
// channels' queues), and a framework's per-request work was a measurable share of the CPU
// (docs/performance.md, "Why node:http"). Routes claim a request from its method, path and
// headers before its body is read, so one may refuse it (or leave it to a fallback) without
// reading a byte.

export interface HttpRequest {
  method: string;
  /** As received: the path and the query, still percent-encoded. */
  url: string;
  /** The path without its query, still percent-encoded. */
  path: string;
  headers: IncomingHttpHeaders;
  /** The peer's address (the socket's, not a forwarded header's). */
  remoteAddress?: string | undefined;
  /** The body's bytes (read once); rejects with BodyTooLargeError past `maxBytes` (default: the server's). */
  body(maxBytes?: number): Promise<Buffer>;
  /**
   * The body parsed as JSON, undefined when empty, a leading byte-order mark dropped (as
   * express.json reads it); rejects with BodyTooLargeError or InvalidJsonError.
   */
  json(maxBytes?: number): Promise<unknown>;
}

/** `json` present (even null) is sent as JSON; else `body` as it is; neither, no body. */
export interface HttpResponse {
  status: number;
  headers?: Record<string, string>;
  json?: unknown;
  body?: string | Buffer;
}

/** Claims a request by returning its handling, or passes (undefined) to the next route. */
export type Route = (req: HttpRequest) => Promise<HttpResponse> | undefined;

/** What the server answers by itself. */
export interface ServerAnswers {
  /** A request no route claims, when there is no fallback. */
  notFound: HttpResponse;
  invalidJson: HttpResponse;
  /** A body over `limit` bytes: the rest of it is not read, so say `Connection: close`. */
  tooLarge(limit: number): HttpResponse;
  /** A route that failed (the failure is logged). */
  internalError: HttpResponse;
}

export interface HttpServerOptions {
  routes: Route[];
  log: Logger;
  /** The body limit of a request whose route names none; 1 MiB unless told. */
  maxBodyBytes?: number | undefined;
  /** Each defaults to a plain `{ error }` JSON answer. */
  answers?: Partial<ServerAnswers>;
  /** Serves the requests no route claims (instead of answering notFound). */
  fallback?: RequestListener;
  /** The Content-Type of a JSON answer; `application/json` unless told. */
  jsonContentType?: string;
  /**
   * How long an idle keep-alive connection stays open; 65 s unless told. Node's default (5 s)
   * closes connections a sidecar or client may be about to reuse, and a request racing that
   * close fails.
   */
  keepAliveTimeoutMs?: number;
}

/** A JSON body that does not parse. */
export class InvalidJsonError extends Error {
  constructor() {
    super('the body is not JSON');
    this.name = 'InvalidJsonError';
  }
}

const DEFAULT_ANSWERS: ServerAnswers = {
  notFound: { status: 404, json: { error: 'no such route' } },
  invalidJson: { status: 400, json: { error: 'the body is not JSON' } },
  tooLarge: (limit) => ({ status: 413, headers: { Connection: 'close' }, json: { error: `request body over ${limit} bytes` } }),
  internalError: { status: 500, json: { error: 'internal error' } },
};

/** Parses JSON text, answering undefined for malformed input instead of throwing. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** A request header's value; the first, where it came more than once. */
export function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

function jsonOf(raw: Buffer): unknown {
  if (raw.length === 0) return undefined;
  let text = raw.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  // JSON.parse never gives undefined, so undefined here is text that does not parse.
  const value = parseJson(text);
  if (value === undefined) throw new InvalidJsonError();
  return value;
}

function httpRequest(req: IncomingMessage, defaultLimit: number): HttpRequest {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  return {
    method: req.method ?? 'GET',
    url,
    path: q < 0 ? url : url.slice(0, q),
    headers: req.headers,
    remoteAddress: req.socket.remoteAddress,
    body: (maxBytes = defaultLimit) => readBody(req, maxBytes),
    json: (maxBytes = defaultLimit) => readBody(req, maxBytes).then(jsonOf),
  };
}

function send(res: ServerResponse, response: HttpResponse, jsonContentType: string): void {
  if (Object.hasOwn(response, 'json')) {
    const text = JSON.stringify(response.json ?? null);
    res.writeHead(response.status, { ...response.headers, 'content-type': jsonContentType, 'content-length': Buffer.byteLength(text) }).end(text);
  } else if (response.body !== undefined) {
    res.writeHead(response.status, { ...response.headers, 'content-length': Buffer.byteLength(response.body) }).end(response.body);
  } else {
    res.writeHead(response.status, response.headers).end();
  }
}

/** The first route's claim on the request, or undefined when every route passes. */
function claim(routes: Route[], req: HttpRequest): Promise<HttpResponse> | undefined {
  for (const route of routes) {
    const handled = route(req);
    if (handled) return handled;
  }
  return undefined;
}

export function createHttpServer(opts: HttpServerOptions): Server {
  const maxBody = opts.maxBodyBytes ?? 1024 * 1024;
  const answers: ServerAnswers = { ...DEFAULT_ANSWERS, ...opts.answers };
  const jsonContentType = opts.jsonContentType ?? 'application/json';

  const failed = (method: string, err: unknown): HttpResponse => {
    if (err instanceof BodyTooLargeError) return answers.tooLarge(err.limit);
    if (err instanceof InvalidJsonError) return answers.invalidJson;
    // Routes answer their own failures; this is a bug.
    opts.log.error({ method, err: errMessage(err) }, 'request failed');
    return answers.internalError;
  };

  const server = createServer((req, res) => {
    const request = httpRequest(req, maxBody);
    const fail = (err: unknown) => {
      if (res.headersSent) res.destroy();
      else send(res, failed(request.method, err), jsonContentType);
    };
    let handled: Promise<HttpResponse> | undefined;
    try {
      handled = claim(opts.routes, request);
    } catch (err) {
      return fail(err);
    }
    if (!handled && opts.fallback) return opts.fallback(req, res);
    (handled ?? Promise.resolve(answers.notFound)).then((response) => send(res, response, jsonContentType)).catch(fail);
  });
  server.keepAliveTimeout = opts.keepAliveTimeoutMs ?? 65_000;
  return server;
}

/** Creates the server and listens on `host:port` (port 0 picks a free one). */
export function startHttpServer(opts: HttpServerOptions & { host: string; port: number }): Promise<Server> {
  const server = createHttpServer(opts);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}
