import type { Request, RequestHandler, Router } from 'express';
import { errMessage, type Logger } from '@herald/service';
import { apiError } from '../../domain/api-error.js';
import { ApiKeyRequestSchema, MAX_ACTIVE_KEYS, viewOf } from '../../domain/api-keys.js';
import type { ApiKeyStore, Authenticator } from '../api-keys.js';
import { bodyOf, unavailable, type Authed } from './common.js';

export interface ApiKeyRoutesDeps {
  keys: Pick<ApiKeyStore, 'create' | 'revoke'>;
  authenticator: Pick<Authenticator, 'list' | 'forget'>;
  log: Logger;
}

const notFound = apiError('api_key_not_found', 'no such API key', 'id');

/**
 * `GET|POST /v1/api-keys`, `GET|DELETE /v1/api-keys/:id` (the admin scope, scopeFor): a tenant's
 * API keys. A key is shown whole once, in the answer that makes it; lists show its id, name,
 * scopes and last four characters.
 */
export function mountApiKeyRoutes(router: Router, auth: RequestHandler, json: RequestHandler, deps: ApiKeyRoutesDeps): void {
  const failed = (res: Authed, err: unknown): void => {
    deps.log.error({ err: errMessage(err) }, 'API key store failed');
    unavailable(res, 'API keys unavailable; retry later');
  };

  router.get('/v1/api-keys', auth, async (_req: Request, res: Authed) => {
    try {
      res.json({ items: await deps.authenticator.list(res.locals.tenantId) });
    } catch (err) {
      failed(res, err);
    }
  });

  router.post('/v1/api-keys', auth, json, async (req: Request, res: Authed) => {
    const request = bodyOf(ApiKeyRequestSchema, req.body, res);
    if (!request) return;
    try {
      const made = await deps.keys.create(res.locals.tenantId, request, res.locals.keyId);
      // This replica takes the new key at once; every other within a second (api-keys.ts).
      deps.authenticator.forget(res.locals.tenantId);
      if (!made) {
        res.status(409).json(apiError('too_many_api_keys', `a tenant has at most ${MAX_ACTIVE_KEYS} active API keys: revoke one first`));
        return;
      }
      res.status(201).location(`/v1/api-keys/${made.stored.id}`).json({ ...viewOf(made.stored), key: made.key });
    } catch (err) {
      failed(res, err);
    }
  });

  router.get('/v1/api-keys/:id', auth, async (req: Request<{ id: string }>, res: Authed) => {
    try {
      const key = (await deps.authenticator.list(res.locals.tenantId)).find((k) => k.id === req.params.id);
      if (key) res.json(key);
      else res.status(404).json(notFound);
    } catch (err) {
      failed(res, err);
    }
  });

  router.delete('/v1/api-keys/:id', auth, async (req: Request<{ id: string }>, res: Authed) => {
    const tenantId = res.locals.tenantId;
    try {
      const known = (await deps.authenticator.list(tenantId)).find((k) => k.id === req.params.id);
      if (known?.source === 'secret') {
        res.status(409).json(apiError('api_key_in_secret_store', 'this key is configured in the secret store (API_KEYS): remove it there', 'id'));
        return;
      }
      const revoked = known ? await deps.keys.revoke(tenantId, req.params.id, res.locals.keyId) : undefined;
      // This replica stops taking the key at once; every other within its cache time.
      deps.authenticator.forget(tenantId);
      if (revoked) res.json(viewOf(revoked));
      else res.status(404).json(notFound);
    } catch (err) {
      failed(res, err);
    }
  });
}
