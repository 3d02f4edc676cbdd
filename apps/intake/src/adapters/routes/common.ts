import type { Request, RequestHandler, Response } from 'express';
import type { z } from 'zod';
import { CustomerIdSchema } from '@herald/contracts';
import { errMessage, type Logger } from '@herald/service';
import { apiError, validationError, wrongRegion } from '../../domain/api-error.js';
import type { CustomerHomes } from '../customer-homes.js';
import type { Authenticate } from '../api-keys.js';
import { scopeFor } from '../../domain/api-keys.js';
import { callerFor, isAnswer, sendAnswer, type Answer } from './answer.js';

export type { Authed } from './answer.js';

/**
 * Authenticate before reading a body: an unauthenticated caller gets 401, never a parse error;
 * a key without the scope the route needs (scopeFor) 403.
 */
export function requireTenant(authenticate: Authenticate): RequestHandler {
  return (req, res, next) => {
    callerFor(authenticate, req.header('authorization'), scopeFor(req.method, req.path)).then((caller) => {
      if (isAnswer(caller)) {
        sendAnswer(res, caller);
        return;
      }
      res.locals.tenantId = caller.tenantId;
      res.locals.keyId = caller.keyId;
      next();
    }, next);
  };
}

/**
 * On a route with `:customerId`, after requireTenant: a customer of another region is answered
 * `421 wrong_region` before the route runs, so nothing of theirs is read or written here. With
 * `claim` (after the body parser of a route that writes), a customer no region has yet becomes
 * this region's; without, such a customer is let through as this region's and no one is
 * claimed. Without `homes` (one region) every customer is here.
 */
export function requireHomeHere(homes: Pick<CustomerHomes, 'homeOf'> | undefined, claim: boolean, log?: Logger): RequestHandler {
  return (req, res, next) => {
    const customer = CustomerIdSchema.safeParse(req.params.customerId);
    // No customer in the path, or an invalid one (the route answers that): nothing to check.
    if (!homes || !customer.success) {
      next();
      return;
    }
    homes.homeOf(String(res.locals.tenantId), customer.data, { claim }).then((home) => {
      if (home.here) next();
      else res.status(421).json(wrongRegion(customer.data, home.region, home.baseUrl));
    }, (err: unknown) => {
      log?.error({ err: errMessage(err) }, 'customer directory unavailable');
      unavailable(res, 'the customer directory cannot be read now; retry later');
    });
  };
}

/** `first`, then (unless it failed or answered) `second`: two handlers as one. */
export function inTurn(first: RequestHandler, second: RequestHandler): RequestHandler {
  return (req, res, next) => first(req, res, (err?: unknown) => (err ? next(err) : second(req, res, next)));
}

export const invalidPath: Answer = { status: 400, json: apiError('invalid_path', 'the path has a percent-escape that does not decode as UTF-8', '(path)') };

/**
 * A path whose percent-escapes do not decode names nothing. Refused before routing: the router
 * decodes a route's ids before any of its handlers runs, authentication included, and throws
 * on such an escape (a 500, to anyone).
 */
export const refuseUndecodablePath: RequestHandler = (req, res, next) => {
  try {
    decodeURIComponent(req.path);
  } catch {
    sendAnswer(res, invalidPath);
    return;
  }
  next();
};

/** An id of `.` or `..` (see isDotSegment): refused as the path segment it is, not looked up. */
export const dotSegmentId: Answer = { status: 400, json: apiError('invalid_path', 'the id must not be "." or ".."', 'id') };

/** A dependency (sidecar, actor, Redis) failed: nothing was changed, the caller should retry. */
export function unavailable(res: Response, message: string, retryAfterSeconds = 2): void {
  res.status(503).set('Retry-After', String(retryAfterSeconds)).json(apiError('unavailable', message));
}

export type CustomerRequest = Request<{ customerId: string }>;

/** The path's customer id, or undefined after answering 400 `invalid_customer_id`. */
export function customerIdOf(req: { params: { customerId: string } }, res: Response): string | undefined {
  const parsed = CustomerIdSchema.safeParse(req.params.customerId);
  if (parsed.success) return parsed.data;
  res.status(400).json(apiError('invalid_customer_id', `customerId: ${parsed.error.issues[0]?.message ?? 'invalid'}`, 'customerId'));
  return undefined;
}

/** `body` as `schema` parses it, or undefined after answering 400 `validation_failed` with the field. */
export function bodyOf<S extends z.ZodType>(schema: S, body: unknown, res: Response): z.infer<S> | undefined {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  res.status(400).json(validationError(parsed.error.issues));
  return undefined;
}

/** Runs `work` over `items` with at most `limit` in flight, keeping the order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await work(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
