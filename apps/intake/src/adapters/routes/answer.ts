import type { Request } from 'express';
import { apiError } from '../../domain/api-error.js';
import type { QuotaVerdict } from '../../domain/admission.js';
import type { Authed } from './common.js';

/** What a route answers, independent of the HTTP server that sends it. */
export interface Answer {
  status: number;
  headers?: Record<string, string>;
  json: unknown;
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
    const answer = await route({ tenantId: res.locals.tenantId, body: req.body as unknown, header: (name) => req.header(name) });
    res.status(answer.status).set(answer.headers ?? {}).json(answer.json);
  };
}
