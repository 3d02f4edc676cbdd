import type { IncomingMessage } from 'node:http';
import { apiError } from '../../domain/api-error.js';
import { invalidJson, payloadTooLarge, type Answer } from './answer.js';

// What express's body parsers (express.json, express.raw) raise while reading a body, as the
// answers intake gives: the app's error handler and the provider callbacks' share them.

const prop = (err: unknown, name: string): unknown => (typeof err === 'object' && err !== null && name in err ? (err as Record<string, unknown>)[name] : undefined);
const text = (value: unknown): string | undefined => (typeof value === 'string' || typeof value === 'number' ? String(value) : undefined);

/** The request's Content-Encoding as the parsers read it; cut short, since answers quote it. */
const contentEncoding = (req: IncomingMessage): string => (req.headers['content-encoding'] ?? 'identity').toLowerCase().slice(0, 64);

export const unsupportedContentEncoding = (encoding: string): Answer => ({
  status: 415,
  json: apiError('unsupported_encoding', `Content-Encoding "${encoding}" is not supported: send identity, gzip, deflate or br`, 'Content-Encoding'),
});

export const unsupportedCharset = (charset: string): Answer => ({
  status: 415,
  json: apiError('unsupported_encoding', `charset "${charset}" is not supported: send UTF-8`, 'Content-Type'),
});

export const invalidBodyEncoding = (encoding: string): Answer => ({
  status: 400,
  json: apiError('invalid_body_encoding', `body is not valid ${encoding} data, as its Content-Encoding says`, '(body)'),
});

/**
 * The answer to a body parser's error, or undefined when the error is not one of reading the
 * request's body (then it is intake's own: a 500).
 */
export function bodyErrorAnswer(err: unknown, req: IncomingMessage, defaultLimit: number): Answer | undefined {
  const type = prop(err, 'type');
  switch (type) {
    case 'entity.too.large':
      return payloadTooLarge(text(prop(err, 'limit')) ?? defaultLimit);
    case 'entity.parse.failed':
      return invalidJson;
    case 'encoding.unsupported':
      return unsupportedContentEncoding(contentEncoding(req));
    case 'charset.unsupported':
      return unsupportedCharset((text(prop(err, 'charset')) ?? '').slice(0, 64));
  }
  // A body that does not decompress: the parser passes the zlib stream's own error on, as a
  // 400 with no type, so only the request's Content-Encoding tells it from a fault of ours.
  if (type === undefined && prop(err, 'status') === 400 && contentEncoding(req) !== 'identity') {
    return invalidBodyEncoding(contentEncoding(req));
  }
  return undefined;
}
