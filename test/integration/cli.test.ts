import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NotificationView } from '@herald/contracts';
import { keyOf, loadStack } from '../harness/client.js';
import { uniqueCustomer } from '../harness/ids.js';
import { ROOT, waitFor } from '../harness/stack.js';

// The herald command (apps/cli), built, run as a person or a script runs it, against the suite's
// real stack: send, follow and trace a notification, customers, API keys, and intake's errors.

const stack = loadStack();
const base = `http://127.0.0.1:${stack.apps.intake.app}`;
const key = keyOf(stack, 'tenant-a');
const MAIN = join(ROOT, 'apps', 'cli', 'dist', 'main.js');

interface Ran {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** The command's environment: this stack's intake and key, nothing of the runner's HERALD_*. */
function envFor(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('HERALD_')));
  return { ...env, HERALD_URL: base, HERALD_API_KEY: key, ...extra };
}

function start(args: string[], env: Record<string, string> = {}): { child: ChildProcess; output: Ran; done: Promise<Ran> } {
  const child = spawn(process.execPath, [MAIN, ...args], { env: envFor(env), stdio: ['pipe', 'pipe', 'pipe'] });
  const output: Ran = { code: null, signal: null, stdout: '', stderr: '' };
  child.stdout?.on('data', (c: Buffer) => (output.stdout += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (output.stderr += c.toString()));
  const done = new Promise<Ran>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve(Object.assign(output, { code, signal })));
  });
  return { child, output, done };
}

/** Runs `herald <args>` to its end (within its own deadline), with `input` on stdin. */
async function herald(args: string[], opts: { env?: Record<string, string>; input?: string; timeoutMs?: number } = {}): Promise<Ran> {
  const run = start(args, opts.env);
  run.child.stdin?.end(opts.input ?? '');
  const timer = setTimeout(() => run.child.kill('SIGKILL'), opts.timeoutMs ?? 45_000);
  try {
    return await run.done;
  } finally {
    clearTimeout(timer);
  }
}

/** `herald <args> --json`, which must exit 0 and print one JSON document. */
async function heraldJson<T>(args: string[], opts: { env?: Record<string, string>; input?: string; timeoutMs?: number } = {}): Promise<T> {
  const res = await herald([...args, '--json'], opts);
  if (res.code !== 0) throw new Error(`herald ${args.join(' ')} exited ${String(res.code)}: ${res.stdout}${res.stderr}`);
  return JSON.parse(res.stdout) as T;
}

const ndjson = (text: string): Array<Record<string, unknown>> =>
  text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

const emailArgs = (customer: string, address = 'cli@example.com'): string[] => ['send', '--customer', customer, '--channel', 'email', '--email', address, '--subject', 'Hi', '--text', 'Hello'];

