import type { ChannelDispatch, DeliveryOutcome } from '@herald/contracts';

/*
 * What the provider adapters (SendGrid, Twilio, Notification Hubs) have in common once an SDK has
 * answered or failed: outcome builders, header lookup, Retry-After, the reasons for transport
 * failures, and the redaction of personal data from provider error text. Each provider's own
 * quirks (status ladders, error bodies, token shapes) stay in its adapter. Pure: the clock comes in
 * as an argument.
 */

/** Provider error text kept in an outcome's reason: reasons are stored with the notification and logged. */
export const MAX_REASON_DETAIL = 500;

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

export interface ProviderOutcomes {
  readonly permanent: (reason: string) => DeliveryOutcome;
  readonly transient: (reason: string, retryAfterMs?: number) => DeliveryOutcome;
}

/** The failure outcomes of one provider, named once. */
export function providerOutcomes(provider: string): ProviderOutcomes {
  return {
    permanent: (reason) => ({ kind: 'permanent', provider, reason }),
    transient: (reason, retryAfterMs) => ({ kind: 'transient', provider, reason, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) }),
  };
}

/**
 * A response header by its lower-case name, whatever the case it was stored in. Axios answers
 * (SendGrid, Twilio) are records of string, number or string[]; core-rest-pipeline's HttpHeaders
 * (Azure) keeps its entries in a private map and is read through its case-insensitive `get`.
 */
export function headerValue(headers: unknown, name: string): string | undefined {
  if (!isRecord(headers)) return undefined;
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== name) continue;
    if (typeof value === 'string') return value;
    if (typeof value === 'number') return String(value);
    if (Array.isArray(value) && typeof value[0] === 'string') return value[0];
  }
  if (typeof headers.get !== 'function') return undefined;
  const value: unknown = (headers.get as (n: string) => unknown).call(headers, name);
  return typeof value === 'string' ? value : undefined;
}

/**
 * A Retry-After value in ms from now: delta-seconds or an HTTP-date (RFC 9110 §10.2.3). Undefined
 * when absent or unreadable; a date already past is 0.
 */
export function parseRetryAfter(value: string | undefined, now: () => number): number | undefined {
  const trimmed = value?.trim();
  if (!trimmed) return undefined;
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now());
}

/**
 * How long the provider asks us to wait. `msHeaders` are headers in whole milliseconds (Azure's
 * retry-after-ms / x-ms-retry-after-ms), read first: the first one present decides, and if it is
 * unreadable Retry-After does.
 */
export function retryAfterMs(headers: unknown, now: () => number, msHeaders: readonly string[] = []): number | undefined {
  for (const name of msHeaders) {
    const ms = headerValue(headers, name)?.trim();
    if (ms === undefined) continue;
    if (/^\d+$/.test(ms)) return Number(ms);
    break;
  }
  return parseRetryAfter(headerValue(headers, 'retry-after'), now);
}

/** `<provider> HTTP <status>`, with the provider's detail when there is some. */
export function httpReason(provider: string, status: number, detail?: string): string {
  return `${provider} HTTP ${status}${detail ? `: ${detail}` : ''}`;
}

/** A 401/403: our key or account was refused, not the message. */
export function credentialsReason(status: number, detail?: string): string {
  return `provider rejected credentials (HTTP ${status})${detail ? `: ${detail}` : ''}`;
}

/** A status below 400 that the SDK still reported as a failure (a redirect not followed, say). */
export function unexpectedStatusReason(provider: string, status: number): string {
  return `${provider} unexpected HTTP ${status}`;
}

export function timeoutReason(provider: string, timeoutMs: number, code?: string): string {
  return `${provider} timed out after ${timeoutMs} ms${code !== undefined ? ` (${code})` : ''}`;
}

/** The code only: the messages of ENOTFOUND or ECONNREFUSED quote host and port, not worth keeping. */
export function networkErrorReason(provider: string, code: string): string {
  return `${provider} network error: ${code}`;
}

/** The string `code` of a socket or HTTP-client error (ECONNRESET, ENOTFOUND, ECONNABORTED, …). */
export function errorCode(err: unknown): string | undefined {
  return isRecord(err) && typeof err.code === 'string' ? err.code : undefined;
}

/**
 * An axios failure without an HTTP answer as a transient outcome; axios reports its own deadline as
 * ECONNABORTED with "timeout" in the message. Undefined when `err` has no string code: that is not
 * a transport failure but a bug, for the caller to rethrow.
 */
export function axiosTransportOutcome(provider: string, err: unknown, timeoutMs: number): DeliveryOutcome | undefined {
  const code = errorCode(err);
  if (code === undefined) return undefined;
  const { transient } = providerOutcomes(provider);
  const message = err instanceof Error ? err.message : '';
  if (code === 'ETIMEDOUT' || (code === 'ECONNABORTED' && /timeout/i.test(message))) {
    return transient(timeoutReason(provider, timeoutMs, code));
  }
  return transient(networkErrorReason(provider, code));
}

/** Every occurrence of each known value (the recipient, our sender) replaced by `placeholder`. */
export function redactKnown(text: string, known: readonly string[], placeholder: string): string {
  let out = text;
  for (const value of known) out = out.split(value).join(placeholder);
  return out;
}

const EMAIL_LIKE = /[^\s@<>()[\]"',;:]+@[^\s@<>()[\]"',;:]+/g;

/** Anything shaped like an email address, replaced by `<address>`. */
export function redactEmailLike(text: string): string {
  return text.replace(EMAIL_LIKE, '<address>');
}

/**
 * Text about a dispatch (an adapter's unexpected error) with everything the dispatch opened
 * replaced by `<redacted>`: its recipient and the strings of its content, longest first. Values
 * under 4 characters stay (too short to mean anything alone, and they would shred the text),
 * and anything else shaped like an address goes too.
 */
export function redactDispatch(text: string, message: ChannelDispatch): string {
  const { to, content } = message;
  const opened = [to.email, to.phone, to.deviceToken, ...(to.devices ?? []).map((d) => d.token)];
  opened.push(content.subject, content.title, content.text, content.html, ...Object.values(content.data ?? {}));
  const known = opened.filter((v): v is string => v !== undefined && v.length >= 4).sort((a, b) => b.length - a.length);
  return redactEmailLike(redactKnown(text, known, '<redacted>'));
}
