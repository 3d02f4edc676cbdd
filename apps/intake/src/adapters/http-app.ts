import type { Server } from 'node:http';
import express, { type ErrorRequestHandler } from 'express';
import { errMessage, type Logger, type Route, type Tracing } from '@herald/service';
import type { ActorPort } from '@herald/dapr';
import type { CustomerStore, DataKeys, NotificationHistory, PreferencesStore, WebhookEndpointStore } from '@herald/stores';
import type { WebhookUrlCheck } from '@herald/webhooks';
import { apiError } from '../domain/api-error.js';
import type { ApiKeyStore, Authenticator } from './api-keys.js';
import type { IdempotencyStore } from './idempotency-store.js';
import { createAcceptServer, type AcceptPathRoute } from './accept-path.js';
import { answerClientError } from './client-errors.js';
import type { CustomerHomes } from './customer-homes.js';
import type { ErasureService } from './erasure.js';
import type { AdmissionControl } from './admission-control.js';
import type { LanePublisher } from './lane-publisher.js';
import type { AcceptMetrics } from './metrics.js';
import type { NotificationIds } from './notification-ids.js';
import { HEALTH_PATH, intakeOpenApiDocument, OPENAPI_PATH } from './openapi.js';
import { createProfiles } from './profiles.js';
import { mountAdmissionRoute } from './routes/admission.js';
import { mountApiKeyRoutes } from './routes/api-keys.js';
import { acceptBatch, mountBatchRoute } from './routes/batch.js';
import { internalError, sendAnswer } from './routes/answer.js';
import { bodyErrorAnswer } from './routes/body-errors.js';
import { inTurn, refuseUndecodablePath, requireHomeHere, requireTenant } from './routes/common.js';
import { mountCustomerRoutes } from './routes/customers.js';
import { mountErasureRoutes } from './routes/erasures.js';
import { acceptNotification, mountNotificationRoutes } from './routes/notifications.js';
import { mountProfileRoutes, PROFILE_BODY_LIMIT_BYTES } from './routes/profiles.js';
import { mountWebhookRoutes } from './routes/webhooks.js';

export interface IntakeDeps {
  sidecar: ActorPort;
  /** Who a request comes from (its API key), and the tenants' key lists. */
  authenticator: Authenticator;
  /** The keys made through the API (`/v1/api-keys`). */
  apiKeys: Pick<ApiKeyStore, 'create' | 'revoke'>;
  log: Logger;
  bodyLimitBytes: number;
  batchBodyLimitBytes: number;
  /** A profile's body (PROFILE_BODY_LIMIT_BYTES unless set). */
  profileBodyLimitBytes?: number;
  publisher: LanePublisher;
  admission: AdmissionControl;
  idempotency: IdempotencyStore;
  ids: NotificationIds;
  /** How long after its `202` a notification not yet taken up is answered as `accepted`. */
  pendingVisibleMs: number;
  /** How long a cancel waits for such a notification to be taken up. */
  pendingCancelWaitMs: number;
  history: NotificationHistory;
  preferences: PreferencesStore;
  /** The customers' data keys: what intake accepts is sealed under them, what it shows opened. */
  dataKeys: Pick<DataKeys, 'forSealing' | 'forOpening'>;
  /** The customers' profiles (kept sealed). */
  customers: Pick<CustomerStore, 'profileEntry' | 'putProfile'>;
  /** Where customers live, when this intake is one region of several (none: every customer is here). */
  homes?: CustomerHomes | undefined;
  /** Customers' erasures (`DELETE /v1/customers/:customerId`) and their audit records. */
  erasures: ErasureService;
  webhookEndpoints: WebhookEndpointStore;
  checkWebhookUrl(url: string): Promise<WebhookUrlCheck>;
  /** The providers' delivery callbacks: they authenticate by signature, not by API key. */
  providerCallbacks: express.Router;
  /** Counts what the accept routes answer. */
  metrics?: AcceptMetrics;
  /** `GET /metrics` (metricsRoute of @herald/service): no API key, its own access settings. */
  metricsRoute?: Route;
  /** Each accepted notification's span (none when absent). */
  tracing?: Tracing;
  now?: () => Date;
}

