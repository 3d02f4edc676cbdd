import type { Request, RequestHandler, Router } from 'express';
import {
  errMessage,
  isDotSegment,
  NOTIFICATION_ACTOR,
  NotificationIdSchema,
  NotificationRequestSchema,
  requestChannels,
  type NotificationView,
  type Sidecar,
} from '@herald/shared';
import { timingIssues } from '../../domain/accept.js';
import { apiError, timingError, validationError } from '../../domain/api-error.js';
import { acceptMany, type AcceptManyDeps } from './accept-many.js';
import { expressRoute, quotaRefused, sendAnswer, type JsonRoute } from './answer.js';
import { dotSegmentId, unavailable, type Authed } from './common.js';

export interface NotificationRoutesDeps extends AcceptManyDeps {
  sidecar: Sidecar;
  now: () => Date;
}

/** A malformed id names no notification: 404, as for one that does not exist; a dot segment is a bad path (400). */
function isNotificationId(id: string, res: Authed): boolean {
  if (NotificationIdSchema.safeParse(id).success) return true;
  if (isDotSegment(id)) sendAnswer(res, dotSegmentId);
  else res.status(404).json(apiError('not_found', 'no such notification', 'id'));
  return false;
}

const notVisibleYet = 'no such notification (one accepted moments ago may not be visible yet; retry shortly)';

/**
 * `POST /v1/notifications`: validate, check the tenant's quota and the lane's admission, claim
 * the Idempotency-Key, publish, and answer `202` with the id. Served by intake's lean path
 * (accept-path.ts) and, for what that path leaves to express, by the router.
 */
export function acceptNotification(deps: Omit<NotificationRoutesDeps, 'sidecar'>): JsonRoute {
  return async (req) => {
    const parsed = NotificationRequestSchema.safeParse(req.body);
    if (!parsed.success) return { status: 400, json: validationError(parsed.error.issues) };
    const now = deps.now();
    const late = timingIssues(parsed.data, now);
    if (late.length > 0) return { status: 400, json: timingError(late) };
    const idempotencyKey = req.header('idempotency-key');
    if (idempotencyKey !== undefined && (idempotencyKey.length < 1 || idempotencyKey.length > 255)) {
      return { status: 400, json: apiError('invalid_idempotency_key', 'Idempotency-Key must be 1 to 255 characters', 'Idempotency-Key') };
    }
    const quota = deps.admission.tenant(req.tenantId, [parsed.data.priority], now);
    if (!quota.ok) return quotaRefused(quota);
    const [result] = await acceptMany(deps, req.tenantId, [{ request: parsed.data, idempotencyKey }], now, req.header('traceparent'));
    if (!result) throw new Error('acceptMany answered nothing');
    if (!result.ok) {
      return {
        status: result.status,
        ...(result.retryAfterSeconds !== undefined ? { headers: { 'Retry-After': String(result.retryAfterSeconds) } } : {}),
        json: { error: result.error },
      };
    }
    deps.log.debug({ notificationId: result.id, tenantId: req.tenantId, channels: requestChannels(parsed.data) }, 'accepted');
    const statusUrl = `/v1/notifications/${result.id}`;
    return { status: 202, headers: { Location: statusUrl }, json: { id: result.id, status: 'accepted', statusUrl } };
  };
}

/** `POST /v1/notifications`, `GET /v1/notifications/:id`, `POST /v1/notifications/:id/cancel`. */
export function mountNotificationRoutes(router: Router, auth: RequestHandler, json: RequestHandler, deps: NotificationRoutesDeps): void {
  router.post('/v1/notifications', auth, json, expressRoute(acceptNotification(deps)));

  router.get('/v1/notifications/:id', auth, async (req: Request<{ id: string }>, res: Authed) => {
    const id = req.params.id;
    if (!isNotificationId(id, res)) return;
    let view: NotificationView | null;
    try {
      view = (await deps.sidecar.invokeActor(NOTIFICATION_ACTOR, id, 'view')) as NotificationView | null;
    } catch (err) {
      deps.log.error({ notificationId: id, err: errMessage(err) }, 'status lookup failed');
      unavailable(res, 'status lookup failed; retry later');
      return;
    }
    // Another tenant's notification is indistinguishable from none at all.
    if (!view || view.tenantId !== res.locals.tenantId) {
      res.status(404).json(apiError('not_found', notVisibleYet, 'id'));
      return;
    }
    res.json(view);
  });

  router.post('/v1/notifications/:id/cancel', auth, async (req: Request<{ id: string }>, res: Authed) => {
    const id = req.params.id;
    if (!isNotificationId(id, res)) return;
    let answer: { outcome: string; view?: NotificationView };
    try {
      answer = (await deps.sidecar.invokeActor(NOTIFICATION_ACTOR, id, 'cancel', { tenantId: res.locals.tenantId })) as typeof answer;
    } catch (err) {
      deps.log.error({ notificationId: id, err: errMessage(err) }, 'cancel failed');
      unavailable(res, 'cancel failed; retry later');
      return;
    }
    if (answer.outcome === 'canceled') {
      res.json(answer.view);
    } else if (answer.outcome === 'not_cancelable' && answer.view) {
      const status = answer.view.status;
      res.status(409).json({ ...apiError('not_cancelable', `a notification that is ${status} can no longer be canceled`, 'id'), status });
    } else {
      res.status(404).json(apiError('not_found', notVisibleYet, 'id'));
    }
  });
}
