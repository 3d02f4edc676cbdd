import { header } from '@herald/service';
import { empty, xml, type Reply } from './http-io.js';
import { retryAfterSeconds, type IdSource, type ProviderApi } from './provider-api.js';

// Azure Notification Hubs send, as @azure/notification-hubs 2 calls it:
// `POST /{hub}/messages/?api-version=2020-06&direct=true` with
// `Authorization: SharedAccessSignature sr=…&sig=…&se=…&skn=…`, `ServiceBusNotification-Format`
// and `ServiceBusNotification-DeviceHandle`. Success is 201 with an empty body; the SDK reads
// TrackingId, x-ms-correlation-request-id and Location (the notification id is the 4th path
// segment). Errors are XML `<Error><Code/><Detail/></Error>`: the SDK puts Detail in its message.

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
    if (!apiVersion) return nhError(400, 'The api-version query parameter is required.', ids);
    if (!header(req.headers, 'servicebusnotification-format')) return nhError(400, 'The ServiceBusNotification-Format header is required.', ids);
    if (req.query.has('direct')) {
      const handle = header(req.headers, 'servicebusnotification-devicehandle');
      if (!handle) return nhError(400, 'A direct send requires the ServiceBusNotification-DeviceHandle header.', ids);
      // Simulator triggers, chosen by the device handle: an expired channel (permanent) and
      // the namespace's quota (transient, retry later).
      if (handle.includes('invalid')) return nhError(410, 'The device handle has expired or is not valid for this platform.', ids);
      if (handle.includes('quota')) return nhError(403, 'QuotaExceeded: the notification hub has exceeded its quota.', ids, { 'Retry-After': '1' });
    }
    const hub = req.params.hubName ?? '';
    const notificationId = ids.hex(32);
    return empty(201, {
      TrackingId: ids.uuid(),
      'x-ms-correlation-request-id': ids.uuid(),
      Location: `https://${req.host}/${hub}/messages/${notificationId}?api-version=${encodeURIComponent(apiVersion)}`,
    });
  },
};

const escapeXml = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
