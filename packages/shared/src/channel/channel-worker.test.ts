import { pino } from 'pino';
import type { ChannelDispatch, DeliveryOutcome } from '../contracts/events.js';
import type { Sidecar } from '../dapr/sidecar.js';
import { createChannelWorker } from './channel-worker.js';
import type { ProviderPort } from './provider-port.js';

const log = pino({ level: 'silent' });
const message: ChannelDispatch = {
  schemaVersion: 1,
  notificationId: 'ntf_01jd0000000000000000000000',
  attempt: 1,
  channel: 'sms',
  priority: 'bulk',
  to: { phone: '+14155550100' },
  content: { text: 'Hello' },
};

/** An in-memory provider that answers what it is told and counts sends. */
function fakeProvider(answer: () => DeliveryOutcome | Promise<DeliveryOutcome>): ProviderPort & { sends: ChannelDispatch[] } {
  const sends: ChannelDispatch[] = [];
  return { name: 'fake', sends, send: async (m) => (sends.push(m), answer()) };
}

/** A sidecar fake that records actor calls and can be made to fail. */
function fakeSidecar(failActorCalls = 0) {
  const calls: Array<{ id: string; method: string; body: unknown }> = [];
  let failures = failActorCalls;
  const sidecar: Sidecar = {
    publish: async () => undefined,
    invokeBinding: async () => undefined,
    invokeActor: async (_type, id, method, body) => {
      if (failures-- > 0) throw new Error('sidecar unavailable');
      calls.push({ id, method, body });
      return { status: 'sent' };
    },
    registerReminder: async () => undefined,
    deleteReminder: async () => undefined,
    getSecret: async () => ({}),
    waitUntilReady: async () => undefined,
  };
  return { sidecar, calls };
}

const now = () => new Date('2026-11-25T10:00:00.000Z');

describe('channel worker', () => {
  it('sends through the provider and reports the outcome to the notification actor', async () => {
    const provider = fakeProvider(() => ({ kind: 'sent', provider: 'fake', providerMessageId: 'p-1' }));
    const { sidecar, calls } = fakeSidecar();
    const worker = createChannelWorker({ channel: 'sms', provider, sidecar, log, now });
    await expect(worker.handle(message, '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01')).resolves.toBe('ack');
    expect(provider.sends).toHaveLength(1);
    expect(calls).toEqual([
      {
        id: message.notificationId,
        method: 'recordResult',
        body: {
          schemaVersion: 1,
          notificationId: message.notificationId,
          attempt: 1,
          channel: 'sms',
          at: '2026-11-25T10:00:00.000Z',
          outcome: { kind: 'sent', provider: 'fake', providerMessageId: 'p-1' },
          traceId: '0af7651916cd43dd8448eb211c80319c',
        },
      },
    ]);
  });

  it('does not send a dispatch that reached it after its expiry, and reports it expired', async () => {
    const provider = fakeProvider(() => ({ kind: 'sent', provider: 'fake', providerMessageId: 'p-1' }));
    const { sidecar, calls } = fakeSidecar();
    const worker = createChannelWorker({ channel: 'sms', provider, sidecar, log, now });
    await expect(worker.handle({ ...message, expiresAt: '2026-11-25T09:59:59Z' })).resolves.toBe('ack');
    expect(provider.sends).toHaveLength(0);
    expect(calls[0]?.body).toMatchObject({ outcome: { kind: 'expired', provider: 'fake' } });
    await worker.handle({ ...message, attempt: 2, expiresAt: '2026-11-25T10:00:01Z' });
    expect(provider.sends).toHaveLength(1);
  });

  it('asks for redelivery when the report fails, and then reports without sending again', async () => {
    const provider = fakeProvider(() => ({ kind: 'sent', provider: 'fake', providerMessageId: 'p-1' }));
    const { sidecar, calls } = fakeSidecar(1);
    const worker = createChannelWorker({ channel: 'sms', provider, sidecar, log, now });
    await expect(worker.handle(message)).resolves.toBe('retry');
    await expect(worker.handle(message)).resolves.toBe('ack');
    expect(provider.sends).toHaveLength(1);
    expect(calls).toHaveLength(1);
  });

  it('sends again for a new attempt of the same notification', async () => {
    const provider = fakeProvider(() => ({ kind: 'sent', provider: 'fake', providerMessageId: 'p' }));
    const worker = createChannelWorker({ channel: 'sms', provider, sidecar: fakeSidecar().sidecar, log, now });
    await worker.handle(message);
    await worker.handle({ ...message, attempt: 2 });
    expect(provider.sends.map((m) => m.attempt)).toEqual([1, 2]);
  });

  it('reports a provider adapter that throws as a transient failure', async () => {
    const provider = fakeProvider(() => {
      throw new Error('bug');
    });
    const { sidecar, calls } = fakeSidecar();
    const worker = createChannelWorker({ channel: 'sms', provider, sidecar, log, now });
    await expect(worker.handle(message)).resolves.toBe('ack');
    expect(calls[0]?.body).toMatchObject({ outcome: { kind: 'transient', reason: 'provider adapter error: bug' } });
  });

  it('acknowledges (drops) a message it cannot read, or one for another channel, without sending', async () => {
    const provider = fakeProvider(() => ({ kind: 'sent', provider: 'fake', providerMessageId: 'p' }));
    const { sidecar, calls } = fakeSidecar();
    const worker = createChannelWorker({ channel: 'sms', provider, sidecar, log, now });
    await expect(worker.handle({ nonsense: true })).resolves.toBe('ack');
    await expect(worker.handle({ ...message, channel: 'email', to: { email: 'a@example.com' } })).resolves.toBe('ack');
    expect(provider.sends).toHaveLength(0);
    expect(calls).toHaveLength(0);
  });
});
