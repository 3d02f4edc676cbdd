import { createServer } from 'node:net';
import { run } from './cli.js';
import type { CliDeps } from './context.js';
import type { HttpRequest } from './adapters/intake-client.js';

// The command line as a whole, in-process: exit codes, and what a script reads with --json.
// Nothing here reaches an intake (the real one is test/integration/cli.test.ts).

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

async function herald(argv: string[], deps: Partial<CliDeps> = {}, { realTransport = false } = {}): Promise<Ran> {
  let stdout = '';
  let stderr = '';
  const code = await run(argv, {
    env: {},
    io: {
      stdout: (s) => (stdout += s),
      stderr: (s) => (stderr += s),
      readStdin: async () => '',
      readFile: async (path) => {
        throw new Error(`ENOENT: no such file, open '${path}'`);
      },
    },
    ...(realTransport
      ? {}
      : {
          transport: async () => {
            throw new Error('no intake in unit tests');
          },
        }),
    ...deps,
  });
  return { code, stdout, stderr };
}

/** A port on 127.0.0.1 with nothing listening: bound once by the system, then freed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const ID = 'ntf_01m886ytc1hd3842gt1fg0axj9';

describe('a command line that cannot work exits 2 and says what was expected', () => {
  it.each([
    [[]],
    [['nope']],
    [['customers', 'nope', 'c-1']],
    [['status']],
    [['status', 'not-an-id']],
    [['status', ID, 'extra']],
    [['send', 'extra']],
    [['send', '--customer']],
    [['send', '--bogus']],
    [['--bogus', 'status', ID]],
    [['send', '--customer', 'c-1', '--channel', 'email', '--subject', 'Hi']],
    [['send', '--customer', 'c-1', '--channel', 'fax', '--text', 'x']],
    [['send', '--priority', 'urgent']],
    [['send', '--customer', 'c-1', '--channel', 'sms', '--text', 'x', '--lane', 'bulk', '--priority', 'critical']],
    [['tail']],
    [['tail', ID, '--timeout', 'soon']],
    [['customers']],
    [['customers', 'preferences']],
    [['customers', 'add-device', 'c-1', '--platform', 'pager', '--token', 't']],
    [['customers', 'erase', 'c-1']],
    [['customers', 'set', 'c-1']],
    [['customers', 'preferences', 'set', 'c-1', '--quiet-hours', 'late']],
    [['customers', 'preferences', 'set', 'c-1', '--quiet-hours', '22:00-07:00', '--no-quiet-hours']],
    [['customers', 'history', 'c-1', '--limit', '0']],
    [['keys', 'create']],
    [['keys', 'revoke', 'hk_bG9jYWwtZGV2.key_0123456789abcdef.x']],
    [['trace', ID, '--trace-ui', 'jaeger']],
    [['status', ID, '--url', 'ftp://x']],
  ])('%j', async (argv) => {
    const text = await herald(argv);
    expect(text.code).toBe(2);
    expect(text.stdout).toBe('');
    expect(text.stderr).toMatch(/^herald: .+\nusage: herald.*\n\(herald.* --help says more\)\n$/);

    // --json before the command and after it: the same refusal, as JSON on stdout only.
    for (const withJson of [['--json', ...argv], [...argv, '--json']]) {
      const json = await herald(withJson);
      expect(json.code).toBe(2);
      expect(json.stderr).toBe('');
      const error = (JSON.parse(json.stdout) as { error: { code: string; message: string; usage: string } }).error;
      expect(error.code).toBe('usage');
      expect(error.usage).toMatch(/^herald /);
      // After `--customer`, --json is taken for its forgotten value: a refusal of its own.
      if (withJson[0] === '--json') expect(error.message).toBe(text.stderr.split('\n')[0]?.replace(/^herald: /, ''));
    }
  });

  it('names the option, argument or command at fault, and what it expects', async () => {
    const stderr = async (...argv: string[]): Promise<string> => (await herald(argv)).stderr;
    expect(await stderr('status')).toMatch(/^herald: missing required argument 'notificationId'\nusage: herald status \[options\] <notificationId>\n\(herald status --help says more\)\n$/);
    expect(await stderr('status', ID, 'extra')).toMatch(/too many arguments for 'status'\. Expected 1 argument but got 2/);
    expect(await stderr('send', '--customer')).toMatch(/option '-c, --customer <id>' argument missing\nusage: herald send \[options\]/);
    // A value forgotten before the next option, rather than a text of "--json" sent.
    expect(await stderr('send', '--text', '--bogus')).toMatch(/option '--text <text>' argument '--bogus' is invalid\. The value is missing/);
    const forgotten = await herald(['send', '--customer', 'c-1', '--channel', 'sms', '--phone', '+14155550100', '--text', '--json']);
    expect(forgotten.code).toBe(2);
    expect((JSON.parse(forgotten.stdout) as { error: { message: string } }).error.message).toMatch(/option '--text <text>' argument '--json' is invalid/);
    expect(await stderr('send', '--priority', 'urgent')).toMatch(/option '--priority <lane>' argument 'urgent' is invalid\. Allowed choices are bulk, critical\./);
    expect(await stderr('customers', 'add-device', 'c-1', '--platform', 'pager')).toMatch(/Allowed choices are apns, fcmv1/);
    expect(await stderr('send', '--bogus')).toMatch(/^herald: unknown option '--bogus'\n/);
    expect(await stderr('send', '--custmer', 'c-1')).toMatch(/^herald: unknown option '--custmer' \(Did you mean --customer\?\)\n/);
    expect(await stderr('--customer', 'c-1', 'send')).toMatch(/^herald: unknown option '--customer' \(give it after the command it belongs to\)\nusage: herald \[options\] <command>/);
    expect(await stderr('sned')).toMatch(/^herald: unknown command 'sned' \(Did you mean send\?\)\nusage: herald \[options\] <command>\n/);
    expect(await stderr('customers', 'delete', 'c-1')).toMatch(/^herald: unknown command 'delete': expected one of show, set, add-device, remove-device, preferences, history, erase, erasure\nusage: herald customers \[options\] <command>\n/);
    expect(await stderr()).toMatch(/^herald: missing <command>: one of send, status, trace, cancel, tail, customers, keys, bench, capacity\nusage: herald \[options\] <command>\n/);
    expect(await stderr('customer', 'prefs')).toMatch(/^herald: missing <command>: one of show, set, clear\nusage: herald customers preferences \[options\] <command>\n/);
    expect(await stderr('customers', 'preferences', 'set', 'c-1', '--no-quiet-hours', '--quiet-hours', '22:00-07:00')).toMatch(/--quiet-hours and --no-quiet-hours contradict each other/);
    expect(await stderr('send', '--customer', 'c-1', '--channel', 'sms', '--phone', '12', '--text', 'x')).toMatch(/--phone: must be an E.164 phone number/);
    expect(await stderr('customers', 'erase', 'c-1')).toMatch(/add --yes to go ahead/);
  });

  it('refuses an unreadable or malformed request file with 2', async () => {
    const missing = await herald(['send', '--file', 'nope.json', '--json']);
    expect(missing.code).toBe(2);
    const error = (JSON.parse(missing.stdout) as { error: { code: string; message: string } }).error;
    expect(error.code).toBe('usage');
    expect(error.message).toMatch(/cannot read the request from nope.json/);
    const broken = await herald(['send', '-f', '-'], { io: { stdout: () => {}, stderr: () => {}, readStdin: async () => '{"customerId":', readFile: async () => '' } });
    expect(broken.code).toBe(2);
  });

  it('refuses to send the development key anywhere but this machine', async () => {
    const res = await herald(['status', ID, '--url', 'https://herald.example.com', '--json']);
    expect(res.code).toBe(2);
    const error = (JSON.parse(res.stdout) as { error: { code: string; message: string } }).error;
    expect(error.code).toBe('usage');
    expect(error.message).toMatch(/no API key for https:\/\/herald.example.com: give --key/);
  });
});

describe('what a command line asks of intake', () => {
  /** Runs herald against a fake intake and returns the requests it made. */
  async function requests(argv: string[], answer: (req: HttpRequest) => { status: number; body: unknown }): Promise<{ ran: Ran; sent: HttpRequest[] }> {
    const sent: HttpRequest[] = [];
    const transport = async (req: HttpRequest) => {
      sent.push(req);
      const { status, body } = answer(req);
      return { status, header: () => undefined, text: JSON.stringify(body) };
    };
    return { ran: await herald(argv, { transport, now: () => new Date('2026-12-03T10:00:00.000Z') }), sent };
  }

  it('sends what the options say: repeated and comma-separated values, short options, --name=value', async () => {
    const { ran, sent } = await requests(
      ['--url', 'http://127.0.0.1:3999', 'send', '-c', 'c-1', '--channel', 'push,sms', '--channel=email', '--phone', '+14155550100', '--title', 'T', '--subject', 'S', '--text', '-1 left', '--data', 'a=1', '--data', 'b=2', '--lane', 'critical', '--send-at', '+10m', '--idempotency-key', 'k-1', '--json'],
      () => ({ status: 202, body: { id: ID, status: 'scheduled', statusUrl: `/v1/notifications/${ID}` } }),
    );
    expect(ran.code).toBe(0);
    expect(JSON.parse(ran.stdout)).toEqual({ id: ID, status: 'scheduled', statusUrl: `http://127.0.0.1:3999/v1/notifications/${ID}` });
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ method: 'POST', url: 'http://127.0.0.1:3999/v1/notifications', headers: expect.objectContaining({ 'idempotency-key': 'k-1' }) as unknown });
    expect(JSON.parse(sent[0]!.body!)).toEqual({
      customerId: 'c-1',
      channels: ['push', 'sms', 'email'],
      to: { phone: '+14155550100' },
      content: { title: 'T', subject: 'S', text: '-1 left', data: { a: '1', b: '2' } },
      priority: 'critical',
      sendAt: '2026-12-03T10:10:00.000Z',
    });
  });

  it('reads --no-quiet-hours and repeated --opt-out, with the global options at any level', async () => {
    const { ran, sent } = await requests(['customers', '--key', 'k', 'prefs', 'set', 'c-1', '--no-quiet-hours', '--opt-out', 'sms', '--opt-out', 'push', '--url', 'http://127.0.0.1:3999'], (req) =>
      req.method === 'GET' ? { status: 200, body: { timezone: 'Europe/Berlin', quietHours: { start: '22:00', end: '07:00' } } } : { status: 200, body: JSON.parse(req.body ?? '{}') as unknown },
    );
    expect(ran.code).toBe(0);
    expect(sent.map((r) => `${r.method} ${r.url}`)).toEqual(['GET http://127.0.0.1:3999/v1/customers/c-1/preferences', 'PUT http://127.0.0.1:3999/v1/customers/c-1/preferences']);
    expect(sent[1]!.headers).toMatchObject({ authorization: 'Bearer k' });
    expect(JSON.parse(sent[1]!.body!)).toEqual({ timezone: 'Europe/Berlin', optedOut: ['sms', 'push'] });
  });

  it('follows several notifications given to tail', async () => {
    const other = 'ntf_01m886ytc1hd3842gt1fg0axj8';
    const at = '2026-12-03T10:00:00.000Z';
    const { ran, sent } = await requests(['tail', ID, other, '--json'], (req) => {
      const id = req.url.split('/').at(-1) ?? '';
      return { status: 200, body: { id, status: 'sent', timeline: [{ status: 'sent', at }] } };
    });
    expect(ran.code).toBe(0);
    expect(sent.map((r) => r.url.split('/').at(-1))).toEqual([ID, other]);
  });
});

