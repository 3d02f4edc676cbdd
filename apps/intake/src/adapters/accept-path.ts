import type { IncomingMessage, ServerResponse } from 'node:http';
import { errMessage, type Logger } from '@herald/service';
import type { Authenticate } from './api-keys.js';
import { internalError, invalidJson, payloadTooLarge, unauthorized, type Answer, type JsonRoute } from './routes/answer.js';

// The accept routes without express: every notification crosses one of them, and in a bench
// profile of intake express, its router and its body parser took a third of intake's CPU
// (more than the validation, the admission check and the publish together). This path answers
// the same requests with the same answers; anything it is not sure to read exactly as express
// would (a compressed body, a charset other than UTF-8, another spelling of the path) it leaves
// to express, which serves the same route functions.

export interface AcceptPathRoute {
  route: JsonRoute;
  bodyLimitBytes: number;
}

export interface AcceptPathOptions {
  authenticate: Authenticate;
  /** By exact path (`/v1/notifications`): POST only. */
  routes: Record<string, AcceptPathRoute>;
  log: Logger;
}

/** Answers a request it serves (true), or leaves it to the next handler (false). */
export type AcceptPath = (req: IncomingMessage, res: ServerResponse) => boolean;

const UTF8_CHARSET = /;\s*charset\s*=\s*"?utf-?8"?\s*(;|$)/i;

function send(res: ServerResponse, answer: Answer): void {
  const text = JSON.stringify(answer.json);
  res.writeHead(answer.status, {
    ...answer.headers,
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

const tooLarge = (limit: number): Answer => ({ ...payloadTooLarge(limit), headers: { Connection: 'close' } });

/** The body's bytes, or the answer that refuses it (413: then the connection closes unread). */
function readLimited(req: IncomingMessage, limit: number): Promise<Buffer | Answer> {
  const declared = Number(req.headers['content-length']);
  if (declared > limit) return Promise.resolve(tooLarge(limit));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.off('data', onData);
        resolve(tooLarge(limit));
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.on('end', () => resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size)));
    req.on('error', reject);
  });
}

/**
 * The body as express.json({ strict: false }) reads it: none (no length, not chunked) is
 * undefined, an empty one is `{}`, a leading byte-order mark is dropped.
 */
function parseBody(req: IncomingMessage, raw: Buffer): { ok: true; body: unknown } | { ok: false } {
  const hasBody = req.headers['transfer-encoding'] !== undefined || req.headers['content-length'] !== undefined;
  if (!hasBody) return { ok: true, body: undefined };
  if (raw.length === 0) return { ok: true, body: {} };
  let text = raw.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  try {
    return { ok: true, body: JSON.parse(text) as unknown };
  } catch {
    return { ok: false };
  }
}

export function createAcceptPath(opts: AcceptPathOptions): AcceptPath {
  const routes = new Map(Object.entries(opts.routes));

  async function serve(req: IncomingMessage, entry: AcceptPathRoute): Promise<Answer> {
    // Authenticate before reading a body: an unauthenticated caller gets 401, never a parse error.
    const tenantId = opts.authenticate(req.headers.authorization);
    if (!tenantId) return unauthorized;
    const raw = await readLimited(req, entry.bodyLimitBytes);
    if (!Buffer.isBuffer(raw)) return raw;
    const parsed = parseBody(req, raw);
    if (!parsed.ok) return invalidJson;
    const header = (name: string): string | undefined => {
      const v = req.headers[name.toLowerCase()];
      return Array.isArray(v) ? v.join(', ') : v;
    };
    return entry.route({ tenantId, body: parsed.body, header });
  }

  return (req, res) => {
    if (req.method !== 'POST') return false;
    const url = req.url ?? '';
    const q = url.indexOf('?');
    const entry = routes.get(q < 0 ? url : url.slice(0, q));
    if (!entry) return false;
    const encoding = req.headers['content-encoding'];
    if (encoding !== undefined && encoding.toLowerCase() !== 'identity') return false;
    const type = req.headers['content-type'];
    if (type !== undefined && /charset/i.test(type) && !UTF8_CHARSET.test(type)) return false;

    serve(req, entry).then(
      (answer) => send(res, answer),
      (err: unknown) => {
        opts.log.error({ err: errMessage(err) }, 'unhandled error');
        if (!res.headersSent) send(res, internalError);
      },
    );
    return true;
  };
}
