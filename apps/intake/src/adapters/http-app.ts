import express, { type ErrorRequestHandler, type Request, type RequestHandler, type Response } from 'express';
import {
  laneTopic,
  newNotificationId,
  NOTIFICATION_ACTOR,
  NotificationIdSchema,
  NotificationRequestSchema,
  notificationIdFromIdempotencyKey,
  type Logger,
  type NotificationView,
  type Sidecar,
} from '@herald/shared';
import { acceptedEvent } from '../domain/accept.js';
import { apiError, validationError } from '../domain/api-error.js';
import type { Authenticate } from './api-keys.js';

export interface IntakeDeps {
  sidecar: Sidecar;
  authenticate: Authenticate;
  log: Logger;
  pubsubName: string;
  topicPrefix: string;
  bodyLimitBytes: number;
  now?: () => Date;
}

type Authed = Response<unknown, { tenantId: string }>;

export function createIntakeApp(deps: IntakeDeps): express.Express {
  const now = deps.now ?? (() => new Date());
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  // Authenticate before reading a body: an unauthenticated caller gets 401, never a parse error.
  const requireTenant: RequestHandler = (req, res, next) => {
    const tenantId = deps.authenticate(req.header('authorization'));
    if (!tenantId) {
      res.status(401).set('WWW-Authenticate', 'Bearer').json(apiError('unauthorized', 'missing or invalid API key', 'Authorization'));
      return;
    }
    res.locals.tenantId = tenantId;
    next();
  };

  const json = express.json({ limit: deps.bodyLimitBytes, strict: false, type: () => true });

  app.post('/v1/notifications', requireTenant, json, async (req: Request, res: Authed) => {
    const parsed = NotificationRequestSchema.safeParse(req.body);
    if (!parsed.success) {
      res.status(400).json(validationError(parsed.error.issues));
      return;
    }
    const tenantId = res.locals.tenantId;
    const idempotencyKey = req.header('idempotency-key');
    if (idempotencyKey !== undefined && (idempotencyKey.length < 1 || idempotencyKey.length > 255)) {
      res.status(400).json(apiError('invalid_idempotency_key', 'Idempotency-Key must be 1 to 255 characters', 'Idempotency-Key'));
      return;
    }
    const id = idempotencyKey ? notificationIdFromIdempotencyKey(tenantId, idempotencyKey) : newNotificationId(now().getTime());
    const event = acceptedEvent(id, tenantId, parsed.data, now());
    try {
      await deps.sidecar.publish(deps.pubsubName, laneTopic(event.request.priority, deps.topicPrefix), event, {
        traceparent: req.header('traceparent'),
      });
    } catch (err) {
      // Nothing was accepted: tell the caller to come back rather than pretend.
      deps.log.error({ notificationId: id, err: errMessage(err) }, 'publish failed');
      res.status(503).set('Retry-After', '5').json(apiError('unavailable', 'could not accept the notification now; retry later'));
      return;
    }
    deps.log.debug({ notificationId: id, tenantId, channel: event.request.channel }, 'accepted');
    const statusUrl = `/v1/notifications/${id}`;
    res.status(202).location(statusUrl).json({ id, status: 'accepted', statusUrl });
  });

  app.get('/v1/notifications/:id', requireTenant, async (req: Request<{ id: string }>, res: Authed) => {
    const id = req.params.id;
    if (!NotificationIdSchema.safeParse(id).success) {
      res.status(404).json(apiError('not_found', 'no such notification', 'id'));
      return;
    }
    let view: NotificationView | null;
    try {
      view = (await deps.sidecar.invokeActor(NOTIFICATION_ACTOR, id, 'view')) as NotificationView | null;
    } catch (err) {
      deps.log.error({ notificationId: id, err: errMessage(err) }, 'status lookup failed');
      res.status(503).set('Retry-After', '2').json(apiError('unavailable', 'status lookup failed; retry later'));
      return;
    }
    // Another tenant's notification is indistinguishable from none at all.
    if (!view || view.tenantId !== res.locals.tenantId) {
      res.status(404).json(
        apiError('not_found', 'no such notification (one accepted moments ago may not be visible yet; retry shortly)', 'id'),
      );
      return;
    }
    res.json(view);
  });

  app.use((_req, res) => {
    res.status(404).json(apiError('route_not_found', 'no such route'));
  });

  const onError: ErrorRequestHandler = (err: unknown, _req, res, _next) => {
    const type = typeof err === 'object' && err !== null && 'type' in err ? err.type : undefined;
    if (type === 'entity.too.large') {
      res.status(413).json(apiError('payload_too_large', `body exceeds ${deps.bodyLimitBytes} bytes`, '(body)'));
    } else if (type === 'entity.parse.failed') {
      res.status(400).json(apiError('invalid_json', 'body is not valid JSON', '(body)'));
    } else if (type === 'encoding.unsupported' || type === 'charset.unsupported') {
      res.status(415).json(apiError('unsupported_encoding', 'body encoding not supported', '(body)'));
    } else {
      deps.log.error({ err: errMessage(err) }, 'unhandled error');
      res.status(500).json(apiError('internal', 'internal error'));
    }
  };
  app.use(onError);
  return app;
}

const errMessage = (err: unknown): string => (err instanceof Error ? err.message : String(err));
