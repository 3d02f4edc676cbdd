import type { Request, Response } from 'express';
import { apiError, type ApiError } from '../../domain/api-error.js';
import type { QuotaVerdict } from '../../domain/admission.js';
import type { Scope } from '../../domain/api-keys.js';
import { KeysUnavailable, type Authenticate, type Caller } from '../api-keys.js';

/**
 * A response whose request was authenticated: `res.locals.tenantId` is the caller's tenant,
 * `res.locals.keyId` the fingerprint of the API key it used (api-keys.ts).
 */
export type Authed = Response<unknown, { tenantId: string; keyId: string }>;

/** What a route answers, independent of the HTTP server that sends it. */
export interface Answer {
  status: number;
  headers?: Record<string, string>;
  json: unknown;
}

// The answers given before a route runs, the same from intake's lean accept path
// (accept-path.ts) and from express (requireTenant, the error handler).

/** No API key, or one that names no tenant (unknown, or revoked). */
export const unauthorized: Answer = { status: 401, headers: { 'WWW-Authenticate': 'Bearer' }, json: apiError('unauthorized', 'missing or invalid API key', 'Authorization') };
/** A key that may not do this: the scope it lacks, in the body and as OAuth's bearer challenge says it. */
export const insufficientScope = (scope: Scope): Answer => ({
  status: 403,
  headers: { 'WWW-Authenticate': `Bearer error="insufficient_scope", scope="${scope}"` },
  json: { error: { ...apiError('insufficient_scope', `this API key lacks the scope "${scope}"`, 'Authorization').error, scope } } satisfies ApiError,
});
/** The key records could not be read (api-keys.ts, KeysUnavailable): nothing was done. */
export const keysUnavailable: Answer = { status: 503, headers: { 'Retry-After': '2' }, json: apiError('unavailable', 'API keys cannot be checked now; retry later') };

/** The caller, or the answer that refuses the request: 401, 403 with the scope it lacks, or 503. */
export async function callerFor(authenticate: Authenticate, header: string | undefined, scope: Scope): Promise<Caller | Answer> {
  let caller: Caller | undefined;
  try {
    caller = await authenticate(header);
  } catch (err) {
    if (err instanceof KeysUnavailable) return keysUnavailable;
    throw err;
  }
  if (!caller) return unauthorized;
  return caller.scopes.has(scope) ? caller : insufficientScope(scope);
}

export const isAnswer = (value: Caller | Answer): value is Answer => 'status' in value;
export const payloadTooLarge = (limit: number | string): Answer => ({ status: 413, json: apiError('payload_too_large', `body exceeds ${limit} bytes`, '(body)') });
export const invalidJson: Answer = { status: 400, json: apiError('invalid_json', 'body is not valid JSON', '(body)') };
export const internalError: Answer = { status: 500, json: apiError('internal', 'internal error') };

/** Sends an answer through express. */
export function sendAnswer(res: Response, answer: Answer): void {
  res.status(answer.status).set(answer.headers ?? {}).json(answer.json);
}

/** A request over its tenant's quota: 429, when to come back, and which limit it hit. */
export function quotaRefused(verdict: Extract<QuotaVerdict, { ok: false }>): Answer {
  return { status: 429, headers: { 'Retry-After': String(verdict.retryAfterSeconds) }, json: apiError(verdict.code, verdict.message) };
}

/** The parts of an authenticated request a JSON route reads. */
export interface JsonRequest {
  tenantId: string;
  /** The parsed body (undefined when the request had none). */
  body: unknown;
  header(name: string): string | undefined;
}

/** A route that takes an authenticated JSON request and answers it. */
export type JsonRoute = (req: JsonRequest) => Promise<Answer>;

/** The same route mounted on express (after its auth and body parser). */
export function expressRoute(route: JsonRoute): (req: Request, res: Authed) => Promise<void> {
  return async (req, res) => {
    sendAnswer(res, await route({ tenantId: res.locals.tenantId, body: req.body as unknown, header: (name) => req.header(name) }));
  };
}
