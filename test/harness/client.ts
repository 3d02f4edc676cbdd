import { readFileSync } from 'node:fs';
import type { NotificationView } from '@herald/contracts';
import { createRedis, type Redis } from '@herald/stores';
import { waitFor, type StackInfo } from './stack.js';

export function loadStack(): StackInfo {
  const file = process.env.HERALD_STACK_FILE;
  if (!file) throw new Error('HERALD_STACK_FILE not set: run integration tests through jest (globalSetup starts the stack)');
  return JSON.parse(readFileSync(file, 'utf8')) as StackInfo;
}

/** A connection to the stack's own Redis (its lanes and operational keys); the caller closes it. */
export function stackRedis(stack: StackInfo): Promise<Redis> {
  return createRedis(`redis://127.0.0.1:${stack.redisPort}`);
}

export interface ApiResponse {
  status: number;
  headers: Headers;
  body: unknown;
}

export function keyOf(stack: StackInfo, tenant: string): string {
  const entry = Object.entries(stack.apiKeys).find(([, t]) => t === tenant);
  if (!entry) throw new Error(`no key for ${tenant}`);
  return entry[0];
}

export async function request(
  url: string,
  init: { method?: string; body?: string | undefined; headers?: Record<string, string> } = {},
): Promise<ApiResponse> {
  const res = await fetch(url, {
    method: init.method ?? 'GET',
    headers: { 'content-type': 'application/json', ...init.headers },
    body: init.body ?? null,
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, headers: res.headers, body };
}

export function createClient(stack: StackInfo, tenant = 'tenant-a') {
  const base = `http://127.0.0.1:${stack.apps.intake.app}`;
  const auth = { authorization: `Bearer ${keyOf(stack, tenant)}` };
  return {
    base,
    send: (body: unknown, headers: Record<string, string> = {}) =>
      request(`${base}/v1/notifications`, { method: 'POST', body: JSON.stringify(body), headers: { ...auth, ...headers } }),
    status: (id: string) => request(`${base}/v1/notifications/${id}`, { headers: auth }),
    /** Any authenticated call: `call('POST', '/v1/webhooks', body)`. */
    call: (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
      request(`${base}${path}`, { method, body: body === undefined ? undefined : JSON.stringify(body), headers: { ...auth, ...headers } }),
    /** Polls the status API until the notification reaches `status`. */
    async waitForStatus(id: string, status: string, timeoutMs = 20_000): Promise<NotificationView> {
      return waitFor(`${id} to be ${status}`, async () => {
        const res = await request(`${base}/v1/notifications/${id}`, { headers: auth });
        const view = res.body as NotificationView;
        return res.status === 200 && view.status === status ? view : undefined;
      }, timeoutMs, 100);
    },
  };
}
