import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { startHttpServer, type HttpServerOptions, type Route } from './http-server.js';
import { createLogger } from './log.js';
import { BodyTooLargeError } from './read-body.js';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r).closeAllConnections())));
});

async function start(opts: Partial<HttpServerOptions> & { routes: Route[] }): Promise<string> {
  const server = await startHttpServer({ host: '127.0.0.1', port: 0, log: createLogger('test', 'silent'), ...opts });
  servers.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A body sent chunked, with no declared length, `count` KiB of it. */
async function* kib(count: number) {
  for (let i = 0; i < count; i++) yield Buffer.alloc(1024, 0x20);
}

const echo: Route = (req) => (req.method === 'POST' && req.path === '/echo' ? req.json().then((body) => ({ status: 200, json: { body: body ?? 'none' } })) : undefined);

describe('http server', () => {
  it('offers a request to each route in turn until one claims it, else answers 404', async () => {
    const seen: string[] = [];
    const passes: Route = (req) => (seen.push(`${req.method} ${req.path}`), undefined);
    const base = await start({ routes: [passes, echo] });
    const res = await fetch(`${base}/echo?x=1`, { method: 'POST', body: '{"a":1}' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.json()).toEqual({ body: { a: 1 } });
    const missing = await fetch(`${base}/nowhere`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: 'no such route' });
    expect(seen).toEqual(['POST /echo', 'GET /nowhere']);
  });

  it('reads an empty body as none and drops a byte-order mark, as express.json does', async () => {
    const base = await start({ routes: [echo] });
    expect(await (await fetch(`${base}/echo`, { method: 'POST' })).json()).toEqual({ body: 'none' });
    expect(await (await fetch(`${base}/echo`, { method: 'POST', body: '\ufeff[1]' })).json()).toEqual({ body: [1] });
  });

  it('answers a body that is not JSON with its invalidJson answer', async () => {
    const plain = await start({ routes: [echo] });
    const res = await fetch(`${plain}/echo`, { method: 'POST', body: '{"a":' });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: 'the body is not JSON' });
    const own = await start({ routes: [echo], answers: { invalidJson: { status: 400, json: { code: 'invalid_json' } } } });
    expect(await (await fetch(`${own}/echo`, { method: 'POST', body: 'nope' })).json()).toEqual({ code: 'invalid_json' });
  });

  it('refuses a body over the limit, declared or streamed, and closes the connection', async () => {
    const base = await start({ routes: [echo], maxBodyBytes: 10 });
    const declared = await fetch(`${base}/echo`, { method: 'POST', body: '{"a":"0123456789"}' });
    expect(declared.status).toBe(413);
    expect(declared.headers.get('connection')).toBe('close');
    expect(await declared.json()).toEqual({ error: 'request body over 10 bytes' });
    const streamed = await fetch(`${base}/echo`, { method: 'POST', body: kib(200), duplex: 'half' });
    expect(streamed.status).toBe(413);
  });

  it('takes a route\'s own limit and its own answer to an over-limit body', async () => {
    const limited: Route = (req) =>
      req.json(4).then(
        () => ({ status: 200 }),
        (err: unknown) => ({ status: err instanceof BodyTooLargeError ? 413 : 500, json: { limit: err instanceof BodyTooLargeError ? err.limit : null } }),
      );
    const base = await start({ routes: [limited], answers: { tooLarge: (limit) => ({ status: 413, json: { server: limit } }) } });
    const res = await fetch(base, { method: 'POST', body: '[1,2,3]' });
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({ limit: 4 });
    expect((await fetch(base, { method: 'POST', body: '[1]' })).status).toBe(200);
  });

  it('sends a raw body with its headers, an empty one with length 0, and none at all', async () => {
    const route: Route = (req) => {
      if (req.path === '/xml') return Promise.resolve({ status: 201, headers: { 'Content-Type': 'application/xml' }, body: '<ok/>' });
      if (req.path === '/empty') return Promise.resolve({ status: 202, headers: { 'X-Message-Id': 'm-1' }, body: '' });
      return Promise.resolve({ status: 204 });
    };
    const base = await start({ routes: [route] });
    const xml = await fetch(`${base}/xml`);
    expect([xml.status, xml.headers.get('content-type'), xml.headers.get('content-length'), await xml.text()]).toEqual([201, 'application/xml', '5', '<ok/>']);
    const empty = await fetch(`${base}/empty`);
    expect([empty.status, empty.headers.get('x-message-id'), empty.headers.get('content-length'), await empty.text()]).toEqual([202, 'm-1', '0', '']);
    const none = await fetch(`${base}/none`);
    expect([none.status, none.headers.get('content-type'), await none.text()]).toEqual([204, null, '']);
  });

  it('sends null as JSON, with the content type it is told', async () => {
    const base = await start({ routes: [() => Promise.resolve({ status: 200, json: null })], jsonContentType: 'application/json; charset=utf-8' });
    const res = await fetch(base);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await res.text()).toBe('null');
  });

  it('hands what no route claims to its fallback, body unread', async () => {
    const base = await start({
      routes: [echo],
      fallback: (req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => res.writeHead(200).end(`fallback read ${Buffer.concat(chunks).toString()}`));
      },
    });
    expect(await (await fetch(`${base}/other`, { method: 'POST', body: 'raw bytes' })).text()).toBe('fallback read raw bytes');
    expect(await (await fetch(`${base}/echo`, { method: 'POST', body: '1' })).json()).toEqual({ body: 1 });
  });

  it('answers a route that fails or throws with its internalError answer, and logs it', async () => {
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk: Buffer, _enc, done) => (lines.push(chunk.toString()), done()) });
    const fails: Route = (req) => (req.path === '/reject' ? Promise.reject(new Error('broken')) : undefined);
    const throws: Route = () => {
      throw new Error('thrown');
    };
    const base = await start({ routes: [fails, throws], log: createLogger('test', 'error', sink), answers: { internalError: { status: 500, json: { code: 'internal' } } } });
    for (const path of ['/reject', '/throw']) {
      const res = await fetch(`${base}${path}`);
      expect(res.status).toBe(500);
      expect(await res.json()).toEqual({ code: 'internal' });
    }
    expect(lines.join('')).toContain('broken');
    expect(lines.join('')).toContain('thrown');
  });

  it('keeps idle connections open 65 s unless told otherwise', async () => {
    await start({ routes: [] });
    await start({ routes: [], keepAliveTimeoutMs: 5_000 });
    expect(servers.map((s) => s.keepAliveTimeout)).toEqual([65_000, 5_000]);
  });
});