beforeAll(() => {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: build first (npx tsc -b)`);
});

describe('the command line', () => {
  it('prints its help and version, and refuses a command line that cannot work with 2', async () => {
    const help = await herald(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: herald \[options\] <command>\n/);
    const { version } = JSON.parse(readFileSync(join(ROOT, 'apps', 'cli', 'package.json'), 'utf8')) as { version: string };
    expect(await herald(['--version'])).toMatchObject({ code: 0, stdout: `${version}\n` });
    const missing = await herald(['status']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^herald: missing required argument 'notificationId'\nusage: herald status \[options\] <notificationId>\n/);
    const json = await herald(['--json', 'send', '--channel', 'fax']);
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stdout)).toMatchObject({ error: { code: 'usage', message: expect.stringMatching(/--channel must be email, sms or push/) as unknown } });
  });
});

describe('herald send, status, trace and tail', () => {
  it('sends, shows the status, follows it to its end once per change, and traces it', async () => {
    const sent = await heraldJson<{ id: string; status: string; statusUrl: string }>(emailArgs(uniqueCustomer()));
    expect(sent).toEqual({ id: expect.stringMatching(/^ntf_[0-9a-z]{26}$/) as unknown, status: 'accepted', statusUrl: `${base}/v1/notifications/${sent.id}` });

    const first = await heraldJson<NotificationView>(['status', sent.id]);
    expect(first.id).toBe(sent.id);

    const tail = await herald(['tail', sent.id, '--json', '--interval', '200ms', '--timeout', '30s']);
    expect(tail.code).toBe(0);
    const changes = ndjson(tail.stdout);
    expect(changes.every((c) => c.id === sent.id)).toBe(true);
    expect(changes[0]).toMatchObject({ status: 'accepted', final: false });
    expect(changes.at(-1)).toMatchObject({ status: 'sent', channel: 'email', provider: 'sandbox-email', final: true });
    const keys = changes.map((c) => `${String(c.at)} ${String(c.status)} ${String(c.attempt)}`);
    expect(new Set(keys).size).toBe(keys.length);

    const final = await heraldJson<NotificationView>(['status', sent.id]);
    expect(changes.map((c) => c.status)).toEqual(final.timeline.map((e) => e.status));
    const status = await herald(['status', sent.id]);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/^id +ntf_/);
    expect(status.stdout).toMatch(/\nstatus +sent\n/);

    const traceIds = [...new Set(final.timeline.flatMap((e) => (e.traceId ? [e.traceId] : [])))];
    const trace = await heraldJson<{ timeline: unknown[]; traceIds: string[]; traceUrls: string[] }>(['trace', sent.id]);
    expect(trace.timeline).toEqual(final.timeline);
    expect(trace.traceIds).toEqual(traceIds);
    expect(trace.traceUrls).toEqual(traceIds.map((t) => `http://127.0.0.1:16686/trace/${t}`));
    const text = await herald(['trace', sent.id], { env: { HERALD_TRACE_UI: 'http://jaeger.test:16686' } });
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/sent +email +1 +sandbox-email +\S+/);
    if (traceIds.length > 0) for (const t of traceIds) expect(text.stdout).toContain(`http://jaeger.test:16686/trace/${t}`);
    else expect(text.stdout).toContain('trace: none in the timeline');
  });

  it('follows a retry in text: each change on its line, the end marked final', async () => {
    const { id } = await heraldJson<{ id: string }>(emailArgs(uniqueCustomer(), 'fail-transient-1@example.com'));
    const tail = await herald(['tail', id, '--interval', '0.2', '--timeout', '30s']);
    expect(tail.code).toBe(0);
    expect(tail.stdout).toMatch(new RegExp(`${id}  retrying .*attempt 1`));
    expect(tail.stdout).toMatch(new RegExp(`${id}  sent .*attempt 2  sandbox-email  \\(final\\)\\n$`));
    expect(tail.stderr).toBe('it is final\n');
  });

  it('follows a customer\'s new notifications until Ctrl-C', async () => {
    const customer = uniqueCustomer();
    // --since: a notification sent while tail is still starting is followed from its first change.
    const tail = start(['tail', '--customer', customer, '--json', '--interval', '200ms', '--since', '1m']);
    const { id } = await heraldJson<{ id: string }>(emailArgs(customer));
    await waitFor('tail to print the notification sent', () => (ndjson(tail.output.stdout).some((c) => c.id === id && c.status === 'sent') ? true : undefined), 30_000, 100);
    tail.child.kill('SIGINT');
    const ended = await tail.done;
    expect(ended.code).toBe(130);
    expect(ndjson(ended.stdout).every((c) => c.id === id && c.customerId === customer)).toBe(true);
  });

  it('sends a request file from stdin, the same id for the same idempotency key', async () => {
    const request = JSON.stringify({ customerId: uniqueCustomer(), channel: 'sms', to: { phone: '+14155550100' }, content: { text: 'from a file' } });
    const idempotencyKey = `cli-${Date.now()}`;
    const once = await heraldJson<{ id: string }>(['send', '--file', '-', '--idempotency-key', idempotencyKey], { input: request });
    const again = await herald(['send', '-f', '-', '--idempotency-key', idempotencyKey], { input: request });
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(`id          ${once.id}`);
    expect(again.stdout).toContain(`status url  ${base}/v1/notifications/${once.id}`);
  });

  it('cancels a scheduled notification', async () => {
    const { id } = await heraldJson<{ id: string }>([...emailArgs(uniqueCustomer()), '--send-at', '+60s']);
    await waitFor(`${id} to be scheduled`, async () => ((await heraldJson<NotificationView>(['status', id])).status === 'scheduled' ? true : undefined), 15_000, 200);
    expect(await heraldJson<NotificationView>(['cancel', id])).toMatchObject({ id, status: 'canceled' });
  });
});