export function createIntakeApp(deps: IntakeDeps): express.Express {
  const now = deps.now ?? (() => new Date());
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  app.get(HEALTH_PATH, (_req, res) => {
    res.json({ status: 'ok' });
  });
  // Made once, here at start-up, and served as it is; like the health check, to anyone.
  const openapi = Buffer.from(
    JSON.stringify(
      intakeOpenApiDocument({
        bodyLimitBytes: deps.bodyLimitBytes,
        batchBodyLimitBytes: deps.batchBodyLimitBytes,
        profileBodyLimitBytes: deps.profileBodyLimitBytes ?? PROFILE_BODY_LIMIT_BYTES,
        metrics: deps.metricsRoute !== undefined,
      }),
    ),
  );
  app.get(OPENAPI_PATH, (_req, res) => {
    res.type('application/json').send(openapi);
  });

  app.use(refuseUndecodablePath);
  // Before any body parser: the callbacks verify signatures over the raw bytes.
  app.use(deps.providerCallbacks);

  const auth = requireTenant(deps.authenticator.authenticate);
  const json = express.json({ limit: deps.bodyLimitBytes, strict: false, type: () => true });
  const router = express.Router();
  // Before the routes with an id: `batch` is no notification id.
  mountBatchRoute(router, auth, express.json({ limit: deps.batchBodyLimitBytes, strict: false, type: () => true }), { ...deps, now });
  mountNotificationRoutes(router, auth, json, { ...deps, now });
  mountAdmissionRoute(router, auth, { admission: deps.admission, now });
  // The routes of one customer: authenticated, then refused (421) when the customer lives in
  // another region; a route that writes makes a customer no region has yet this region's, once
  // its body has parsed.
  const customerAuth = inTurn(auth, requireHomeHere(deps.homes, false, deps.log));
  const claimed = (parser: express.RequestHandler) => inTurn(parser, requireHomeHere(deps.homes, true, deps.log));
  mountCustomerRoutes(router, customerAuth, claimed(json), { ...deps, now });
  const profileJson = express.json({ limit: deps.profileBodyLimitBytes ?? PROFILE_BODY_LIMIT_BYTES, strict: false, type: () => true });
  mountProfileRoutes(router, customerAuth, claimed(profileJson), { profiles: createProfiles({ customers: deps.customers, dataKeys: deps.dataKeys, log: deps.log, now }), log: deps.log });
  mountErasureRoutes(router, customerAuth, json, { erasures: deps.erasures, log: deps.log });
  mountWebhookRoutes(router, auth, json, { endpoints: deps.webhookEndpoints, checkUrl: (url) => deps.checkWebhookUrl(url), log: deps.log });
  mountApiKeyRoutes(router, auth, json, { keys: deps.apiKeys, authenticator: deps.authenticator, log: deps.log });
  app.use(router);

  app.use((_req, res) => {
    res.status(404).json(apiError('route_not_found', 'no such route'));
  });

  const onError: ErrorRequestHandler = (err: unknown, req, res, _next) => {
    const answer = bodyErrorAnswer(err, req, deps.bodyLimitBytes);
    if (answer) {
      sendAnswer(res, answer);
      return;
    }
    deps.log.error({ err: errMessage(err) }, 'unhandled error');
    sendAnswer(res, internalError);
  };
  app.use(onError);
  return app;
}

/** The routes of the lean path (POST only), by path: express serves the same, for what that path leaves. */
export function acceptPathRoutes(deps: IntakeDeps): Record<string, AcceptPathRoute> {
  const now = deps.now ?? (() => new Date());
  return {
    '/v1/notifications': { route: acceptNotification({ ...deps, now }), bodyLimitBytes: deps.bodyLimitBytes },
    '/v1/notifications/batch': { route: acceptBatch({ ...deps, now }), bodyLimitBytes: deps.batchBodyLimitBytes },
  };
}

/**
 * Intake's HTTP server: the accept routes on a lean path of their own (accept-path.ts), every
 * other request, and any accept request that path leaves, through express.
 */
export function createIntakeServer(deps: IntakeDeps): Server {
  const app = createIntakeApp(deps);
  const server = createAcceptServer({
    authenticate: deps.authenticator.authenticate,
    log: deps.log,
    routes: acceptPathRoutes(deps),
    fallback: app,
    before: deps.metricsRoute ? [deps.metricsRoute] : [],
  });
  server.on('clientError', answerClientError);
  return server;
}