describe('help and version', () => {
  it('prints the help of the command asked about and exits 0', async () => {
    const res = await herald(['customers', 'preferences', 'set', '--help']);
    expect(res.code).toBe(0);
    expect(res.stderr).toBe('');
    expect(res.stdout).toMatch(/^Usage: herald customers preferences set \[options\] <customerId>\n/);
    expect(res.stdout).toMatch(/--quiet-hours <HH:MM-HH:MM>/);
    expect(res.stdout).toMatch(/Global options:\n +--url <url>/);
    expect(res.stdout).toMatch(/Examples:\n +herald customers preferences set c-1/);
    const json = await herald(['keys', '-h', '--json']);
    expect(json.code).toBe(0);
    const help = JSON.parse(json.stdout) as { usage: string; help: string };
    expect(help.usage).toBe('herald keys [options] <command>');
    expect(help.help).toMatch(/create/);
  });

  it('lists the commands, and answers `herald help <command>` (bench\'s --help is its script\'s)', async () => {
    const root = await herald(['--help']);
    expect(root.code).toBe(0);
    expect(root.stdout).toMatch(/^Usage: herald \[options\] <command>\n/);
    for (const name of ['send', 'status', 'trace', 'cancel', 'tail', 'customers|customer', 'keys', 'bench', 'capacity']) expect(root.stdout).toMatch(new RegExp(`\\n  ${name.replace('|', '\\|')} `));
    const status = await herald(['help', 'status']);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/^Usage: herald status \[options\] <notificationId>\n/);
    const bench = await herald(['help', 'bench']);
    expect(bench.code).toBe(0);
    expect(bench.stdout).toMatch(/^Usage: herald bench \[arguments\.\.\.\]\n/);
  });

  it('prints the version it is given, as text or JSON', async () => {
    expect(await herald(['--version'], { version: '1.2.3' })).toEqual({ code: 0, stdout: '1.2.3\n', stderr: '' });
    expect(JSON.parse((await herald(['--json', '--version'], { version: '1.2.3' })).stdout)).toEqual({ version: '1.2.3' });
    expect((await herald(['--version'])).code).toBe(2);
  });
});

