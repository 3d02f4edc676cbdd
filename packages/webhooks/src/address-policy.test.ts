import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'node:http';
import { checkWebhookUrl, isPublicAddress, NonPublicAddressError, publicOnlyLookup } from './address-policy.js';

describe('isPublicAddress', () => {
  it.each([
    // IPv4 loopback, unspecified, private, link-local, CGNAT
    '127.0.0.1',
    '127.255.255.254',
    '0.0.0.0',
    '0.1.2.3',
    '10.0.0.1',
    '10.255.255.255',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.0.1',
    '192.168.255.255',
    '169.254.169.254',
    '169.254.0.1',
    '100.64.0.1',
    '100.127.255.255',
    // special purpose, documentation, benchmarking
    '192.0.0.8',
    '192.0.2.1',
    '192.88.99.1',
    '198.18.0.1',
    '198.19.255.255',
    '198.51.100.7',
    '203.0.113.9',
    // multicast, reserved, broadcast
    '224.0.0.1',
    '239.255.255.250',
    '240.0.0.1',
    '255.255.255.255',
    // IPv6 loopback, unspecified, link-local, ULA, site-local, multicast, discard
    '::1',
    '::',
    '0:0:0:0:0:0:0:1',
    'fe80::1',
    'fe80::1%eth0',
    'febf:ffff::1',
    'fc00::1',
    'fd12:3456:789a::1',
    'fec0::1',
    'ff02::1',
    'ff0e::1',
    '100::1',
    // IPv4-mapped, -compatible and -translated forms of blocked IPv4 addresses
    '::ffff:127.0.0.1',
    '::ffff:7f00:1',
    '0:0:0:0:0:ffff:7f00:1',
    '::ffff:10.0.0.1',
    '::ffff:a9fe:a9fe',
    '::ffff:169.254.169.254',
    '::ffff:192.168.1.1',
    '::127.0.0.1',
    '::7f00:1',
    '::10.0.0.1',
    '::ffff:0:127.0.0.1',
    // NAT64 of private addresses, local-use NAT64
    '64:ff9b::127.0.0.1',
    '64:ff9b::a00:1',
    '64:ff9b::169.254.169.254',
    '64:ff9b:1::808:808',
    // 6to4 of private addresses, Teredo and IETF assignments, documentation
    '2002:7f00:1::1',
    '2002:c0a8:101::1',
    '2001::1',
    '2001:0:4136:e378:8000:63bf:3fff:fdd2',
    '2001:db8::1',
    '3fff::1',
    // not addresses at all
    '',
    'localhost',
    'example.com',
    '1.2.3',
    '1.2.3.4.5',
    '256.1.1.1',
    '010.0.0.1',
    '::ffff:1.2.3',
    'gggg::1',
    '[::1]',
  ])('%s is not public', (ip) => {
    expect(isPublicAddress(ip)).toBe(false);
  });

  it.each([
    '8.8.8.8',
    '1.1.1.1',
    '93.184.215.14',
    '100.63.255.255',
    '100.128.0.0',
    '172.15.255.255',
    '172.32.0.0',
    '169.253.255.255',
    '192.169.0.1',
    '198.17.255.255',
    '198.20.0.0',
    '223.255.255.254',
    '11.0.0.1',
    '2606:4700:4700::1111',
    '2001:4860:4860::8888',
    '2a00:1450:4001:80b::200e',
    '::ffff:8.8.8.8',
    '::ffff:808:808',
    '64:ff9b::8.8.8.8',
    '64:ff9b::808:808',
    '2002:808:808::1',
    '2001:200::1',
    '3fff:1000::1',
  ])('%s is public', (ip) => {
    expect(isPublicAddress(ip)).toBe(true);
  });
});

