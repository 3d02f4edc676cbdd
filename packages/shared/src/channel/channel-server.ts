import { createServer, type IncomingMessage, type Server } from 'node:http';
import { errMessage, type Logger } from '../log.js';
import type { ChannelWorker } from './channel-worker.js';

export interface ChannelServerOptions {
  host: string;
  port: number;
  /** The input binding's name: its sidecar POSTs each queue message to `/<binding>`. */
  binding: string;
  worker: ChannelWorker;
  log: Logger;
  /** Extra read-only routes (e.g. the sandbox's record), path → JSON producer. */
  routes?: Record<string, () => unknown>;
  maxBodyBytes?: number;
}

/**
 * The channel app's HTTP face toward its sidecar (Dapr docs, "Bindings API": the sidecar asks
 * `OPTIONS /<binding>` once to learn the app consumes it, then POSTs each message; a non-2xx
 * answer makes the RabbitMQ binding requeue the message).
 */
export function startChannelServer(opts: ChannelServerOptions): Promise<Server> {
  const maxBody = opts.maxBodyBytes ?? 1024 * 1024;
  const bindingPath = `/${opts.binding}`;
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const reply = (status: number, body?: unknown) => {
      res.writeHead(status, body === undefined ? {} : { 'content-type': 'application/json' });
      res.end(body === undefined ? undefined : JSON.stringify(body));
    };
    if (path === bindingPath && req.method === 'OPTIONS') return reply(200);
    if (path === bindingPath && req.method === 'POST') {
      readJson(req, maxBody)
        .then((body) => opts.worker.handle(body, header(req, 'traceparent')))
        .then((ack) => reply(ack === 'ack' ? 200 : 500))
        .catch((err: unknown) => {
          opts.log.error({ err: errMessage(err) }, 'unreadable queue message dropped');
          reply(200);
        });
      return;
    }
    if (req.method === 'GET' && path === '/healthz') return reply(200, { status: 'ok' });
    const route = req.method === 'GET' && path ? opts.routes?.[path] : undefined;
    if (route) return reply(200, route());
    return reply(404, { error: { code: 'route_not_found', message: 'no such route' } });
  });
  server.keepAliveTimeout = 65_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve(server));
  });
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function readJson(req: IncomingMessage, maxBytes: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        reject(new Error(`queue message over ${maxBytes} bytes`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown);
      } catch (err) {
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    });
    req.on('error', reject);
  });
}