describe('an intake that cannot be reached', () => {
  it('exits 1 and names the URL it tried, in text and in JSON, never the key', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    // The cli's own transport (node's fetch), against a port nothing listens on.
    const text = await herald(['status', ID], { env: { HERALD_URL: url } }, { realTransport: true });
    expect(text.code).toBe(1);
    expect(text.stdout).toBe('');
    expect(text.stderr).toBe(`herald: cannot reach intake at ${url}/v1/notifications/${ID}: connect ECONNREFUSED ${url.slice(7)}\n`);

    const json = await herald(['keys', 'list', '--json', '--url', url, '--key', 'secret-key-not-to-print'], {}, { realTransport: true });
    expect(json.code).toBe(1);
    const error = (JSON.parse(json.stdout) as { error: Record<string, string> }).error;
    expect(error).toMatchObject({ code: 'unreachable', url: `${url}/v1/api-keys` });
    expect(error.message).toContain(url);
    expect(json.stdout + json.stderr).not.toContain('secret-key-not-to-print');

    // The global options before the command, or between its arguments.
    for (const argv of [['--url', url, '--json', 'status', ID], ['status', '--json', ID, '--url', url]]) {
      const res = await herald(argv, {}, { realTransport: true });
      expect(res.code).toBe(1);
      expect((JSON.parse(res.stdout) as { error: Record<string, string> }).error).toMatchObject({ code: 'unreachable', url: `${url}/v1/notifications/${ID}` });
    }
  });
});

describe('bench and capacity', () => {
  it('hand every argument to the repository\'s script and exit with its code', async () => {
    const calls: Array<[string, readonly string[]]> = [];
    const runScript = async (script: string, args: readonly string[]) => {
      calls.push([script, args]);
      return script === 'bench' ? 3 : 0;
    };
    expect((await herald(['bench', '--rate', '300', '--json', 'out.json', '--help'], { runScript })).code).toBe(3);
    expect((await herald(['--json', 'capacity', '--daily', '50000000'], { runScript })).code).toBe(0);
    expect((await herald(['--url', 'http://127.0.0.1:1', 'bench', '--', '--rate', 'x', 'extra'], { runScript })).code).toBe(3);
    expect((await herald(['capacity'], { runScript })).code).toBe(0);
    expect(calls).toEqual([
      ['bench', ['--rate', '300', '--json', 'out.json', '--help']],
      ['capacity', ['--daily', '50000000']],
      ['bench', ['--', '--rate', 'x', 'extra']],
      ['capacity', []],
    ]);
  });
});
