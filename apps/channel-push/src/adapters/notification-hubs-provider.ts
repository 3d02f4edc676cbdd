import { createClientContext, sendNotification } from '@azure/notification-hubs/api';
import {
  createAppleNotification,
  createAppleNotificationBody,
  createFcmV1Notification,
  createFirebaseV1NotificationBody,
  type AppleNotification,
  type FcmV1Notification,
} from '@azure/notification-hubs/models';
import type { ChannelDispatch, DeliveryOutcome, Platform } from '@herald/contracts';
import {
  combinePlatformOutcomes,
  credentialsReason,
  devicesByPlatform,
  errorCode,
  httpReason,
  isRecord,
  MAX_REASON_DETAIL,
  networkErrorReason,
  providerOutcomes,
  redactEmailLike,
  redactKnown,
  retryAfterMs,
  timeoutReason,
  unexpectedStatusReason,
  type ProviderPort,
} from '@herald/channel-runtime';

export interface NotificationHubsProviderOptions {
  /**
   * Secret AZURE_NH_CONNECTION_STRING: `Endpoint=sb://<namespace>.servicebus.windows.net/;
   * SharedAccessKeyName=…;SharedAccessKey=…`. The SDK turns `sb://` into `https://` (port kept);
   * an `http://` endpoint is used as it is, which is how a plain-HTTP simulator is reached.
   */
  connectionString: string;
  /** AZURE_NH_HUB_NAME. */
  hubName: string;
  /**
   * Which native format a request's lone `deviceToken` is in. Default fcmv1 (Firebase Cloud
   * Messaging HTTP v1). A profile's devices name their own platform.
   */
  platform?: 'fcmv1' | 'apple';
  /** Deadline of one send, response included. Default 10 s. */
  timeoutMs?: number;
  /** Clock for a Retry-After given as a date; tests pass their own. */
  now?: () => number;
}

const PROVIDER = 'notificationhubs';
const { permanent, transient } = providerOutcomes(PROVIDER);
/** Azure's throttling answers also say how long in whole milliseconds; these win over Retry-After. */
const MS_RETRY_HEADERS = ['retry-after-ms', 'x-ms-retry-after-ms'];

/**
 * Push through Azure Notification Hubs' direct send with the official SDK: no registrations, the
 * device handles are ours (each customer's profile).
 *
 * - One handle: POST https://<namespace>.servicebus.windows.net/<hub>/messages/?api-version=2020-06&direct=true,
 *   the handle in the ServiceBusNotification-DeviceHandle header. Every tier has it, and a dead
 *   handle is answered there and then (404 / 410).
 * - Several handles of one platform: the SDK's batch direct send, the same `sendNotification` given
 *   an array of handles: POST …/messages/$batch?…&direct=true, multipart/mixed (the native payload,
 *   then the JSON array of handles). One call for up to 1,000 devices; Basic and Standard tiers
 *   only, and a dead handle among them is not answered per device (Azure's per-device outcomes
 *   come later, through its feedback). https://learn.microsoft.com/rest/api/notificationhubs/direct-batch-send
 *
 * A request's `deviceToken` goes alone, in the configured `platform`'s format. A profile's
 * `devices` go as one call per platform, at once, each in its platform's payload (APNs for
 * apns, FCM v1 for fcmv1), under one deadline; the answers are combined as push-devices.ts says
 * (sent if any platform's call was accepted, with every accepted call's id).
 *
 * The SDK's pipeline would retry 429s, 5xx and socket errors itself (three times by default);
 * retries are the notification actor's (durable, jittered, bounded), so the pipeline's are off.
 */
export function createNotificationHubsProvider(opts: NotificationHubsProviderOptions): ProviderPort {
  const platform: Platform = opts.platform === 'apple' ? 'apns' : 'fcmv1';
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const now = opts.now ?? Date.now;
  const context = createClientContext(opts.connectionString, opts.hubName, { retryOptions: { maxRetries: 0 } });
  // The pipeline refuses http:// unless told otherwise per request; only a simulator is reached that way.
  const allowInsecureConnection = context.requestUrl().protocol === 'http:';

  /** One direct send (one handle) or batch direct send (several) of one platform's payload. */
  async function sendTo(target: Platform, tokens: readonly string[], message: ChannelDispatch, deadline: AbortSignal): Promise<DeliveryOutcome> {
    const [first] = tokens;
    if (first === undefined) return permanent('dispatch has no device token');
    try {
      const response = await sendNotification(context, nativeNotification(target, message), {
        deviceHandle: tokens.length === 1 ? first : [...tokens],
        abortSignal: deadline,
        requestOptions: { allowInsecureConnection },
      });
      // notificationId (from Location) exists on Standard tier and keys the outcome-details API;
      // the TrackingId header is always there and is what Azure support asks for.
      const id = response.notificationId ?? response.trackingId ?? response.correlationId ?? 'unknown';
      return { kind: 'sent', provider: PROVIDER, providerMessageId: id };
    } catch (err) {
      if (deadline.aborted) return transient(timeoutReason(PROVIDER, timeoutMs));
      return classifyFailure(err, { tokens, now });
    }
  }

  return {
    name: PROVIDER,
    async send(message: ChannelDispatch): Promise<DeliveryOutcome> {
      // Our own deadline rather than the pipeline's `timeout`: whichever error the aborted socket
      // surfaces first (AbortError or a RestError), `deadline.aborted` says it was the clock.
      const deadline = AbortSignal.timeout(timeoutMs);
      const { deviceToken, devices } = message.to;
      if (deviceToken !== undefined) return sendTo(platform, [deviceToken], message, deadline);
      if (devices === undefined || devices.length === 0) return permanent('dispatch has no device token');
      const calls = [...devicesByPlatform(devices)].map(async ([target, tokens]) => ({
        platform: target,
        outcome: await sendTo(target, tokens, message, deadline),
      }));
      return combinePlatformOutcomes(PROVIDER, await Promise.all(calls));
    },
  };
}

