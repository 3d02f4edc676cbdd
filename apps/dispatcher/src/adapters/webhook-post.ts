import { Agent as HttpAgent, request as httpRequest, type RequestOptions } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { StatusEvent, WebhookEndpoint } from '@herald/contracts';
import { hostOf, isNonPublicLiteral, publicOnlyLookup, signWebhook, WEBHOOK_SIGNATURE_HEADER } from '@herald/webhooks';

const USER_AGENT = 'Herald-Webhooks/1';

export type PostOutcome = { ok: true } | { ok: false; reason: string; retryAfterMs?: number };

export interface WebhookPosterOptions {
  /** Deliver to private, loopback and link-local addresses too (local development, tests). */
  allowPrivate: boolean;
  /** Deadline of one POST, response headers and body included. */
  timeoutMs: number;
  /** Longest Retry-After honoured; a longer one is cut to this. */
  maxRetryAfterMs: number;
  now: () => number;
}

export interface WebhookPoster {
  /** Signs and POSTs `event` to `endpoint`; every failure, the endpoint's fault or ours, is an outcome. */
  post(endpoint: WebhookEndpoint, event: StatusEvent): Promise<PostOutcome>;
  /** Closes the kept-alive connections. */
  close(): void;
}

/** A reason safe to log and store: an error code or an HTTP status, never a URL or a message quoting one. */
function failureReason(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : err instanceof Error ? err.name : 'error';
}

function retryAfterMs(header: string | undefined, maxMs: number): number | undefined {
  if (!header || !/^\d{1,7}$/.test(header.trim())) return undefined;
  return Math.min(Number(header) * 1000, maxMs);
}

export function createWebhookPoster({ allowPrivate, timeoutMs, maxRetryAfterMs, now }: WebhookPosterOptions): WebhookPoster {
  const agents = { http: new HttpAgent({ keepAlive: true }), https: new HttpsAgent({ keepAlive: true }) };

  async function post(endpoint: WebhookEndpoint, event: StatusEvent): Promise<PostOutcome> {
    let url: URL;
    try {
      url = new URL(endpoint.url);
    } catch {
      return { ok: false, reason: 'invalid URL' };
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return { ok: false, reason: 'unsupported scheme' };
    // Node connects to an IP literal without calling `lookup`, so literals are checked here.
    if (!allowPrivate && isNonPublicLiteral(hostOf(url))) return { ok: false, reason: 'ERR_NON_PUBLIC_ADDRESS' };
    const body = JSON.stringify(event);
    const options: RequestOptions = {
      method: 'POST',
      agent: url.protocol === 'https:' ? agents.https : agents.http,
      headers: {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
        'user-agent': USER_AGENT,
        'herald-event-id': event.id,
        [WEBHOOK_SIGNATURE_HEADER]: signWebhook(endpoint.secret, body, Math.floor(now() / 1000)),
      },
      ...(allowPrivate ? {} : { lookup: publicOnlyLookup }),
    };
    return new Promise<PostOutcome>((resolve) => {
      let settled = false;
      const settle = (outcome: PostOutcome) => {
        if (settled) return;
        settled = true;
        resolve(outcome);
      };
      const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, options, (res) => {
        // The answer is the status; the body is read and discarded so the socket can be reused.
        res.on('error', () => undefined);
        res.resume();
        const status = res.statusCode ?? 0;
        if (status >= 200 && status < 300) return settle({ ok: true });
        const retryAfter = retryAfterMs(res.headers['retry-after'], maxRetryAfterMs);
        settle({ ok: false, reason: `HTTP ${status}`, ...(retryAfter !== undefined ? { retryAfterMs: retryAfter } : {}) });
      });
      // One deadline for connecting, sending and the whole response; a slow body is cut off too.
      const timer = setTimeout(() => {
        settle({ ok: false, reason: 'timeout' });
        req.destroy();
      }, timeoutMs);
      req.on('close', () => clearTimeout(timer));
      req.on('error', (err) => settle({ ok: false, reason: failureReason(err) }));
      req.end(body);
    });
  }

  return {
    post,
    close() {
      agents.http.destroy();
      agents.https.destroy();
    },
  };
}
