import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { optionalSecret, requiredSecret } from './secrets.js';
import { createSidecar } from './sidecar.js';

// A stand-in for a sidecar's secrets API that knows secrets only by the names it is given.
let server: Server;
let port = 0;
const asked: string[] = [];
const secrets: Record<string, string> = { 'KEY-ENCRYPTION-KEYS': 'ring', API_KEYS: 'keys' };

beforeAll(async () => {
  server = createServer((req, res) => {
    const name = decodeURIComponent((req.url ?? '').split('/').pop() ?? '');
    asked.push(`${String(req.headers['dapr-api-token'] ?? '-')} ${name}`);
    const value = secrets[name];
    if (value === undefined) res.writeHead(500).end('{"errorCode":"ERR_SECRET_GET"}');
    else res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ [name]: value }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
beforeEach(() => (asked.length = 0));

describe('secrets through the sidecar', () => {
  it('asks for a secret by Herald\'s name, with the API token', async () => {
    const sidecar = createSidecar('127.0.0.1', port, { apiToken: 'tok' });
    expect(await requiredSecret(sidecar, 'secretstore', 'API_KEYS')).toBe('keys');
    expect(asked).toEqual(['tok API_KEYS']);
  });

  it('asks a store whose names allow no underscore (Key Vault) with dashes, and answers under Herald\'s name', async () => {
    const sidecar = createSidecar('127.0.0.1', port, { secretNames: 'dashes' });
    expect(await sidecar.getSecret('secretstore', 'KEY_ENCRYPTION_KEYS')).toEqual({ KEY_ENCRYPTION_KEYS: 'ring' });
    expect(await optionalSecret(sidecar, 'secretstore', 'SENDGRID_API_KEY')).toBeUndefined();
    expect(asked).toEqual(['- KEY-ENCRYPTION-KEYS', '- SENDGRID-API-KEY']);
  });
});