describe('intake\'s errors', () => {
  it('prints the status, code and field, and exits 1', async () => {
    const unknown = 'ntf_00000000000000000000000000';
    const text = await herald(['status', unknown]);
    expect(text.code).toBe(1);
    expect(text.stderr).toBe('herald: intake answered 404 not_found (field id): no such notification\n');
    const json = await herald(['send', '--customer', 'c-1', '--channel', 'sms', '--phone', '+14155550100', '--text', 'x', '--expires-at', '2020-01-01T00:00:00Z', '--json']);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ error: { status: 400, code: 'validation_failed', field: 'expiresAt' } });
  });

  it('refuses a wrong argument with 2 before asking intake', async () => {
    const res = await herald(['send', '--customer', 'c-1', '--channel', 'pigeon', '--text', 'x', '--json']);
    expect(res.code).toBe(2);
    expect(JSON.parse(res.stdout)).toMatchObject({ error: { code: 'usage' } });
  });
});

describe('herald customers', () => {
  it('sets and shows a profile and devices, printing the values only when asked to show them', async () => {
    const customer = uniqueCustomer();
    const made = await heraldJson<{ change: string; fields: string[] }>(['customers', 'set', customer, '--email', 'profile@example.com', '--phone', '+14155550100', '--locale', 'en-US']);
    expect(made).toMatchObject({ change: 'created', fields: ['email', 'phone', 'locale'] });
    expect(JSON.stringify(made)).not.toContain('profile@example.com');
    expect(await heraldJson(['customers', 'show', customer])).toMatchObject({ customerId: customer, email: 'profile@example.com', phone: '+14155550100', locale: 'en-US', devices: [] });

    const changed = await herald(['customers', 'set', customer, '--unset', 'phone', '--timezone', 'Europe/Berlin']);
    expect(changed.code).toBe(0);
    expect(changed.stdout).toBe(`updated the profile of ${customer}: email, locale, timezone; no devices\n`);
    const added = await heraldJson<{ added: boolean; devices: Array<{ id: string; platform: string }> }>(['customers', 'add-device', customer, '--platform', 'fcmv1', '--token', 'cli-device-token-1']);
    expect(added).toMatchObject({ added: true, devices: [{ platform: 'fcmv1' }] });
    const shown = await herald(['customers', 'show', customer]);
    expect(shown.stdout).toMatch(/email +profile@example.com/);
    expect(shown.stdout).toContain(added.devices[0]!.id);
    expect(shown.stdout).not.toMatch(/phone/);
    expect((await herald(['customers', 'remove-device', customer, added.devices[0]!.id])).code).toBe(0);
    expect(await heraldJson(['customers', 'show', customer])).toMatchObject({ devices: [] });

    // Sent to the profile's address: `to` left out.
    const { id } = await heraldJson<{ id: string }>(['send', '--customer', customer, '--channel', 'email', '--subject', 'Hi', '--text', 'Hello']);
    expect((await herald(['tail', id, '--json', '--timeout', '30s'])).code).toBe(0);
    const history = await heraldJson<{ items: NotificationView[] }>(['customers', 'history', customer, '--limit', '5']);
    expect(history.items.map((v) => v.id)).toEqual([id]);
    expect((await herald(['customers', 'history', customer])).stdout).toMatch(new RegExp(`^ID .*\\n${id} +sent +email +bulk`));
  });

  it('sets, changes, shows and clears preferences', async () => {
    const customer = uniqueCustomer();
    const set = await heraldJson(['customers', 'preferences', 'set', customer, '--timezone', 'Europe/Berlin', '--quiet-hours', '22:00-07:00', '--opt-out', 'sms,push']);
    expect(set).toEqual({ timezone: 'Europe/Berlin', quietHours: { start: '22:00', end: '07:00' }, optedOut: ['sms', 'push'] });
    expect(await heraldJson(['customers', 'prefs', 'show', customer])).toEqual(set);
    expect(await heraldJson(['customers', 'preferences', 'set', customer, '--opt-in', 'sms', '--no-quiet-hours'])).toEqual({ timezone: 'Europe/Berlin', optedOut: ['push'] });
    const text = await herald(['customers', 'preferences', 'show', customer]);
    expect(text.stdout).toMatch(/quiet hours +\(none\)\nopted out +push\n/);
    expect((await herald(['customers', 'preferences', 'clear', customer])).code).toBe(0);
    expect(await heraldJson(['customers', 'preferences', 'show', customer])).toEqual({});
  });

  it('erases a customer only with --yes, and waits for the erasure', async () => {
    const customer = uniqueCustomer();
    await heraldJson(['customers', 'set', customer, '--email', 'erase-me@example.com']);
    const refused = await herald(['customers', 'erase', customer]);
    expect(refused.code).toBe(2);
    expect(await heraldJson(['customers', 'show', customer])).toMatchObject({ email: 'erase-me@example.com' });

    const erasure = await heraldJson<{ id: string; status: string; customerId: string }>(['customers', 'erase', customer, '--yes', '--wait'], { timeoutMs: 150_000 });
    expect(erasure).toMatchObject({ customerId: customer, status: 'completed' });
    expect(await heraldJson(['customers', 'erasure', erasure.id])).toMatchObject({ id: erasure.id, status: 'completed' });
    const gone = await herald(['customers', 'show', customer, '--json']);
    expect(gone.code).toBe(1);
    expect(JSON.parse(gone.stdout)).toMatchObject({ error: { status: 404, code: 'customer_not_found' } });
  }, 180_000);
});