/** Title, text and data in the platform's own payload; the critical lane asks for immediate delivery. */
function nativeNotification(platform: Platform, message: ChannelDispatch): FcmV1Notification | AppleNotification {
  const { title, subject, text, data } = message.content;
  const heading = title ?? subject;
  const critical = message.priority === 'critical';
  if (platform === 'apns') {
    const custom = Object.fromEntries(Object.entries(data ?? {}).filter(([key]) => key !== 'aps'));
    return createAppleNotification({
      body: createAppleNotificationBody({ aps: { alert: heading !== undefined ? { title: heading, body: text } : { body: text } }, ...custom }),
      headers: { 'apns-push-type': 'alert', 'apns-priority': critical ? '10' : '5' },
    });
  }
  return createFcmV1Notification({
    body: createFirebaseV1NotificationBody({
      message: {
        notification: heading !== undefined ? { title: heading, body: text } : { body: text },
        ...(data !== undefined ? { data } : {}),
        android: { priority: critical ? 'high' : 'normal' },
      },
    }),
  });
}

interface FailureContext {
  /** The handles of the call: none of them may reach a reason. */
  tokens: readonly string[];
  now: () => number;
}

/**
 * The SDK throws a RestError: with `statusCode` and the response for an HTTP answer other than
 * 201, with the socket's `code` (ECONNRESET, ENOTFOUND, …) when none came. Anything else is a
 * bug here or in the SDK, and is thrown.
 */
function classifyFailure(err: unknown, ctx: FailureContext): DeliveryOutcome {
  if (isRecord(err) && typeof err.statusCode === 'number') {
    const response = isRecord(err.response) ? err.response : {};
    return classifyHttp(err.statusCode, detail(response.bodyAsText, ctx.tokens), response.headers, ctx.now);
  }
  const code = errorCode(err);
  if (code !== undefined) return transient(networkErrorReason(PROVIDER, code));
  throw err;
}

/** Direct send's answers: https://learn.microsoft.com/rest/api/notificationhubs/direct-send */
function classifyHttp(status: number, detailText: string, headers: unknown, now: () => number): DeliveryOutcome {
  const reason = httpReason(PROVIDER, status, detailText);
  // 403 is "quota exceeded or message too large": the quota passes, an oversized payload does not.
  if (status === 403 && /too large|size/i.test(detailText)) return permanent(reason);
  if (status === 429 || status === 403) return transient(reason, retryAfterMs(headers, now, MS_RETRY_HEADERS));
  if (status >= 500 || status === 408) return transient(reason, retryAfterMs(headers, now, MS_RETRY_HEADERS));
  // A wrong SAS key is our configuration, not the message: retrying keeps the notification alive
  // until an operator fixes it, and bounded attempts still end it.
  if (status === 401) return transient(credentialsReason(401, detailText));
  // 404 / 410: the handle is unknown or expired; 400 / 413: the payload or the handle is malformed.
  if (status >= 400) return permanent(reason);
  return transient(unexpectedStatusReason(PROVIDER, status));
}

/** The <Detail> of Notification Hubs' XML error body, without anything that could be a token. */
function detail(bodyAsText: unknown, tokens: readonly string[]): string {
  if (typeof bodyAsText !== 'string') return '';
  const match = /<Detail>([\s\S]*?)<\/Detail>/i.exec(bodyAsText);
  if (!match?.[1]) return '';
  return redact(match[1].trim(), tokens).slice(0, MAX_REASON_DETAIL);
}

/**
 * Device tokens: FCM registration tokens run past 100 characters, APNs tokens are 64 hex digits.
 * Azure's TrackingId (a GUID and a short suffix, under 48) stays: support asks for it.
 */
const TOKEN_LIKE = /[A-Za-z0-9_-]{48,}/g;

function redact(text: string, tokens: readonly string[]): string {
  return redactEmailLike(redactKnown(text, tokens, '<token>').replace(TOKEN_LIKE, '<token>'));
}
