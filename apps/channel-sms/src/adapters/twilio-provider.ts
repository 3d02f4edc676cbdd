import twilio from 'twilio';
import type TwilioRequestClient from 'twilio/lib/base/RequestClient.js';
import type TwilioResponseModule from 'twilio/lib/http/response.js';
import type { MessageListInstanceCreateOptions } from 'twilio/lib/rest/api/v2010/account/message.js';
import { TWILIO_STATUS_PATH, type ChannelDispatch, type DeliveryOutcome } from '@herald/contracts';
import {
  axiosTransportOutcome,
  credentialsReason,
  httpReason,
  isRecord,
  MAX_REASON_DETAIL,
  providerOutcomes,
  redactKnown,
  retryAfterMs,
  unexpectedStatusReason,
  type ProviderPort,
} from '@herald/channel-runtime';

export interface TwilioProviderOptions {
  /** Secret TWILIO_ACCOUNT_SID (AC…). */
  accountSid: string;
  /** Secret TWILIO_AUTH_TOKEN. */
  authToken: string;
  /** TWILIO_FROM: an E.164 number or sender id of the account. This or `messagingServiceSid` is required. */
  from?: string;
  /** TWILIO_MESSAGING_SERVICE_SID (MG…): Twilio picks the sender from the service's pool. */
  messagingServiceSid?: string;
  /** Intake's public base URL; when set, every message asks Twilio to report its status there. */
  statusCallbackBase?: string;
  /** Where the REST API lives instead of https://api.twilio.com: a local simulator. */
  baseUrl?: string;
  /** Deadline of one send, response included. Default 10 s. */
  timeoutMs?: number;
  /** Clock for a Retry-After given as a date; tests pass their own. */
  now?: () => number;
}

const PROVIDER = 'twilio';
const { permanent, transient } = providerOutcomes(PROVIDER);
/** Twilio error codes that mean "later", not "never": rate limited (20429), the sender's queue is full (21611). */
const TRANSIENT_CODES = new Set([20429, 21611]);

/**
 * SMS through Twilio's Programmable Messaging API
 * (POST /2010-04-01/Accounts/{AccountSid}/Messages.json) with the official SDK.
 *
 * The SDK has no base-URL option: each API domain's host is fixed (api.twilio.com, rewritten only
 * for Twilio's own edges and regions). It does take a custom `httpClient`, so ours rebases every
 * request onto `baseUrl` for a simulator. It also hands non-2xx answers back as they are, before
 * the SDK turns them into a RestException that drops the response headers: that is where
 * Retry-After would be lost.
 */
export function createTwilioProvider(opts: TwilioProviderOptions): ProviderPort {
  if (!opts.from && !opts.messagingServiceSid) {
    throw new Error('twilio provider: set TWILIO_FROM or TWILIO_MESSAGING_SERVICE_SID');
  }
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const now = opts.now ?? Date.now;
  const client = twilio(opts.accountSid, opts.authToken, { httpClient: new HeraldHttpClient(timeoutMs, opts.baseUrl) });
  const statusCallbackBase = opts.statusCallbackBase?.replace(/\/+$/, '');

  return {
    name: PROVIDER,
    async send(message: ChannelDispatch): Promise<DeliveryOutcome> {
      const to = message.to.phone;
      if (to === undefined) return permanent('dispatch has no phone recipient');
      const params: MessageListInstanceCreateOptions = {
        to,
        body: message.content.text,
        ...(opts.messagingServiceSid ? { messagingServiceSid: opts.messagingServiceSid } : {}),
        ...(opts.from ? { from: opts.from } : {}),
        ...(statusCallbackBase ? { statusCallback: statusCallbackUrl(statusCallbackBase, message) } : {}),
      };
      try {
        const created = await client.messages.create(params);
        return { kind: 'sent', provider: PROVIDER, providerMessageId: created.sid };
      } catch (err) {
        const redactions = [to, opts.from].filter((s): s is string => Boolean(s));
        if (err instanceof TwilioHttpFailure) return classifyHttp(err, redactions, now);
        return classifyTransport(err, timeoutMs);
      }
    },
  };
}

