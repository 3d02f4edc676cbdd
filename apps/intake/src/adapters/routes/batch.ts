import type { RequestHandler, Router } from 'express';
import { NotificationRequestSchema } from '@herald/contracts';
import { z } from 'zod';
import { timingIssues } from '../../domain/accept.js';
import { apiError, timingError, validationError, type ApiError } from '../../domain/api-error.js';
import { acceptMany, type AcceptManyDeps, type Candidate } from './accept-many.js';
import { expressRoute, quotaRefused, type JsonRoute } from './answer.js';
import { countedAccepts } from '../metrics.js';

/** The most notifications one batch may carry. */
export const MAX_BATCH = 1_000;

/** The batch's shape; each item is then validated on its own (the document's BatchItem). */
export const BatchSchema = z
  .object({ notifications: z.array(z.unknown()).min(1).max(MAX_BATCH) })
  .strict();

export const IdempotencyKeySchema = z.string().min(1).max(255);

/** One item's answer: its index in the request, and its id or its error. */
type BatchItem =
  | { index: number; status: 'accepted'; id: string; statusUrl: string }
  | { index: number; status: 'rejected'; error: ApiError['error']; retryAfterSeconds?: number };

/** When nothing was accepted, the batch's status is its items' most telling one. */
export const STATUS_ORDER = [503, 429, 421, 409, 400] as const;

/** Prefixes an item's error fields with its place in the batch (`notifications.3.to.email`). */
function inItem(index: number, error: ApiError['error']): ApiError['error'] {
  const at = (field: string) => (field === '(body)' ? `notifications.${index}` : `notifications.${index}.${field}`);
  return {
    ...error,
    ...(error.field ? { field: at(error.field) } : {}),
    ...(error.details ? { details: error.details.map((d) => ({ ...d, field: at(d.field) })) } : {}),
  };
}

/**
 * `POST /v1/notifications/batch`: up to 1,000 notifications in one request, for campaign
 * senders. Each is validated and answered on its own (like SNS PublishBatch): the valid ones are
 * accepted with their own ids, the others are refused with the field at fault. The batch is one
 * request against the tenant's requests-per-second, and its notifications count against the
 * daily volume; a batch that does not fit is refused whole (429), so nothing half-counts.
 * An item may carry its own `idempotencyKey`.
 *
 * Status: 202 when at least one was accepted; otherwise the most telling of the items' own:
 * 503 (could not publish), 429 (a lane shedding load), 421 (customers of another region), 409
 * (idempotency conflicts), 400 (invalid).
 * Retry-After, when present, is the longest any refused item should wait.
 */
export function acceptBatch(deps: AcceptManyDeps & { now: () => Date }): JsonRoute {
  return countedAccepts(async (req) => {
    const batch = BatchSchema.safeParse(req.body);
    if (!batch.success) return { status: 400, json: validationError(batch.error.issues) };
    const now = deps.now();
    const tenantId = req.tenantId;
    const items = new Array<BatchItem | undefined>(batch.data.notifications.length);
    const statuses = new Set<number>();
    const candidates: Candidate[] = [];
    const candidateIndex: number[] = [];
    batch.data.notifications.forEach((raw, index) => {
      const { idempotencyKey, ...body } = raw !== null && typeof raw === 'object' && !Array.isArray(raw) ? (raw as Record<string, unknown>) : { value: raw };
      const key = idempotencyKey === undefined ? undefined : IdempotencyKeySchema.safeParse(idempotencyKey);
      if (key && !key.success) {
        items[index] = { index, status: 'rejected', error: inItem(index, apiError('invalid_idempotency_key', 'idempotencyKey must be a string of 1 to 255 characters', 'idempotencyKey').error) };
        return;
      }
      const parsed = NotificationRequestSchema.safeParse(raw !== null && typeof raw === 'object' && !Array.isArray(raw) ? body : raw);
      if (!parsed.success) {
        items[index] = { index, status: 'rejected', error: inItem(index, validationError(parsed.error.issues).error) };
        return;
      }
      const late = timingIssues(parsed.data, now);
      if (late.length > 0) {
        items[index] = { index, status: 'rejected', error: inItem(index, timingError(late).error) };
        return;
      }
      candidates.push({ request: parsed.data, idempotencyKey: key?.data });
      candidateIndex.push(index);
    });

    if (candidates.length > 0) {
      const quota = deps.admission.tenant(tenantId, candidates.map((c) => c.request.priority), now);
      if (!quota.ok) return quotaRefused(quota);
      const results = await acceptMany(deps, tenantId, candidates, now, req.header('traceparent'));
      results.forEach((result, i) => {
        const index = candidateIndex[i] as number;
        if (!result.ok) statuses.add(result.status);
        items[index] = result.ok
          ? { index, status: 'accepted', id: result.id, statusUrl: `/v1/notifications/${result.id}` }
          : { index, status: 'rejected', error: result.error, ...(result.retryAfterSeconds !== undefined ? { retryAfterSeconds: result.retryAfterSeconds } : {}) };
      });
    }

    const answered = items as BatchItem[];
    const accepted = answered.filter((i) => i.status === 'accepted').length;
    const retryAfter = Math.max(0, ...answered.map((i) => (i.status === 'rejected' ? (i.retryAfterSeconds ?? 0) : 0)));
    const status = accepted > 0 ? 202 : (STATUS_ORDER.find((s) => statuses.has(s)) ?? 400);
    return {
      status,
      ...(retryAfter > 0 ? { headers: { 'Retry-After': String(retryAfter) } } : {}),
      json: { accepted, rejected: answered.length - accepted, results: answered },
    };
  }, 'batch', deps.metrics);
}

export function mountBatchRoute(router: Router, auth: RequestHandler, json: RequestHandler, deps: AcceptManyDeps & { now: () => Date }): void {
  router.post('/v1/notifications/batch', auth, json, expressRoute(acceptBatch(deps)));
}