describe('herald keys', () => {
  it('creates a key with scopes, lists it without the key, and revokes it', async () => {
    const made = await heraldJson<{ id: string; key: string; scopes: string[]; name: string }>(['keys', 'create', '--scopes', 'read', '--name', 'cli test']);
    expect(made).toMatchObject({ scopes: ['read'], name: 'cli test', key: expect.stringMatching(/^hk_/) as unknown });

    const listed = await heraldJson<{ items: Array<{ id: string }> }>(['keys', 'list']);
    expect(listed.items.map((k) => k.id)).toContain(made.id);
    expect(JSON.stringify(listed)).not.toContain(made.key);
    const table = await herald(['keys', 'list']);
    expect(table.stdout).toMatch(new RegExp(`\\n${made.id} +cli test +read +\\S{4} +api `));
    expect(table.stdout + table.stderr).not.toContain(made.key);

    // The new key reads, and may not send.
    const { id } = await heraldJson<{ id: string }>(emailArgs(uniqueCustomer()));
    const asReader = { HERALD_API_KEY: made.key };
    expect((await herald(['status', id], { env: asReader })).code).toBe(0);
    const refused = await herald(emailArgs(uniqueCustomer()), { env: asReader });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe('herald: intake answered 403 insufficient_scope (field Authorization, scope send): this API key lacks the scope "send"\n');
    expect(refused.stderr).not.toContain(made.key);

    const revoked = await heraldJson<{ id: string; revokedAt: string }>(['keys', 'revoke', made.id]);
    expect(revoked).toMatchObject({ id: made.id, revokedAt: expect.any(String) as unknown });
    expect((await herald(['keys', 'show', made.id])).stdout).toMatch(/\nrevoked +\d{4}-/);
    const after = await herald(['status', id, '--json'], { env: asReader });
    expect(after.code).toBe(1);
    expect(JSON.parse(after.stdout)).toMatchObject({ error: { status: 401, code: 'unauthorized' } });
  });
});
