import type { Request, RequestHandler, Router } from 'express';
import { isDotSegment, WebhookRegistrationSchema, type WebhookEndpoint } from '@herald/contracts';
import { errMessage, type Logger } from '@herald/service';
import type { WebhookEndpointStore } from '@herald/stores';
import type { WebhookUrlCheck } from '@herald/webhooks';
import { apiError } from '../../domain/api-error.js';
import { sendAnswer } from './answer.js';
import { bodyOf, dotSegmentId, unavailable, type Authed } from './common.js';

export interface WebhookRoutesDeps {
  endpoints: WebhookEndpointStore;
  /** Refuses URLs that resolve to loopback, private or link-local addresses (unless allowed for development). */
  checkUrl(url: string): Promise<WebhookUrlCheck>;
  log: Logger;
}

/** An endpoint as listed: the signing secret is shown once, when the endpoint is created. */
const withoutSecret = ({ secret: _secret, ...rest }: WebhookEndpoint): Omit<WebhookEndpoint, 'secret'> => rest;

/** `POST|GET /v1/webhooks`, `GET|DELETE /v1/webhooks/:id`: a tenant's status-change endpoints. */
export function mountWebhookRoutes(router: Router, auth: RequestHandler, json: RequestHandler, deps: WebhookRoutesDeps): void {
  const failed = (res: Authed, err: unknown): void => {
    deps.log.error({ err: errMessage(err) }, 'webhook endpoint store failed');
    unavailable(res, 'webhook endpoints unavailable; retry later');
  };

  router.post('/v1/webhooks', auth, json, async (req: Request, res: Authed) => {
    const registration = bodyOf(WebhookRegistrationSchema, req.body, res);
    if (!registration) return;
    const check = await deps.checkUrl(registration.url);
    if (!check.ok) {
      res.status(400).json(apiError('webhook_url_not_allowed', `url: ${check.reason}`, 'url'));
      return;
    }
    try {
      const endpoint = await deps.endpoints.create(res.locals.tenantId, registration);
      res.status(201).location(`/v1/webhooks/${endpoint.id}`).json(endpoint);
    } catch (err) {
      failed(res, err);
    }
  });

  router.get('/v1/webhooks', auth, async (_req: Request, res: Authed) => {
    try {
      res.json({ items: (await deps.endpoints.list(res.locals.tenantId)).map(withoutSecret) });
    } catch (err) {
      failed(res, err);
    }
  });

  router.get('/v1/webhooks/:id', auth, async (req: Request<{ id: string }>, res: Authed) => {
    if (isDotSegment(req.params.id)) {
      sendAnswer(res, dotSegmentId);
      return;
    }
    try {
      const endpoint = await deps.endpoints.get(res.locals.tenantId, req.params.id);
      if (endpoint) res.json(withoutSecret(endpoint));
      else res.status(404).json(apiError('not_found', 'no such webhook endpoint', 'id'));
    } catch (err) {
      failed(res, err);
    }
  });

  router.delete('/v1/webhooks/:id', auth, async (req: Request<{ id: string }>, res: Authed) => {
    if (isDotSegment(req.params.id)) {
      sendAnswer(res, dotSegmentId);
      return;
    }
    try {
      if (await deps.endpoints.remove(res.locals.tenantId, req.params.id)) res.status(204).end();
      else res.status(404).json(apiError('not_found', 'no such webhook endpoint', 'id'));
    } catch (err) {
      failed(res, err);
    }
  });
}
