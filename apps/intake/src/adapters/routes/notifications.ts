import { setTimeout as sleep } from 'node:timers/promises';
import type { Request, RequestHandler, Router } from 'express';
import { isDotSegment, NotificationIdSchema, NotificationRequestSchema, requestChannels, type NotificationView } from '@herald/contracts';
import { errMessage } from '@herald/service';
import { NOTIFICATION_ACTOR, type ActorPort } from '@herald/dapr';
import type { DataKeys } from '@herald/stores';
import { timingIssues } from '../../domain/accept.js';
import { apiError, timingError, validationError } from '../../domain/api-error.js';
import { openViews, viewWithoutMetadata } from '../notification-views.js';
import { acceptMany, type AcceptManyDeps } from './accept-many.js';
import { expressRoute, quotaRefused, sendAnswer, type JsonRoute } from './answer.js';
import { dotSegmentId, unavailable, type Authed } from './common.js';
import { countedAccepts } from '../metrics.js';

export interface NotificationRoutesDeps extends AcceptManyDeps {
  sidecar: ActorPort;
  /** Seals what is accepted; opens the metadata of what is shown. */
  dataKeys: Pick<DataKeys, 'forSealing' | 'forOpening'>;
  now: () => Date;
  /**
   * How long after its `202` a notification whose actor has not run yet is answered as
   * `accepted` (normally milliseconds; a lane's backlog can make it minutes).
   */
  pendingVisibleMs: number;
  /** How long a cancel waits for the actor of a notification accepted moments ago to take it up. */
  pendingCancelWaitMs: number;
}

/**
 * When intake accepted `id` for `tenantId` recently enough that its actor may not have run yet:
 * an id intake minted for that tenant (notification-ids.ts), or one an Idempotency-Key of the
 * tenant claimed. Undefined for anything else, another tenant's id included.
 */
async function acceptedRecently(deps: NotificationRoutesDeps, tenantId: string, id: string): Promise<number | undefined> {
  const nowMs = deps.now().getTime();
  const at = deps.ids.mintedAt(tenantId, id) ?? (await deps.idempotency.claimedAt(tenantId, id));
  return at !== undefined && nowMs - at <= deps.pendingVisibleMs ? at : undefined;
}

/** What is known of a notification between its `202` and its actor's first turn. */
function acceptedView(id: string, tenantId: string, atMs: number): NotificationView {
  const at = new Date(atMs).toISOString();
  return { id, tenantId, status: 'accepted', attempts: 0, createdAt: at, updatedAt: at, timeline: [{ at, status: 'accepted' }] };
}

const noSuchNotification = apiError('not_found', 'no such notification', 'id');

/** A malformed id names no notification: 404, as for one that does not exist; a dot segment is a bad path (400). */
function isNotificationId(id: string, res: Authed): boolean {
  if (NotificationIdSchema.safeParse(id).success) return true;
  if (isDotSegment(id)) sendAnswer(res, dotSegmentId);
  else res.status(404).json(noSuchNotification);
  return false;
}

/**
 * `POST /v1/notifications`: validate, check the tenant's quota and the lane's admission, claim
 * the Idempotency-Key, publish, and answer `202` with the id. Served by intake's lean path
 * (accept-path.ts) and, for what that path leaves to express, by the router.
 */
export function acceptNotification(deps: Omit<NotificationRoutesDeps, 'sidecar'>): JsonRoute {
  return countedAccepts(async (req) => {
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
  }, 'single', deps.metrics);
}

/** `POST /v1/notifications`, `GET /v1/notifications/:id`, `POST /v1/notifications/:id/cancel`. */
export function mountNotificationRoutes(router: Router, auth: RequestHandler, json: RequestHandler, deps: NotificationRoutesDeps): void {
  router.post('/v1/notifications', auth, json, expressRoute(acceptNotification(deps)));

  router.get('/v1/notifications/:id', auth, async (req: Request<{ id: string }>, res: Authed) => {
    const id = req.params.id;
    if (!isNotificationId(id, res)) return;
    const tenantId = res.locals.tenantId;
    let view: NotificationView | undefined;
    try {
      const found = (await deps.sidecar.invokeActor(NOTIFICATION_ACTOR, id, 'view')) as { tenantId?: unknown } | null;
      // Another tenant's notification is indistinguishable from none at all.
      if (found?.tenantId === tenantId) {
        [view] = await openViews(deps.dataKeys, [found]);
      } else {
        const acceptedAt = await acceptedRecently(deps, tenantId, id);
        view = acceptedAt === undefined ? undefined : acceptedView(id, tenantId, acceptedAt);
      }
    } catch (err) {
      deps.log.error({ notificationId: id, err: errMessage(err) }, 'status lookup failed');
      unavailable(res, 'status lookup failed; retry later');
      return;
    }
    if (view) res.json(view);
    else res.status(404).json(noSuchNotification);
  });

  router.post('/v1/notifications/:id/cancel', auth, async (req: Request<{ id: string }>, res: Authed) => {
    const id = req.params.id;
    if (!isNotificationId(id, res)) return;
    const tenantId = res.locals.tenantId;
    let answer: { outcome: string; view?: { status?: string } };
    let acceptedAt: number | undefined;
    let canceled: NotificationView | undefined;
    try {
      const cancel = async () => (await deps.sidecar.invokeActor(NOTIFICATION_ACTOR, id, 'cancel', { tenantId })) as typeof answer;
      answer = await cancel();
      // Accepted moments ago, its actor has not run yet: wait (briefly) for it to take it up.
      if (answer.outcome === 'not_found' && (acceptedAt = await acceptedRecently(deps, tenantId, id)) !== undefined) {
        const deadline = Date.now() + deps.pendingCancelWaitMs;
        for (let pause = 25; answer.outcome === 'not_found' && Date.now() < deadline; pause = Math.min(pause * 2, 500)) {
          await sleep(Math.min(pause, Math.max(0, deadline - Date.now())));
          answer = await cancel();
        }
      }
      if (answer.outcome === 'canceled') {
        const view = answer.view;
        // The cancel is done: a key store out of reach costs the answer its metadata, not its 200.
        canceled = await openViews(deps.dataKeys, [view]).then(
          ([opened]) => opened,
          (err: unknown) => {
            deps.log.warn({ notificationId: id, err: errMessage(err) }, 'canceled; its metadata could not be opened');
            return viewWithoutMetadata(view);
          },
        );
      }
    } catch (err) {
      deps.log.error({ notificationId: id, err: errMessage(err) }, 'cancel failed');
      unavailable(res, 'cancel failed; retry later');
      return;
    }
    if (canceled) {
      res.json(canceled);
    } else if (answer.outcome === 'not_cancelable' && typeof answer.view?.status === 'string') {
      const status = answer.view.status;
      res.status(409).json({ ...apiError('not_cancelable', `a notification that is ${status} can no longer be canceled`, 'id'), status });
    } else if (acceptedAt !== undefined) {
      // Still waiting in its lane: it exists (accepted), but cannot be stopped before it is taken up.
      const error = apiError('not_yet_cancelable', 'the notification is accepted but not yet taken up; retry the cancel shortly', 'id');
      res.status(409).set('Retry-After', '1').json({ ...error, status: 'accepted' });
    } else {
      res.status(404).json(noSuchNotification);
    }
  });
}