function statusCallbackUrl(base: string, message: ChannelDispatch): string {
  const query = new URLSearchParams({ herald_id: message.notificationId, herald_attempt: String(message.attempt) });
  return `${base}${TWILIO_STATUS_PATH}?${query.toString()}`;
}

/** A non-2xx answer from Twilio, with the headers the SDK's RestException would have dropped. */
class TwilioHttpFailure extends Error {
  readonly code = 'TWILIO_HTTP_FAILURE';
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly headers: unknown,
  ) {
    super(`Twilio answered HTTP ${status}`);
    this.name = new.target.name;
  }
}

/** The SDK's request client, rebased onto `baseUrl` when one is given, failing with the whole answer. */
class HeraldHttpClient extends twilio.RequestClient {
  constructor(
    timeoutMs: number,
    private readonly baseUrl: string | undefined,
  ) {
    // Retries are the notification actor's (durable, jittered, bounded): the SDK's 429 retry stays off.
    super({ timeout: timeoutMs, autoRetry: false });
  }

  override async request<TData>(opts: TwilioRequestClient.RequestOptions<TData>): Promise<TwilioResponseModule.default<TData>> {
    const uri = this.baseUrl ? rebase(opts.uri, this.baseUrl) : opts.uri;
    const response = await super.request<TData>({ ...opts, uri });
    if (response.statusCode < 200 || response.statusCode >= 300) {
      throw new TwilioHttpFailure(response.statusCode, response.body, response.headers);
    }
    return response;
  }
}

/** https://api.twilio.com/2010-04-01/… → <baseUrl>/2010-04-01/… (a path prefix of baseUrl is kept). */
function rebase(uri: string, baseUrl: string): string {
  const url = new URL(uri);
  return `${baseUrl.replace(/\/+$/, '')}${url.pathname}${url.search}`;
}

/**
 * Twilio's error body: legacy `{ code, message, more_info, status }` or RFC 9457
 * `{ type, title, status, code, detail }`. https://www.twilio.com/docs/api/errors
 */
function classifyHttp(failure: TwilioHttpFailure, redactions: string[], now: () => number): DeliveryOutcome {
  const { status } = failure;
  const body = isRecord(failure.body) ? failure.body : {};
  const code = typeof body.code === 'number' ? body.code : undefined;
  const text = [body.message, body.detail, body.title].find((t): t is string => typeof t === 'string' && t.length > 0);
  const reason = code !== undefined ? `${PROVIDER} ${code}: ${redact(text ?? `HTTP ${status}`, redactions)}` : httpReason(PROVIDER, status);
  if (status === 429 || (code !== undefined && TRANSIENT_CODES.has(code))) return transient(reason, retryAfterMs(failure.headers, now));
  if (status >= 500 || status === 408) return transient(reason, retryAfterMs(failure.headers, now));
  // 20003 "Authenticate": a wrong SID or token is our configuration, not the message; retrying keeps
  // the notification alive until an operator fixes it, and bounded attempts still end it.
  if (status === 401) return transient(credentialsReason(401, reason));
  if (status >= 400) return permanent(reason);
  return transient(unexpectedStatusReason(PROVIDER, status));
}

/** No answer at all: axios's error carries the socket's code (ECONNRESET, ENOTFOUND, ECONNABORTED on timeout). */
function classifyTransport(err: unknown, timeoutMs: number): DeliveryOutcome {
  const transport = axiosTransportOutcome(PROVIDER, err, timeoutMs);
  if (transport) return transport;
  throw err; // not a transport failure: a bug here or in the SDK
}

/** Anything shaped like a phone number (7+ digits, with the usual separators) goes, as do the known numbers. */
const PHONE_LIKE = /\+?\d[\d\s().-]{5,}\d/g;

function redact(text: string, known: string[]): string {
  return redactKnown(text, known, '<number>').replace(PHONE_LIKE, '<number>').slice(0, MAX_REASON_DETAIL);
}
