import type { RequestHandler, Router } from 'express';
import { notificationViewOf, PreferencesSchema } from '@herald/contracts';
import { errMessage, type Logger } from '@herald/service';
import { parseHistoryCursor, type DataKeys, type NotificationHistory, type PreferencesStore } from '@herald/stores';
import { apiError } from '../../domain/api-error.js';
import { openViews } from '../notification-views.js';
import { bodyOf, customerIdOf, unavailable, type Authed, type CustomerRequest } from './common.js';

export interface CustomerRoutesDeps {
  history: NotificationHistory;
  preferences: PreferencesStore;
  /** Opens the history's metadata. */
  dataKeys: Pick<DataKeys, 'forOpening'>;
  log: Logger;
  now: () => Date;
}

export const HISTORY_DEFAULT_LIMIT = 20;
export const HISTORY_MAX_LIMIT = 100;

/** A customer's history (`GET /v1/customers/:id/notifications`) and preferences. */
export function mountCustomerRoutes(router: Router, auth: RequestHandler, json: RequestHandler, deps: CustomerRoutesDeps): void {
  router.get('/v1/customers/:customerId/notifications', auth, async (req: CustomerRequest, res: Authed) => {
    const customer = customerIdOf(req, res);
    if (!customer) return;
    const limitText = typeof req.query.limit === 'string' ? req.query.limit : undefined;
    const limit = limitText === undefined ? HISTORY_DEFAULT_LIMIT : Number(limitText);
    if (!Number.isInteger(limit) || limit < 1 || limit > HISTORY_MAX_LIMIT) {
      res.status(400).json(apiError('invalid_query', `limit must be an integer from 1 to ${HISTORY_MAX_LIMIT}`, 'limit'));
      return;
    }
    const tenantId = res.locals.tenantId;
    const beforeText = typeof req.query.before === 'string' ? req.query.before : undefined;
    const before = beforeText === undefined ? undefined : parseHistoryCursor(beforeText, tenantId, customer);
    if (before && !before.ok) {
      const message =
        before.reason === 'not_this_customer'
          ? 'before is the cursor of another customer\'s history: page with the `next` this customer\'s history returned'
          : 'before must be an ISO date-time or the `next` cursor of a previous page';
      res.status(400).json(apiError(before.reason === 'not_this_customer' ? 'invalid_cursor' : 'invalid_query', message, 'before'));
      return;
    }
    try {
      const page = await deps.history.list(tenantId, customer, { limit, now: deps.now(), ...(before?.ok ? { before: before.cursor } : {}) });
      const items = await openViews(deps.dataKeys, page.items.map(notificationViewOf));
      res.json({ items, ...(page.next ? { next: page.next, nextUrl: `/v1/customers/${encodeURIComponent(customer)}/notifications?limit=${limit}&before=${page.next}` } : {}) });
    } catch (err) {
      deps.log.error({ tenantId, err: errMessage(err) }, 'history lookup failed');
      unavailable(res, 'history lookup failed; retry later');
    }
  });

  router.get('/v1/customers/:customerId/preferences', auth, async (req: CustomerRequest, res: Authed) => {
    const customer = customerIdOf(req, res);
    if (!customer) return;
    try {
      res.json((await deps.preferences.get(res.locals.tenantId, customer)) ?? {});
    } catch (err) {
      deps.log.error({ err: errMessage(err) }, 'preferences read failed');
      unavailable(res, 'preferences unavailable; retry later');
    }
  });

  router.put('/v1/customers/:customerId/preferences', auth, json, async (req: CustomerRequest, res: Authed) => {
    const customer = customerIdOf(req, res);
    if (!customer) return;
    const preferences = bodyOf(PreferencesSchema, req.body, res);
    if (!preferences) return;
    try {
      await deps.preferences.put(res.locals.tenantId, customer, preferences);
      res.json(preferences);
    } catch (err) {
      deps.log.error({ err: errMessage(err) }, 'preferences write failed');
      unavailable(res, 'preferences unavailable; retry later');
    }
  });

  router.delete('/v1/customers/:customerId/preferences', auth, async (req: CustomerRequest, res: Authed) => {
    const customer = customerIdOf(req, res);
    if (!customer) return;
    try {
      await deps.preferences.remove(res.locals.tenantId, customer);
      res.status(204).end();
    } catch (err) {
      deps.log.error({ err: errMessage(err) }, 'preferences delete failed');
      unavailable(res, 'preferences unavailable; retry later');
    }
  });
}
