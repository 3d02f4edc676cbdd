import type { Request, RequestHandler, Router } from 'express';
import { DeviceSchema, isDotSegment, ProfilePatchSchema, ProfileSchema } from '@herald/contracts';
import { errMessage, type Logger } from '@herald/service';
import { apiError } from '../../domain/api-error.js';
import { addDevice, patchProfile, removeDevices } from '../../domain/profile.js';
import { plainProfile, type Profiles } from '../profiles.js';
import { sendAnswer } from './answer.js';
import { bodyOf, customerIdOf, dotSegmentId, unavailable, type Authed, type CustomerRequest } from './common.js';

/**
 * The largest profile body read. A profile is four short fields and at most ten devices (a real
 * push token is a few hundred characters): far below the limit of a notification's body.
 */
export const PROFILE_BODY_LIMIT_BYTES = 16 * 1024;

/** A device id as `deviceId` makes them (16 base64url characters). */
export const DEVICE_ID = /^[A-Za-z0-9_-]{16}$/;

export interface ProfileRoutesDeps {
  profiles: Profiles;
  log: Logger;
}

const customerNotFound = apiError('customer_not_found', 'this customer has no profile', 'customerId');
const deviceNotFound = apiError('device_not_found', 'this customer has no such device', 'deviceId');

type DeviceRequest = Request<{ customerId: string; deviceId: string }>;

/**
 * A customer's profile, where their notifications go when a request leaves out `to`:
 * - `PUT /v1/customers/:customerId` replaces it (200, the profile as `GET` shows it);
 * - `GET` shows it, each device with its id (404 `customer_not_found` without one);
 * - `PATCH` changes the fields given, `null` removing one (404 without a profile);
 * - `POST /v1/customers/:customerId/devices` with `{token, platform}` adds a device (201), or
 *   changes nothing when the token is already there (200); a profile is made if there is none.
 *   The list runs oldest first and holds at most 10: an eleventh device drops the oldest;
 * - `DELETE /v1/customers/:customerId/devices/:deviceId` removes one (204; 404
 *   `device_not_found`, or `customer_not_found` without a profile).
 * Bodies over PROFILE_BODY_LIMIT_BYTES are refused (413 `payload_too_large`); invalid ones with
 * 400 and the field at fault. The values are kept sealed under the customer's data key.
 */
export function mountProfileRoutes(router: Router, auth: RequestHandler, json: RequestHandler, deps: ProfileRoutesDeps): void {
  const failed = (res: Authed, err: unknown): void => {
    deps.log.error({ tenantId: res.locals.tenantId, err: errMessage(err) }, 'profile store failed');
    unavailable(res, 'profiles unavailable; retry later');
  };
  const path = '/v1/customers/:customerId';

  router.get(path, auth, async (req: CustomerRequest, res: Authed) => {
    const customer = customerIdOf(req, res);
    if (!customer) return;
    try {
      const view = await deps.profiles.view(res.locals.tenantId, customer);
      if (view) res.json(view);
      else res.status(404).json(customerNotFound);
    } catch (err) {
      failed(res, err);
    }
  });

  router.put(path, auth, json, async (req: CustomerRequest, res: Authed) => {
    const customer = customerIdOf(req, res);
    if (!customer) return;
    const profile = bodyOf(ProfileSchema, req.body, res);
    if (!profile) return;
    try {
      res.json(await deps.profiles.replace(res.locals.tenantId, customer, profile));
    } catch (err) {
      failed(res, err);
    }
  });

  router.patch(path, auth, json, async (req: CustomerRequest, res: Authed) => {
    const customer = customerIdOf(req, res);
    if (!customer) return;
    const patch = bodyOf(ProfilePatchSchema, req.body, res);
    if (!patch) return;
    // A device list replaces the stored one whole: it must be a valid list by itself (no token twice).
    if (patch.devices && !bodyOf(ProfileSchema, { devices: patch.devices }, res)) return;
    try {
      const { result, view } = await deps.profiles.modify(res.locals.tenantId, customer, (current) =>
        current ? { result: 'patched' as const, write: patchProfile(plainProfile(current), patch) } : { result: 'none' as const },
      );
      if (result === 'patched' && view) res.json(view);
      else res.status(404).json(customerNotFound);
    } catch (err) {
      failed(res, err);
    }
  });

  router.post(`${path}/devices`, auth, json, async (req: CustomerRequest, res: Authed) => {
    const customer = customerIdOf(req, res);
    if (!customer) return;
    const device = bodyOf(DeviceSchema, req.body, res);
    if (!device) return;
    try {
      const { result, view } = await deps.profiles.modify(res.locals.tenantId, customer, (current) => {
        const change = addDevice(current ? plainProfile(current) : {}, device);
        return change.added ? { result: 'added' as const, write: change.profile } : { result: 'present' as const };
      });
      res.status(result === 'added' ? 201 : 200).json(view);
    } catch (err) {
      failed(res, err);
    }
  });

  router.delete(`${path}/devices/:deviceId`, auth, async (req: DeviceRequest, res: Authed) => {
    const customer = customerIdOf(req, res);
    if (!customer) return;
    const id = req.params.deviceId;
    if (isDotSegment(id)) {
      sendAnswer(res, dotSegmentId);
      return;
    }
    // A malformed id names no device: 404, as for one that is not there.
    if (!DEVICE_ID.test(id)) {
      res.status(404).json(deviceNotFound);
      return;
    }
    try {
      const { result } = await deps.profiles.modify(res.locals.tenantId, customer, (current) => {
        if (!current) return { result: 'no_profile' as const };
        const index = current.devices.findIndex((d) => d.id === id);
        if (index < 0) return { result: 'no_device' as const };
        return { result: 'removed' as const, write: removeDevices(plainProfile(current), (i) => i === index) };
      });
      if (result === 'removed') res.status(204).end();
      else res.status(404).json(result === 'no_profile' ? customerNotFound : deviceNotFound);
    } catch (err) {
      failed(res, err);
    }
  });
}
