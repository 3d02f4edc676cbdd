import { Client } from '@sendgrid/client';
import { MailService, type MailDataRequired } from '@sendgrid/mail';
import type { ChannelDispatch, DeliveryOutcome, ProviderPort } from '@herald/shared';

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

/**
 * Email through SendGrid's v3 Mail Send API (POST /v3/mail/send) with the official SDK.
 *
 * Each provider owns its SDK client: the `@sendgrid/mail` default export is a process-wide
 * singleton whose key, base URL and timeout any other importer could change.
 *
 * Every mail carries `custom_args` herald_id / herald_attempt: SendGrid copies them into each
 * Event Webhook event, which is how intake ties a bounce or a delivery back to the attempt.
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
        to,
        from: opts.from,
        subject,
        text,
        ...(html !== undefined ? { html } : {}),
        customArgs: { herald_id: message.notificationId, herald_attempt: String(message.attempt) },
      };
      try {
        const [response] = await mail.send(data);
        // X-Message-Id is the prefix of sg_message_id in the Event Webhook; SendGrid always sends it on 202.
        return { kind: 'sent', provider: PROVIDER, providerMessageId: header(response.headers, 'x-message-id') ?? 'unknown' };
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

function permanent(reason: string): DeliveryOutcome {
  return { kind: 'permanent', provider: PROVIDER, reason };
}

function transient(reason: string, retryAfterMs?: number): DeliveryOutcome {
  return { kind: 'transient', provider: PROVIDER, reason, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
}

/**
 * The SDK rejects with a ResponseError ({ code: <HTTP status>, response: { headers, body } }) for
 * an HTTP answer ≥ 400, and with axios's error ({ code: 'ECONNRESET' | 'ECONNABORTED' | … }) when
 * no answer came. Anything else is a bug here or in the SDK, and is thrown.
 */
function classifyFailure(err: unknown, ctx: FailureContext): DeliveryOutcome {
  const http = httpFailure(err);
  if (http) return classifyHttp(http.status, http.body, http.headers, ctx);
  const code = isRecord(err) && typeof err.code === 'string' ? err.code : undefined;
  if (code === undefined) throw err;
  const message = err instanceof Error ? err.message : '';
  if (code === 'ETIMEDOUT' || (code === 'ECONNABORTED' && /timeout/i.test(message))) {
    return transient(`${PROVIDER} timed out after ${ctx.timeoutMs} ms (${code})`);
  }
  // The code only: axios's message for ENOTFOUND/ECONNREFUSED quotes host and port, not worth keeping.
  return transient(`${PROVIDER} network error: ${code}`);
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
  const suffix = detail ? `: ${detail}` : '';
  if (status === 429) return transient(`${PROVIDER} HTTP 429: rate limited`, retryAfterMs(headers, ctx.now));
  if (status >= 500 || status === 408) return transient(`${PROVIDER} HTTP ${status}${suffix}`, retryAfterMs(headers, ctx.now));
  // A revoked key or an unverified sender is our configuration, not the message: retrying keeps the
  // notification alive until an operator fixes it, and bounded attempts still end it.
  if (status === 401 || status === 403) return transient(`provider rejected credentials (HTTP ${status})${suffix}`);
  // Not found / method not allowed on the mail send path: a wrong baseUrl, not a bad message.
  if (status === 404 || status === 405) return transient(`${PROVIDER} HTTP ${status}: mail send endpoint not found, check the base URL`);
  if (status >= 400) return permanent(`${PROVIDER} HTTP ${status}${suffix}`);
  return transient(`${PROVIDER} unexpected HTTP ${status}`);
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
  return redact(messages.join('; '), recipient).slice(0, 500);
}

const EMAIL_LIKE = /[^\s@<>()[\]"',;:]+@[^\s@<>()[\]"',;:]+/g;

function redact(text: string, recipient: string): string {
  return text.split(recipient).join('<address>').replace(EMAIL_LIKE, '<address>');
}

/**
 * How long SendGrid asks us to wait: Retry-After (seconds or an HTTP date) when present, else
 * X-RateLimit-Reset (the unix second the limit resets), which is what SendGrid's 429 carries.
 */
function retryAfterMs(headers: unknown, now: () => number): number | undefined {
  const retryAfter = header(headers, 'retry-after')?.trim();
  if (retryAfter) {
    if (/^\d+$/.test(retryAfter)) return Number(retryAfter) * 1000;
    const at = Date.parse(retryAfter);
    if (!Number.isNaN(at)) return Math.max(0, at - now());
  }
  const reset = header(headers, 'x-ratelimit-reset')?.trim();
  if (reset && /^\d+$/.test(reset)) return Math.max(0, Number(reset) * 1000 - now());
  return undefined;
}

/** A response header by name, whatever the case it was stored in (axios keeps Node's lower case). */
function header(headers: unknown, name: string): string | undefined {
  if (!isRecord(headers)) return undefined;
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== name) continue;
    if (typeof value === 'string') return value;
    if (typeof value === 'number') return String(value);
    if (Array.isArray(value) && typeof value[0] === 'string') return value[0];
  }
  return undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
