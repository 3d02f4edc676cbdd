// Pointing the official SDKs at the simulator (read from their sources: @sendgrid/client 8.1,
// twilio 6.2, @azure/notification-hubs 2.1). None of them has a documented "base URL" option;
// these are the narrowest hooks each one has.
//
// SendGrid (@sendgrid/mail 8): the client's `baseUrl` default request option (axios baseURL,
// default https://api.sendgrid.com/). `setApiKey` and `setDataResidency` overwrite it, so set
// it after them, on a client of your own (MailService's `client` field is not in its types):
//     const client = new Client();                    // import { Client } from '@sendgrid/client'
//     client.setApiKey(apiKey);
//     client.setDefaultRequest('baseUrl', 'http://127.0.0.1:3010/');
//     mail.setClient(client);                          // then mail.send(...) → POST /v3/mail/send
//
// Twilio (twilio 6): each API domain's `baseUrl` field (default https://api.twilio.com), read at
// request time, so it can be set any time after construction:
//     const client = twilio(accountSid, authToken);
//     client.api.baseUrl = 'http://127.0.0.1:3010';   // client.messages.create(...) → POST /2010-04-01/Accounts/{sid}/Messages.json
// Leave `region`/`edge` (and TWILIO_REGION/TWILIO_EDGE) unset: they rewrite the hostname.
// (The other way is the `httpClient` client option: a RequestClient that rewrites `uri`.)
//
// Azure Notification Hubs (@azure/notification-hubs 2): the connection string's `Endpoint`; the
// SDK only turns `sb://` into `https://`, so `http://` passes through. The Azure pipeline
// refuses plain http unless each request allows it (the client-level `allowInsecureConnection`
// option is ignored: the SDK sends through `pipeline.sendRequest`), and it retries 429/5xx
// itself (3 times, honouring Retry-After) unless told not to:
//     const client = new NotificationHubsClient(
//       'Endpoint=http://127.0.0.1:3010/;SharedAccessKeyName=sim;SharedAccessKey=c2lt', hubName,
//       { retryOptions: { maxRetries: 0 } });           // optional: let Herald own retries
//     await client.sendNotification(notification, {
//       deviceHandle, requestOptions: { allowInsecureConnection: true } });
//     // → POST /{hub}/messages/?api-version=2020-06&direct=true, success = 201 exactly
//     // deviceHandle an array of handles → POST /{hub}/messages/$batch?…&direct=true, multipart/mixed
// (Or once per client: `additionalPolicies: [{ position: 'perCall', policy: { name: 'allow-http',
// sendRequest: (req, next) => { req.allowInsecureConnection = true; return next(req); } } }]`.)

import { randomBytes, randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { startHttpServer, type HttpRequest, type HttpServerOptions, type Logger } from '@herald/service';
import type { Simulator } from '../domain/simulator.js';
import { controlReply, notAllowed } from './control.js';
import { json, type Reply } from './http-io.js';
import { notificationHubsApi } from './notification-hubs.js';
import type { Handled, IdSource, ProviderApi, ProviderRequest, ReplyContext } from './provider-api.js';
import { sendgridApi } from './sendgrid.js';
import { twilioApi } from './twilio.js';

export interface SimServerDeps {
  simulator: Simulator;
  log: Logger;
  /** Monotonic milliseconds, for rate limits and statistics. */
  now?: () => number;
  /** Wall-clock time, for dates in answers. */
  date?: () => Date;
  /** Draws in [0, 1) for the error rate. */
  random?: () => number;
  ids?: IdSource;
}

const BODY_LIMIT_BYTES = 1024 * 1024;

const PROVIDER_ROUTES: ReadonlyArray<{ pattern: RegExp; api: ProviderApi }> = [
  { pattern: /^\/v3\/mail\/send$/, api: sendgridApi },
  { pattern: /^\/2010-04-01\/Accounts\/(?<accountSid>[^/]+)\/Messages\.json$/, api: twilioApi },
  // The SDK posts a single send to `/{hub}/messages/` (trailing slash; accepted without too) and a
  // batch direct send to `/{hub}/messages/$batch`.
  { pattern: /^\/(?<hubName>[^/]+)\/messages(?:\/(?<batch>\$batch)?)?$/, api: notificationHubsApi },
];

export const cryptoIds: IdSource = {
  hex: (length) => randomBytes(Math.ceil(length / 2)).toString('hex').slice(0, length),
  token: (length) => randomBytes(Math.ceil((length * 3) / 4)).toString('base64url').slice(0, length),
  uuid: () => randomUUID(),
};

/** The simulator's server: one route that claims every request. */
function simServerOptions(deps: SimServerDeps): HttpServerOptions {
  const { simulator, log } = deps;
  const now = deps.now ?? (() => performance.now());
  const date = deps.date ?? (() => new Date());
  const random = deps.random ?? Math.random;
  const ids = deps.ids ?? cryptoIds;

  async function handle(req: HttpRequest): Promise<Reply> {
    const { method } = req;
    const url = new URL(req.url, 'http://provider-sim');
    const body = (await req.body()).toString('utf8');

    const control = controlReply(method, url.pathname, body, simulator, log);
    if (control) return control;

    const route = PROVIDER_ROUTES.map(({ pattern, api }) => ({ api, match: pattern.exec(url.pathname) })).find((r) => r.match);
    if (!route?.match) return json(404, { error: 'not_found', message: `no route for ${method} ${url.pathname}` });
    if (method !== 'POST') return notAllowed('POST');

    const { api } = route;
    const at = now();
    const ctx: ReplyContext = { ids, date: date() };
    const request: ProviderRequest = {
      params: { ...route.match.groups },
      query: url.searchParams,
      headers: req.headers,
      body,
      host: req.headers.host ?? 'provider-sim',
    };
    const { reply, devices } = answer(api, request, ctx, at);
    // A batch direct send is one request, like any other: one against the rate limit, one in the
    // statistics. Only `devices` tells how many handles it reached.
    simulator.record(api.provider, reply.status, at, devices);
    log.debug({ provider: api.provider, status: reply.status }, 'provider request');

    const latencyMs = simulator.latencyMs(api.provider);
    if (latencyMs > 0) await delay(latencyMs);
    return reply;
  }

  /** The provider's credentials check, then the simulator's gate, then the provider's own answer. */
  function answer(api: ProviderApi, request: ProviderRequest, ctx: ReplyContext, at: number): Handled {
    const denied = api.unauthorized(request, ctx);
    if (denied) return { reply: denied };
    const gate = simulator.gate(api.provider, at, random);
    return gate.kind === 'pass' ? api.handle(request, ctx) : { reply: api.refuse(gate, ctx) };
  }

  return {
    routes: [handle],
    log,
    maxBodyBytes: BODY_LIMIT_BYTES,
    answers: {
      tooLarge: (limit) => json(413, { error: 'payload_too_large', limitBytes: limit }),
      internalError: json(500, { error: 'internal', message: 'the simulator failed; see its log' }),
    },
    // Node's own default, which the simulator has always run with.
    keepAliveTimeoutMs: 5_000,
  };
}

export interface RunningSim {
  /** `http://host:port`, no trailing slash. */
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Starts the simulator on `port` (0 picks a free one). */
export async function startSimServer(deps: SimServerDeps, port: number, host: string): Promise<RunningSim> {
  const server = await startHttpServer({ ...simServerOptions(deps), host, port });
  const address = server.address() as AddressInfo;
  const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${urlHost}:${address.port}`,
    port: address.port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeIdleConnections();
      }),
  };
}