describe('checkWebhookUrl', () => {
  const resolves =
    (table: Record<string, string[]>) =>
    async (host: string): Promise<string[]> => {
      const found = table[host];
      if (!found) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
      return found;
    };
  const lookup = resolves({
    'hooks.example.com': ['93.184.215.14', '2606:2800:21f:cb07:6820:80da:af6b:8b2c'],
    'rebind.example.com': ['93.184.215.14', '10.0.0.7'],
    'metadata.example.com': ['169.254.169.254'],
    'v6-local.example.com': ['fd00::1'],
    'empty.example.com': [],
  });

  it.each([
    ['https://hooks.example.com/herald?token=x', true],
    ['http://hooks.example.com:8080/a/b', true],
    ['https://8.8.8.8/hook', true],
    ['https://[2606:4700:4700::1111]/hook', true],
    ['https://rebind.example.com/hook', false],
    ['https://metadata.example.com/latest', false],
    ['https://v6-local.example.com/', false],
    ['https://empty.example.com/', false],
    ['https://unknown.example.com/', false],
    ['http://127.0.0.1/', false],
    ['http://2130706433/', false],
    ['http://0x7f.1/', false],
    ['http://0177.0.0.1/', false],
    ['http://[::1]/', false],
    ['http://[::ffff:127.0.0.1]/', false],
    ['http://[::ffff:7f00:1]/', false],
    ['http://169.254.169.254/latest/meta-data', false],
    ['http://[fe80::1]/', false],
    ['ftp://hooks.example.com/', false],
    ['file:///etc/passwd', false],
    ['javascript:alert(1)', false],
    ['https://user:pass@hooks.example.com/', false],
    ['https://user@hooks.example.com/', false],
    ['not a url', false],
  ])('%s → ok %s', async (url, ok) => {
    await expect(checkWebhookUrl(url, { allowPrivate: false, lookup })).resolves.toMatchObject({ ok });
  });

  it('gives a reason that names neither the addresses nor the query', async () => {
    const result = await checkWebhookUrl('https://rebind.example.com/hook?token=secret', { allowPrivate: false, lookup });
    expect(result).toEqual({ ok: false, reason: 'the host name resolves to a non-public address' });
    expect(JSON.stringify(result)).not.toMatch(/10\.0\.0\.7|secret/);
  });

  it('allows private addresses when told to, but still checks scheme and credentials', async () => {
    const unresolvable = async (): Promise<string[]> => {
      throw new Error('must not resolve');
    };
    await expect(checkWebhookUrl('http://127.0.0.1:3000/hook', { allowPrivate: true, lookup: unresolvable })).resolves.toEqual({ ok: true });
    await expect(checkWebhookUrl('http://receiver.local/hook', { allowPrivate: true, lookup: unresolvable })).resolves.toEqual({ ok: true });
    await expect(checkWebhookUrl('ftp://127.0.0.1/', { allowPrivate: true })).resolves.toMatchObject({ ok: false });
    await expect(checkWebhookUrl('http://a:b@127.0.0.1/', { allowPrivate: true })).resolves.toMatchObject({ ok: false });
  });

  it('uses the system resolver by default', async () => {
    await expect(checkWebhookUrl('http://localhost:3000/', { allowPrivate: false })).resolves.toMatchObject({ ok: false });
  });
});

describe('publicOnlyLookup', () => {
  let server: Server;
  let port: number;
  let hits = 0;
  beforeAll(async () => {
    server = createServer((_req, res) => {
      hits++;
      res.end('ok');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('fails a connection to a name that resolves to a private address, before connecting', async () => {
    const error = await new Promise<unknown>((resolve) => {
      const req = request({ host: 'localhost', port, path: '/', lookup: publicOnlyLookup }, (res) => {
        res.resume();
        resolve(undefined);
      });
      req.on('error', resolve);
      req.end();
    });
    expect(error).toBeInstanceOf(NonPublicAddressError);
    expect(error).toMatchObject({ code: 'ERR_NON_PUBLIC_ADDRESS', name: 'NonPublicAddressError' });
    expect(hits).toBe(0);
  });

  it('answers both the single-address and the all-addresses forms of lookup for public names', async () => {
    // Driven directly: the test machine may have no outside DNS, so a public name is not assumed
    // to resolve; an IP literal goes through getaddrinfo without the network.
    const single = await new Promise<unknown[]>((resolve) => publicOnlyLookup('8.8.8.8', {}, (...args) => resolve(args)));
    expect(single).toEqual([null, '8.8.8.8', 4]);
    const all = await new Promise<unknown[]>((resolve) => publicOnlyLookup('8.8.8.8', { all: true }, (...args) => resolve(args)));
    expect(all).toEqual([null, [{ address: '8.8.8.8', family: 4 }]]);
    const blocked = await new Promise<unknown[]>((resolve) => publicOnlyLookup('10.1.2.3', { all: true }, (...args) => resolve(args)));
    expect(blocked[0]).toBeInstanceOf(NonPublicAddressError);
  });
});
