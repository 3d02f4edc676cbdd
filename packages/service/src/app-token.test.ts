import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { requireAppToken } from './app-token.js';
import { startHttpServer, type Route } from './http-server.js';
import { createLogger } from './log.js';

const served: Route = (req) => Promise.resolve({ status: 200, json: { served: req.path } });

async function serve(token: string | undefined): Promise<{ server: Server; get(path: string, headers?: Record<string, string>): Promise<number> }> {
  const server = await startHttpServer({
    host: '127.0.0.1', port: 0, log: createLogger('app-token-test', 'silent'),
    routes: [requireAppToken(token, (path) => path === '/healthz'), served],
  });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { server, get: async (path, headers = {}) => (await fetch(base + path, { method: 'POST', headers })).status };
}

describe('requireAppToken', () => {
  it('serves only requests that carry the app token, and the open paths', async () => {
    const { server, get } = await serve('app-token-0123456789');
    try {
      expect(await get('/actors/NotificationActor/x/method/accept')).toBe(401);
      expect(await get('/queues/bulk', { 'dapr-api-token': 'app-token-012345678' })).toBe(401);
      expect(await get('/queues/bulk', { 'dapr-api-token': 'app-token-0123456789' })).toBe(200);
      expect(await get('/healthz')).toBe(200);
    } finally {
      server.close();
    }
  });

  it('serves everything when the app has no token', async () => {
    const { server, get } = await serve(undefined);
    try {
      expect(await get('/queues/bulk')).toBe(200);
    } finally {
      server.close();
    }
  });
});
