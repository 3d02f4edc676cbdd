import type { ChannelDispatch, DeliveryOutcome } from '@herald/contracts';
import { createSandboxProvider } from './sandbox-provider.js';

const message = (to: ChannelDispatch['to'], attempt = 1): ChannelDispatch => ({
  schemaVersion: 2,
  notificationId: 'ntf_01jd0000000000000000000000',
  tenantId: 'acme',
  customerId: 'cus_1',
  attempt,
  channel: to.phone !== undefined ? 'sms' : to.email !== undefined ? 'email' : 'push',
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

  describe('a push to a profile\'s devices', () => {
    /** The message id of a sent outcome; undefined for any other. */
    const idOf = (outcome: DeliveryOutcome) => (outcome.kind === 'sent' ? outcome.providerMessageId : undefined);
    const devices = (apns: string, fcm: string): ChannelDispatch['to'] => ({
      devices: [
        { platform: 'apns', token: apns },
        { platform: 'fcmv1', token: fcm },
      ],
    });

    it('answers once per platform, with each platform\'s id, and records the message once', async () => {
      const sandbox = createSandboxProvider('push');
      const outcome = await sandbox.send(message(devices('apns-token-0001', 'fcm-token-0001')));
      expect(idOf(outcome)).toMatch(/^apns:sbx_[0-9a-f-]{36},fcmv1:sbx_[0-9a-f-]{36}$/);
      expect(sandbox.count()).toBe(1);
      expect(sandbox.recent()[0]?.providerMessageId).toBe(idOf(outcome));
    });

    it('is sent when one platform fails beside the other, and fails as its devices all do', async () => {
      const sandbox = createSandboxProvider('push');
      expect(idOf(await sandbox.send(message(devices('apns-fail-permanent-1', 'fcm-token-0001'))))).toMatch(/^fcmv1:sbx_[0-9a-f-]{36}$/);
      await expect(sandbox.send(message(devices('apns-fail-permanent-1', 'fcm-fail-transient-1')))).resolves.toEqual({
        kind: 'transient',
        provider: 'sandbox-push',
        reason: 'apns: sandbox: recipient rejected (fail-permanent); fcmv1: sandbox: temporary failure 1 of 1',
      });
      await expect(sandbox.send(message(devices('apns-fail-permanent-1', 'fcm-fail-permanent-2')))).resolves.toMatchObject({ kind: 'permanent' });
      expect(sandbox.count()).toBe(1);
    });

    it('answers for a request\'s own device token alone, as Notification Hubs does', async () => {
      const sandbox = createSandboxProvider('push');
      expect(idOf(await sandbox.send(message({ deviceToken: 'token-0001', ...devices('apns-fail-permanent-1', 'fcm-fail-permanent-2') })))).toMatch(/^sbx_[0-9a-f-]{36}$/);
    });
  });
});
