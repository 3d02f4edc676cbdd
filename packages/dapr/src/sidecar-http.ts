import { Agent, request } from 'node:http';
import { SidecarError } from './sidecar-error.js';

// One HTTP request to the Dapr sidecar, over node:http with a keep-alive agent. Every
// notification makes five or six of these, so their cost matters: fetch (undici) cost several
// times the CPU per request of node:http, and the difference was the largest single item in the
// apps' profiles (docs/performance.md, "Why node:http").

export interface SidecarRequest {
  /** Names the call in errors ("publish", "actor state get"). */
  operation: string;
  method: string;
  path: string;
  /** Sent as application/json when present. */
  body?: string | undefined;
  traceparent?: string | undefined;
  /** Without a byte in either direction for this long, the request fails. */
  timeoutMs?: number | undefined;
}

export interface SidecarAnswer {
  status: number;
  text: string;
  /** The answer's ETag header (a state read), when it has one. */
  etag?: string | undefined;
}

/** Sends one request; a non-2xx answer rejects with SidecarError, carrying the body. */
export type SidecarHttp = (req: SidecarRequest) => Promise<SidecarAnswer>;

/** `apiToken`: Dapr's API token, sent with every request (the sidecar refuses requests without it when it has one). */
export function createSidecarHttp(host: string, port: number, defaultTimeoutMs = 10_000, apiToken?: string): SidecarHttp {
  // One agent per client: sockets stay open between calls, bounded so a stall cannot open
  // thousands of them against the sidecar.
  const agent = new Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 256 });
  return ({ operation, method, path, body, traceparent, timeoutMs }) =>
    new Promise((resolve, reject) => {
      const timeout = timeoutMs ?? defaultTimeoutMs;
      const headers: Record<string, string | number> = {};
      if (body !== undefined) {
        headers['content-type'] = 'application/json';
        headers['content-length'] = Buffer.byteLength(body);
      }
      if (traceparent) headers.traceparent = traceparent;
      if (apiToken) headers['dapr-api-token'] = apiToken;
      const req = request({ host, port, method, path, agent, timeout, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          const text = chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8');
          if (status >= 200 && status < 300) resolve({ status, text, etag: res.headers.etag });
          else reject(new SidecarError(operation, status, text));
        });
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error(`dapr ${operation}: no answer within ${timeout} ms`)));
      req.on('error', reject);
      req.end(body);
    });
}
