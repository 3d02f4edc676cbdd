import type { Request, RequestHandler, Router } from 'express';
import { CustomerIdSchema, ErasureSchema } from '@herald/contracts';
import { errMessage, type Logger } from '@herald/service';
import { apiError } from '../../domain/api-error.js';
import type { ErasureService } from '../erasure.js';
import { unavailable, type Authed } from './common.js';

export interface ErasureRoutesDeps {
  erasures: ErasureService;
  log: Logger;
}

const ErasureIdSchema = ErasureSchema.shape.id;

/**
 * `DELETE /v1/customers/:customerId` erases a customer (202, and where to follow it);
 * `GET /v1/erasures/:erasureId` shows an erasure's progress, which is also its audit record.
 */
export function mountErasureRoutes(router: Router, auth: RequestHandler, _json: RequestHandler, deps: ErasureRoutesDeps): void {
  router.delete('/v1/customers/:customerId', auth, async (req: Request<{ customerId: string }>, res: Authed) => {
    const customer = CustomerIdSchema.safeParse(req.params.customerId);
    if (!customer.success) {
      res.status(400).json(apiError('invalid_customer_id', `customerId: ${customer.error.issues[0]?.message ?? 'invalid'}`, 'customerId'));
      return;
    }
    const tenantId = res.locals.tenantId;
    try {
      const erasure = await deps.erasures.erase(tenantId, customer.data, res.locals.keyId ?? 'unknown');
      res.status(202).location(`/v1/erasures/${erasure.id}`).json(erasure);
    } catch (err) {
      // Before the data key was destroyed: the erasure did not start, and asking again is safe.
      deps.log.error({ tenantId, err: errMessage(err) }, 'erasure could not start');
      unavailable(res, 'the erasure could not start; retry later');
    }
  });

  router.get('/v1/erasures/:erasureId', auth, async (req: Request<{ erasureId: string }>, res: Authed) => {
    if (!ErasureIdSchema.safeParse(req.params.erasureId).success) {
      res.status(400).json(apiError('invalid_erasure_id', 'erasureId: must be ers_ followed by 26 lowercase letters and digits', 'erasureId'));
      return;
    }
    try {
      const erasure = await deps.erasures.get(res.locals.tenantId, req.params.erasureId);
      if (erasure) res.json(erasure);
      else res.status(404).json(apiError('erasure_not_found', 'no such erasure', 'erasureId'));
    } catch (err) {
      deps.log.error({ err: errMessage(err) }, 'erasure read failed');
      unavailable(res, 'erasures unavailable; retry later');
    }
  });
}
