import { header, parseJson } from '@herald/service';
import { z } from 'zod';
import { empty, xml, type Reply } from './http-io.js';
import { multipartBoundary, parseMultipart, partName } from './multipart.js';
import { retryAfterSeconds, type Handled, type IdSource, type ProviderApi, type ProviderRequest } from './provider-api.js';

// Azure Notification Hubs send, as @azure/notification-hubs 2 calls it:
// `POST /{hub}/messages/?api-version=2020-06&direct=true` with
// `Authorization: SharedAccessSignature sr=…&sig=…&se=…&skn=…`, `ServiceBusNotification-Format`
// and `ServiceBusNotification-DeviceHandle`. Success is 201 with an empty body; the SDK reads
// TrackingId, x-ms-correlation-request-id and Location (the notification id is the 4th path
// segment). Errors are XML `<Error><Code/><Detail/></Error>`: the SDK puts Detail in its message.
//
// Given an array of handles, the same SDK call is a direct batch send
// (https://learn.microsoft.com/rest/api/notificationhubs/direct-batch-send):
// `POST /{hub}/messages/$batch?api-version=2020-06&direct=true`, no DeviceHandle header, and a
// `multipart/mixed; boundary = "nh-boundary-…"` body of two parts, `name=notification` (the native
// payload) and `name=devices` (a JSON array of handles). It is answered like a single send.

/** Azure's documented limit on the handles of one direct batch send. */
export const MAX_BATCH_DEVICES = 1_000;

const nhError = (status: number, detail: string, ids: IdSource, headers: Record<string, string> = {}): Reply => {
  const trackingId = ids.uuid();
  return xml(status, `<Error><Code>${status}</Code><Detail>${escapeXml(detail)} TrackingId:${trackingId}</Detail></Error>`, {
    TrackingId: trackingId,
    ...headers,
  });
};

export const notificationHubsApi: ProviderApi = {
  provider: 'notificationhubs',

  unauthorized(req, { ids }) {
    const auth = header(req.headers, 'authorization');
    if (auth === undefined) return nhError(401, 'MissingToken: The authorization header was not found.', ids);
    if (!/^SharedAccessSignature\s+\S*sig=/.test(auth)) return nhError(401, 'InvalidToken: The authorization header is not a SharedAccessSignature.', ids);
    return undefined;
  },

  refuse(gate, { ids }) {
    switch (gate.kind) {
      case 'outage':
        return nhError(503, 'The service is unavailable.', ids);
      case 'fault':
        return nhError(gate.status, gate.status === 500 ? 'Internal Server Error.' : 'The service is unavailable.', ids);
      case 'throttled':
        return nhError(429, 'Throttled: too many requests.', ids, { 'Retry-After': String(retryAfterSeconds(gate.retryAfterMs)) });
    }
  },

  handle(req, { ids }) {
    const apiVersion = req.query.get('api-version');
    if (!apiVersion) return { reply: nhError(400, 'The api-version query parameter is required.', ids) };
    if (!header(req.headers, 'servicebusnotification-format')) return { reply: nhError(400, 'The ServiceBusNotification-Format header is required.', ids) };
    const direct = req.query.has('direct');
    if (req.params.batch !== undefined) {
      if (!direct) return { reply: nhError(400, 'The $batch endpoint takes direct sends only (direct=true).', ids) };
      const devices = batchDevices(req);
      if ('problem' in devices) return { reply: nhError(400, devices.problem, ids) };
      return directSend(req, apiVersion, devices.handles, ids);
    }
    if (direct) {
      const handle = header(req.headers, 'servicebusnotification-devicehandle');
      if (!handle) return { reply: nhError(400, 'A direct send requires the ServiceBusNotification-DeviceHandle header.', ids) };
      return directSend(req, apiVersion, [handle], ids);
    }
    // A tag or broadcast send: the simulator keeps no registrations, so it names no devices.
    return { reply: created(req, apiVersion, ids) };
  },
};

/**
 * Simulator triggers, chosen by the device handles: an expired channel (permanent) and the
 * namespace's quota (transient, retry later). A batch is refused as expired only when every handle
 * is: Azure accepts a batch and reports dead handles later, per device, through its feedback, so
 * the others are still reached. Quota is the hub's, so one live handle asking for it refuses the
 * whole batch; a batch of one answers as a single send of that handle would.
 */
function directSend(req: ProviderRequest, apiVersion: string, handles: readonly string[], ids: IdSource): Handled {
  const live = handles.filter((handle) => !handle.includes('invalid'));
  if (live.length === 0) {
    const detail = handles.length === 1 ? 'The device handle has expired' : 'Every device handle of the batch has expired';
    return { reply: nhError(410, `${detail} or is not valid for this platform.`, ids) };
  }
  if (live.some((handle) => handle.includes('quota'))) {
    return { reply: nhError(403, 'QuotaExceeded: the notification hub has exceeded its quota.', ids, { 'Retry-After': '1' }) };
  }
  return { reply: created(req, apiVersion, ids), devices: live.length };
}

/** 201 with what the SDK reads: TrackingId, the correlation id and a Location naming the notification. */
function created(req: ProviderRequest, apiVersion: string, ids: IdSource): Reply {
  const hub = req.params.hubName ?? '';
  const notificationId = ids.hex(32);
  return empty(201, {
    TrackingId: ids.uuid(),
    'x-ms-correlation-request-id': ids.uuid(),
    Location: `https://${req.host}/${hub}/messages/${notificationId}?api-version=${encodeURIComponent(apiVersion)}`,
  });
}

const deviceHandlesSchema = z.array(z.string().min(1));

/** The handles of a direct batch send's `devices` part, or why the body is refused. */
function batchDevices(req: ProviderRequest): { handles: string[] } | { problem: string } {
  const boundary = multipartBoundary(header(req.headers, 'content-type'));
  if (boundary === undefined) return { problem: 'A direct batch send takes a multipart/mixed body with a boundary.' };
  const parts = parseMultipart(req.body, boundary);
  if (parts === undefined) return { problem: 'The multipart body is malformed.' };
  if (!parts.some((part) => partName(part) === 'notification')) return { problem: 'The multipart body has no notification part.' };
  const devices = parts.find((part) => partName(part) === 'devices');
  if (devices === undefined) return { problem: 'The multipart body has no devices part.' };
  const parsed = deviceHandlesSchema.safeParse(parseJson(devices.body));
  if (!parsed.success) return { problem: 'The devices part must be a JSON array of device handles (non-empty strings).' };
  const handles = parsed.data;
  if (handles.length === 0) return { problem: 'The devices part names no device handle.' };
  if (handles.length > MAX_BATCH_DEVICES) {
    return { problem: `A direct batch send takes at most ${MAX_BATCH_DEVICES} device handles; this one has ${handles.length}.` };
  }
  return { handles };
}

const escapeXml = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
