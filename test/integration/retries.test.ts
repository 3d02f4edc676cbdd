import { createClient, loadStack } from '../harness/client.js';
import { uniqueCustomer } from '../harness/ids.js';

// The sandbox fails on demand (packages/channel-runtime/src/sandbox-directives.ts); the stack
// runs with RETRY_MAX_ATTEMPTS=4 and delays of at most one second (global-setup.ts).
const stack = loadStack();
const api = createClient(stack);

async function send(body: Record<string, unknown>): Promise<string> {
  const res = await api.send({ customerId: uniqueCustomer(), ...body });
  expect(res.status).toBe(202);
  return (res.body as { id: string }).id;
}

describe('retries through durable actor reminders', () => {
  it('retries a transient failure and sends on the third attempt', async () => {
    const id = await send({ channel: 'email', to: { email: 'fail-transient-2@example.com' }, content: { subject: 'Hi', text: 'Hello' } });
    const view = await api.waitForStatus(id, 'sent', 30_000);
    expect(view.attempts).toBe(3);
    expect(view.timeline.map((e) => `${e.status}:${e.attempt ?? ''}`)).toEqual([
      'accepted:0',
      'dispatched:1',
      'retrying:1',
      'dispatched:2',
      'retrying:2',
      'dispatched:3',
      'sent:3',
    ]);
    const retries = view.timeline.filter((e) => e.status === 'retrying');
    expect(retries.map((e) => e.reason)).toEqual(['sandbox: temporary failure 1 of 2', 'sandbox: temporary failure 2 of 2']);
  });

  it('fails at once, with the provider’s reason, on a permanent failure', async () => {
    const id = await send({ channel: 'sms', to: { phone: '+15005550001' }, content: { text: 'Hello' } });
    const view = await api.waitForStatus(id, 'failed');
    expect(view.attempts).toBe(1);
    expect(view.timeline.map((e) => e.status)).toEqual(['accepted', 'dispatched', 'failed']);
    expect(view.timeline.at(-1)).toMatchObject({ channel: 'sms', attempt: 1, provider: 'sandbox-sms', reason: 'sandbox: recipient rejected (fail-permanent)' });
  });

  it('gives up after the configured attempts and records why', async () => {
    const id = await send({ channel: 'push', to: { deviceToken: 'device-fail-transient-9-abcdef' }, content: { text: 'Hello' } });
    const view = await api.waitForStatus(id, 'failed', 30_000);
    expect(view.attempts).toBe(4);
    expect(view.timeline.filter((e) => e.status === 'dispatched')).toHaveLength(4);
    expect(view.timeline.at(-1)?.reason).toBe('gave up on push after 4 attempts: sandbox: temporary failure 4 of 9');
  });
});
