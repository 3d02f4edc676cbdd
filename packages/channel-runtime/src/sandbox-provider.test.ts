import type { ChannelDispatch, Recipient } from '@herald/contracts';
import { createSandboxProvider } from './sandbox-provider.js';

const message = (to: Recipient, attempt = 1): ChannelDispatch => ({
  schemaVersion: 1,
  notificationId: 'ntf_01jd0000000000000000000000',
  attempt,
  channel: to.phone ? 'sms' : to.email ? 'email' : 'push',
  priority: 'bulk',
  to,
  content: { subject: 'Hi', text: 'Hello' },
});

describe('sandbox provider', () => {
  it('answers sent with a message id and records what it would have sent', async () => {
    const sandbox = createSandboxProvider('email');
    const outcome = await sandbox.send(message({ email: 'a@example.com' }));
    expect(outcome).toMatchObject({ kind: 'sent', provider: 'sandbox-email' });
    expect(sandbox.count()).toBe(1);
    expect(sandbox.recent()[0]?.message.to).toEqual({ email: 'a@example.com' });
  });

  it('keeps only the most recent messages', async () => {
    const sandbox = createSandboxProvider('email', 2);
    for (let i = 0; i < 3; i++) await sandbox.send(message({ email: `u${i}@example.com` }));
    expect(sandbox.count()).toBe(3);
    expect(sandbox.recent().map((r) => r.message.to.email)).toEqual(['u1@example.com', 'u2@example.com']);
  });

  it.each([
    [{ email: 'fail-permanent@example.com' }],
    [{ deviceToken: 'token-fail-permanent-0001' }],
    [{ phone: '+15005550001' }],
  ])('fails permanently for %j, recording nothing', async (to) => {
    const sandbox = createSandboxProvider('any');
    await expect(sandbox.send(message(to))).resolves.toMatchObject({ kind: 'permanent' });
    expect(sandbox.count()).toBe(0);
  });

  it.each([
    [{ email: 'fail-transient-2@example.com' }],
    [{ deviceToken: 'token-fail-transient-2-abcd' }],
    [{ phone: '+15005551002' }],
  ])('fails transiently on the first two attempts for %j, then sends', async (to) => {
    const sandbox = createSandboxProvider('any');
    await expect(sandbox.send(message(to, 1))).resolves.toMatchObject({ kind: 'transient', reason: 'sandbox: temporary failure 1 of 2' });
    await expect(sandbox.send(message(to, 2))).resolves.toMatchObject({ kind: 'transient' });
    await expect(sandbox.send(message(to, 3))).resolves.toMatchObject({ kind: 'sent' });
  });

  it('treats an ordinary phone number as deliverable', async () => {
    await expect(createSandboxProvider('sms').send(message({ phone: '+14155550100' }))).resolves.toMatchObject({ kind: 'sent' });
  });
});
