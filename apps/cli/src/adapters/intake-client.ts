// Intake over HTTP, behind one small interface (Transport) so the client's handling of what
// comes back can be tested against any server. Errors say what was tried and what came back,
// and never carry the API key.

/** A failure the cli reports and exits 1 on; `details` go into the --json error as they are. */
export class CliError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** Intake could not be reached, or did not answer in time. */
export class UnreachableError extends CliError {
  constructor(
    readonly url: string,
    reason: string,
    timedOut: boolean,
  ) {
    super(timedOut ? 'timeout' : 'unreachable', `${timedOut ? 'no answer from' : 'cannot reach'} intake at ${url}: ${reason}`, { url });
    this.name = 'UnreachableError';
  }
}

/** Intake answered with an error: its status and its `{"error":{code, message, field, …}}`. */
export class HttpError extends CliError {
  constructor(
    readonly status: number,
    readonly error: { code: string; message: string; field?: string; [more: string]: unknown },
    readonly url: string,
    readonly retryAfter?: string,
  ) {
    const { code, message, field, scope } = error;
    const extra = [field ? `field ${field}` : '', typeof scope === 'string' ? `scope ${scope}` : ''].filter(Boolean).join(', ');
    super(code, `intake answered ${status} ${code}${extra ? ` (${extra})` : ''}: ${message}`, {
      ...error,
      status,
      url,
      ...(retryAfter !== undefined ? { retryAfter } : {}),
    });
    this.name = 'HttpError';
  }
}

export interface HttpRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
  timeoutMs: number;
}

export interface HttpResponse {
  status: number;
  header: (name: string) => string | undefined;
  text: string;
}

/** Sends one request; throws UnreachableError when there is no answer. */
export type Transport = (request: HttpRequest) => Promise<HttpResponse>;

interface ErrorLike {
  name?: unknown;
  message: string;
  cause?: unknown;
  errors?: unknown;
}

// By shape, not instanceof: fetch's errors may come from another realm (a test's VM context).
const isErrorLike = (value: unknown): value is ErrorLike => typeof value === 'object' && value !== null && typeof (value as { message?: unknown }).message === 'string';

function causeOf(err: unknown): string {
  // fetch says "fetch failed" and keeps the reason (ECONNREFUSED, ENOTFOUND…) in its cause;
  // a connection tried on several addresses keeps each reason in an AggregateError.
  const cause = isErrorLike(err) && isErrorLike(err.cause) ? err.cause : err;
  const first = isErrorLike(cause) && Array.isArray(cause.errors) ? (cause.errors as unknown[])[0] : undefined;
  if (isErrorLike(first) && (!isErrorLike(cause) || cause.message === '')) return first.message;
  return isErrorLike(cause) ? cause.message : String(cause);
}

/** The Transport of node's fetch. */
export const fetchTransport: Transport = async (request) => {
  let res: Response;
  try {
    res = await fetch(request.url, {
      method: request.method,
      headers: request.headers,
      body: request.body ?? null,
      signal: AbortSignal.timeout(request.timeoutMs),
      redirect: 'manual',
    });
  } catch (err) {
    const timedOut = isErrorLike(err) && (err.name === 'TimeoutError' || err.name === 'AbortError');
    throw new UnreachableError(request.url, timedOut ? `nothing within ${request.timeoutMs / 1000} s` : causeOf(err), timedOut);
  }
  let text: string;
  try {
    text = await res.text();
  } catch (err) {
    throw new UnreachableError(request.url, `the answer broke off: ${causeOf(err)}`, false);
  }
  return { status: res.status, header: (name) => res.headers.get(name) ?? undefined, text };
};

export interface Answer<T> {
  status: number;
  body: T;
  header: (name: string) => string | undefined;
}

export interface CallOptions {
  body?: unknown;
  query?: Record<string, string>;
  headers?: Record<string, string>;
}

export interface IntakeClientOptions {
  baseUrl: string;
  apiKey: string;
  transport?: Transport;
  timeoutMs?: number;
}

/** The answers of intake's API as the cli uses them; any status of 400 or more is an HttpError. */
export class IntakeClient {
  readonly baseUrl: string;
  private readonly transport: Transport;
  private readonly timeoutMs: number;

  constructor(private readonly options: IntakeClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.transport = options.transport ?? fetchTransport;
    this.timeoutMs = options.timeoutMs ?? 30_000;
  }

  /** The absolute URL of a path of intake's (`/v1/notifications/ntf_…`). */
  url(path: string, query?: Record<string, string>): string {
    const q = query && Object.keys(query).length > 0 ? `?${new URLSearchParams(query).toString()}` : '';
    return `${this.baseUrl}${path}${q}`;
  }

  async call<T>(method: string, path: string, opts: CallOptions = {}): Promise<Answer<T>> {
    const url = this.url(path, opts.query);
    const res = await this.transport({
      method,
      url,
      headers: {
        authorization: `Bearer ${this.options.apiKey}`,
        accept: 'application/json',
        ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...opts.headers,
      },
      ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
      timeoutMs: this.timeoutMs,
    });
    let body: unknown = undefined;
    if (res.text !== '') {
      try {
        body = JSON.parse(res.text);
      } catch {
        body = undefined;
      }
    }
    if (res.status >= 400) throw httpError(res, body, url);
    if (res.status >= 300) {
      // Intake never redirects: a redirect is something else at that address (a proxy's login page).
      throw new HttpError(res.status, { code: `http_${res.status}`, message: `a redirect to ${res.header('location') ?? '(nowhere)'}: is --url intake's address?` }, url);
    }
    if (body === undefined && res.text !== '') {
      throw new CliError('invalid_answer', `intake's answer to ${method} ${url} is not JSON (status ${res.status}): is --url intake's address?`, { url, status: res.status });
    }
    return { status: res.status, body: body as T, header: res.header };
  }
}

function httpError(res: HttpResponse, body: unknown, url: string): HttpError {
  const retryAfter = res.header('retry-after');
  const error = (body as { error?: unknown } | undefined)?.error;
  if (error && typeof error === 'object' && typeof (error as { code?: unknown }).code === 'string') {
    const e = error as { code: string; message?: unknown };
    return new HttpError(res.status, { ...e, message: typeof e.message === 'string' ? e.message : '' }, url, retryAfter);
  }
  // Not intake's error shape (a proxy, another server): its status and the start of what it said.
  const snippet = res.text.replace(/\s+/g, ' ').trim().slice(0, 200);
  return new HttpError(res.status, { code: `http_${res.status}`, message: snippet || '(no body)' }, url, retryAfter);
}
