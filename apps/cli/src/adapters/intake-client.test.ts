import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { run } from '../cli.js';
import { CliError, HttpError, IntakeClient, UnreachableError } from './intake-client.js';

// The client's handling of what comes back, against a tiny server standing in for intake:
// errors in intake's shape and not, redirects, non-JSON, no answer at all.

type Route = (req: IncomingMessage, res: ServerResponse, body: string) => void;
let server: Server;
let base: string;
let route: Route;
const seen: Array<{ method: string; url: string; headers: IncomingMessage['headers']; body: string }> = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      route(req, res, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});
beforeEach(() => {
  seen.length = 0;
});

const json = (status: number, body: unknown, headers: Record<string, string> = {}): Route => (_req, res) => {
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
};
const client = (timeoutMs = 2_000) => new IntakeClient({ baseUrl: `${base}/`, apiKey: 'hk_secret-key', timeoutMs });
const failure = async (promise: Promise<unknown>): Promise<CliError> => {
  try {
    await promise;
  } catch (err) {
    if (err instanceof CliError) return err;
    throw err;
  }
  throw new Error('did not fail');
};

describe('IntakeClient', () => {
  it('sends the key, JSON and the query, and reads the JSON answer', async () => {
    route = json(202, { id: 'ntf_1' });
    const res = await client().call<{ id: string }>('POST', '/v1/notifications', { body: { a: 1 }, query: { limit: '5' }, headers: { 'idempotency-key': 'k' } });
    expect(res).toMatchObject({ status: 202, body: { id: 'ntf_1' } });
    expect(seen[0]).toMatchObject({ method: 'POST', url: '/v1/notifications?limit=5', body: '{"a":1}' });
    expect(seen[0]?.headers).toMatchObject({ authorization: 'Bearer hk_secret-key', 'content-type': 'application/json', 'idempotency-key': 'k' });
  });

  it('turns intake\'s error into an HttpError with its status, code, field and more', async () => {
    route = json(403, { error: { code: 'insufficient_scope', message: 'this API key lacks the scope "admin"', field: 'Authorization', scope: 'admin' } });
    const err = await failure(client().call('GET', '/v1/api-keys'));
    expect(err).toBeInstanceOf(HttpError);
    expect(err.message).toBe('intake answered 403 insufficient_scope (field Authorization, scope admin): this API key lacks the scope "admin"');
    expect(err.details).toMatchObject({ status: 403, code: 'insufficient_scope', field: 'Authorization', scope: 'admin', url: `${base}/v1/api-keys` });
    expect(JSON.stringify(err.details) + err.message).not.toContain('hk_secret-key');
  });

  it('keeps Retry-After and the details of a validation error', async () => {
    route = json(400, { error: { code: 'validation_failed', message: 'to.email: Invalid email', field: 'to.email', details: [{ field: 'to.email', message: 'Invalid email' }] } }, { 'retry-after': '2' });
    const err = (await failure(client().call('POST', '/v1/notifications', { body: {} }))) as HttpError;
    expect(err.status).toBe(400);
    expect(err.retryAfter).toBe('2');
    expect(err.details).toMatchObject({ field: 'to.email', details: [{ field: 'to.email' }], retryAfter: '2' });
  });

  it('reports an error that is not intake\'s by its status and the start of its body', async () => {
    route = (_req, res) => res.writeHead(502, { 'content-type': 'text/html' }).end('<html>\n<body>Bad   gateway</body></html>');
    const err = await failure(client().call('GET', '/v1/x'));
    expect(err).toMatchObject({ code: 'http_502', message: 'intake answered 502 http_502: <html> <body>Bad gateway</body></html>' });
  });

  it('refuses a redirect and an answer that is not JSON: --url is likely not intake', async () => {
    route = (_req, res) => res.writeHead(302, { location: '/login' }).end();
    expect((await failure(client().call('GET', '/v1/x'))).message).toMatch(/302 http_302: a redirect to \/login: is --url intake's address\?/);
    route = (_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html>hello</html>');
    expect(await failure(client().call('GET', '/v1/x'))).toMatchObject({ code: 'invalid_answer' });
  });

  it('takes an empty answer (204) as no body', async () => {
    route = (_req, res) => res.writeHead(204).end();
    expect(await client().call('DELETE', '/v1/x')).toMatchObject({ status: 204, body: undefined });
  });

  it('gives up on a server that does not answer, and says how long it waited', async () => {
    route = () => {};
    const err = await failure(client(200).call('GET', '/v1/slow'));
    expect(err).toBeInstanceOf(UnreachableError);
    expect(err).toMatchObject({ code: 'timeout', message: `no answer from intake at ${base}/v1/slow: nothing within 0.2 s` });
  });
});

describe('the herald command on an HTTP error', () => {
  const io = () => {
    const out = { stdout: '', stderr: '' };
    return { out, io: { stdout: (s: string) => (out.stdout += s), stderr: (s: string) => (out.stderr += s), readStdin: async () => '', readFile: async () => '' } };
  };

  it('prints the status, code and field, exits 1, and with --json prints intake\'s error', async () => {
    route = json(404, { error: { code: 'not_found', message: 'no such notification', field: 'id' } });
    const text = io();
    expect(await run(['status', 'ntf_01m886ytc1hd3842gt1fg0axj9', '--url', base, '--key', 'hk_secret-key'], { env: {}, io: text.io })).toBe(1);
    expect(text.out.stderr).toBe('herald: intake answered 404 not_found (field id): no such notification\n');
    const js = io();
    expect(await run(['status', 'ntf_01m886ytc1hd3842gt1fg0axj9', '--json'], { env: { HERALD_URL: base, HERALD_API_KEY: 'hk_secret-key' }, io: js.io })).toBe(1);
    expect(JSON.parse(js.out.stdout)).toEqual({
      error: { code: 'not_found', message: 'intake answered 404 not_found (field id): no such notification', field: 'id', status: 404, url: `${base}/v1/notifications/ntf_01m886ytc1hd3842gt1fg0axj9` },
    });
    expect(text.out.stderr + js.out.stdout).not.toContain('hk_secret-key');
  });
});
