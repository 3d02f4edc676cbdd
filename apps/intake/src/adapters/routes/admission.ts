import type { Request, RequestHandler, Router } from 'express';
import type { AdmissionControl } from '../admission-control.js';
import type { Authed } from './common.js';

/**
 * `GET /v1/admission`: each lane's backlog, its thresholds and whether it is admitting or
 * shedding, and the caller's own quota and usage. What a sender needs to pace itself.
 */
export function mountAdmissionRoute(router: Router, auth: RequestHandler, deps: { admission: AdmissionControl; now: () => Date }): void {
  router.get('/v1/admission', auth, (_req: Request, res: Authed) => {
    res.json(deps.admission.view(res.locals.tenantId, deps.now()));
  });
}
