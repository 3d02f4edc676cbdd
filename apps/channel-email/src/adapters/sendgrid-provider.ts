import { Client } from '@sendgrid/client';
import { MailService, type MailDataRequired } from '@sendgrid/mail';
import type { ChannelDispatch, DeliveryOutcome } from '@herald/contracts';
import {
  axiosTransportOutcome,
  credentialsReason,
  headerValue,
  httpReason,
  isRecord,
  MAX_REASON_DETAIL,
  providerOutcomes,
  redactEmailLike,
  redactKnown,
  retryAfterMs,
  unexpectedStatusReason,
  type ProviderPort,
} from '@herald/channel-runtime';

export interface SendGridProviderOptions {
  /** Secret SENDGRID_API_KEY (starts with `SG.`). */
  apiKey: string;
  /** Secret SENDGRID_FROM: a verified sender, `noreply@example.com` or `Herald <noreply@example.com>`. */
  from: string;
  /** Where the v3 API lives; a local simulator in tests and benchmarks. Default https://api.sendgrid.com */
  baseUrl?: string;
  /** Deadline of one mail send, response included. Default 10 s. */
  timeoutMs?: number;
  /** Clock for Retry-After dates and X-RateLimit-Reset; tests pass their own. */
  now?: () => number;
}

const PROVIDER = 'sendgrid';
const DEFAULT_BASE_URL = 'https://api.sendgrid.com';
const { permanent, transient } = providerOutcomes(PROVIDER);

/**
 * Email through SendGrid's v3 Mail Send API (POST /v3/mail/send) with the official SDK.
 *
 * Each provider owns its SDK client: the `@sendgrid/mail` default export is a process-wide
 * singleton whose key, base URL and timeout any other importer could change.
 *
 * Every mail carries `custom_args` herald_id / herald_attempt in its personalization (where
 * SendGrid's API description has them as an object; the mail's top-level `custom_args` is typed
 * a string there): SendGrid copies them into each Event Webhook event, which is how intake ties
 * a bounce or a delivery back to the attempt.
 */
export function createSendGridProvider(opts: SendGridProviderOptions): ProviderPort {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const now = opts.now ?? Date.now;
  const client = new Client();
  // setApiKey also resets the base URL to the region's host, so the base URL comes after it.
  client.setApiKey(opts.apiKey);
  client.setDefaultRequest('baseUrl', opts.baseUrl ?? DEFAULT_BASE_URL);
  const mail = new MailService();
  mail.setClient(client);
  mail.setTimeout(timeoutMs);

  return {
    name: PROVIDER,
    async send(message: ChannelDispatch): Promise<DeliveryOutcome> {
      const to = message.to.email;
      if (to === undefined) return permanent('dispatch has no email recipient');
      const { subject, text, html } = message.content;
      // SendGrid answers 400 for a mail without a subject; intake requires one, so this is a stray dispatch.
      if (subject === undefined) return permanent('email content has no subject');
      const data: MailDataRequired = {
        personalizations: [{ to, customArgs: { herald_id: message.notificationId, herald_attempt: String(message.attempt) } }],
        from: opts.from,
        subject,
        text,
        ...(html !== undefined ? { html } : {}),
      };
      try {
        const [response] = await mail.send(data);
        // X-Message-Id is the prefix of sg_message_id in the Event Webhook; SendGrid always sends it on 202.
        return { kind: 'sent', provider: PROVIDER, providerMessageId: headerValue(response.headers, 'x-message-id') ?? 'unknown' };
      } catch (err) {
        return classifyFailure(err, { recipient: to, timeoutMs, now });
      }
    },
  };
}

interface FailureContext {
  recipient: string;
  timeoutMs: number;
  now: () => number;
}

/**
 * The SDK rejects with a ResponseError ({ code: <HTTP status>, response: { headers, body } }) for
 * an HTTP answer ≥ 400, and with axios's error ({ code: 'ECONNRESET' | 'ECONNABORTED' | … }) when
 * no answer came. Anything else is a bug here or in the SDK, and is thrown.
 */
function classifyFailure(err: unknown, ctx: FailureContext): DeliveryOutcome {
  const http = httpFailure(err);
  if (http) return classifyHttp(http.status, http.body, http.headers, ctx);
  const transport = axiosTransportOutcome(PROVIDER, err, ctx.timeoutMs);
  if (transport) return transport;
  throw err;
}

function httpFailure(err: unknown): { status: number; body: unknown; headers: unknown } | undefined {
  if (!isRecord(err)) return undefined;
  // ResponseError from @sendgrid/helpers.
  if (typeof err.code === 'number' && isRecord(err.response)) {
    return { status: err.code, body: err.response.body, headers: err.response.headers };
  }
  // A raw axios error that still carries a response (a 3xx that was not followed).
  if (isRecord(err.response) && typeof err.response.status === 'number') {
    return { status: err.response.status, body: err.response.data, headers: err.response.headers };
  }
  return undefined;
}

function classifyHttp(status: number, body: unknown, headers: unknown, ctx: FailureContext): DeliveryOutcome {
  const detail = errorMessages(body, ctx.recipient);
  if (status === 429) return transient(httpReason(PROVIDER, 429, 'rate limited'), waitMs(headers, ctx.now));
  if (status >= 500 || status === 408) return transient(httpReason(PROVIDER, status, detail), waitMs(headers, ctx.now));
  // A revoked key or an unverified sender is our configuration, not the message: retrying keeps the
  // notification alive until an operator fixes it, and bounded attempts still end it.
  if (status === 401 || status === 403) return transient(credentialsReason(status, detail));
  // Not found / method not allowed on the mail send path: a wrong baseUrl, not a bad message.
  if (status === 404 || status === 405) return transient(httpReason(PROVIDER, status, 'mail send endpoint not found, check the base URL'));
  if (status >= 400) return permanent(httpReason(PROVIDER, status, detail));
  return transient(unexpectedStatusReason(PROVIDER, status));
}

/**
 * SendGrid's errors[].message, joined. Some quote the recipient ("We found the first duplicate
 * instance of [jane@example.com] …"), so anything shaped like an address is cut out.
 */
function errorMessages(body: unknown, recipient: string): string {
  if (!isRecord(body) || !Array.isArray(body.errors)) return '';
  const messages = body.errors
    .map((e: unknown) => (isRecord(e) && typeof e.message === 'string' ? e.message : undefined))
    .filter((m): m is string => m !== undefined && m.length > 0);
  return redactEmailLike(redactKnown(messages.join('; '), [recipient], '<address>')).slice(0, MAX_REASON_DETAIL);
}

/**
 * How long SendGrid asks us to wait: Retry-After (seconds or an HTTP date) when present, else
 * X-RateLimit-Reset (the unix second the limit resets), which is what SendGrid's 429 carries.
 */
function waitMs(headers: unknown, now: () => number): number | undefined {
  const asked = retryAfterMs(headers, now);
  if (asked !== undefined) return asked;
  const reset = headerValue(headers, 'x-ratelimit-reset')?.trim();
  if (reset && /^\d+$/.test(reset)) return Math.max(0, Number(reset) * 1000 - now());
  return undefined;
}
