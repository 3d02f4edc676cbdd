import { pino } from 'pino';
import type { ChannelDispatch, DeliveryOutcome } from '@herald/contracts';
import type { ActorPort } from '@herald/dapr';
import { createChannelWorker, type BreakerPort, type RateLimiterPort, type SendLedgerPort } from './channel-worker.js';
import type { LedgerClaim } from './dedup.js';
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
  const sidecar: ActorPort = {
    invokeActor: async (_type, id, method, body) => {
      if (failures-- > 0) throw new Error('sidecar unavailable');
      calls.push({ id, method, body });
      return { status: 'sent' };
    },
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

  describe('with a shared ledger, breaker and rate limiter', () => {
    const sentOutcome = { kind: 'sent', provider: 'fake', providerMessageId: 'p-1' } as const;

    it('reports what another replica remembered for this attempt, without sending', async () => {
      const provider = fakeProvider(() => sentOutcome);
      const { sidecar, calls } = fakeSidecar();
      const ledger: SendLedgerPort = { claim: async () => ({ kind: 'done', outcome: sentOutcome }), finish: async () => undefined, release: async () => undefined };
      const worker = createChannelWorker({ channel: 'sms', provider, sidecar, log, now, ledger });
      await expect(worker.handle(message)).resolves.toBe('ack');
      expect(provider.sends).toHaveLength(0);
      expect(calls[0]?.body).toMatchObject({ outcome: sentOutcome });
    });

    it('sends two copies of one attempt that arrive together once, and reports the outcome for both', async () => {
      let answer: (o: DeliveryOutcome) => void = () => undefined;
      let started: () => void = () => undefined;
      const sending = new Promise<void>((r) => (started = r));
      const provider = fakeProvider(() => (started(), new Promise<DeliveryOutcome>((r) => (answer = r))));
      const { sidecar, calls } = fakeSidecar();
      const worker = createChannelWorker({ channel: 'sms', provider, sidecar, log, now, inFlightWait: { maxMs: 10_000, pollMs: 1 } });
      const first = worker.handle(message);
      const second = worker.handle(message);
      await sending;
      answer(sentOutcome);
      await expect(Promise.all([first, second])).resolves.toEqual(['ack', 'ack']);
      expect(provider.sends).toHaveLength(1);
      expect(calls.map((c) => c.body)).toEqual([expect.objectContaining({ outcome: sentOutcome }), expect.objectContaining({ outcome: sentOutcome })]);
    });

    it('hands a copy back when another copy is still being sent after the wait, without sending it', async () => {
      const provider = fakeProvider(() => sentOutcome);
      const { sidecar, calls } = fakeSidecar();
      const slept: number[] = [];
      const ledger: SendLedgerPort = { claim: async () => ({ kind: 'in-flight' }), finish: async () => undefined, release: async () => undefined };
      const sleep = async (ms: number) => void slept.push(ms);
      const worker = createChannelWorker({ channel: 'sms', provider, sidecar, log, now, ledger, inFlightWait: { maxMs: 1_000, pollMs: 250 }, sleep });
      await expect(worker.handle(message)).resolves.toBe('retry');
      expect(slept).toEqual([250, 250, 250, 250]);
      expect(provider.sends).toHaveLength(0);
      expect(calls).toHaveLength(0);
    });

    it('sends once the other copy gave its claim up without an outcome (it was deferred)', async () => {
      const provider = fakeProvider(() => sentOutcome);
      const { sidecar, calls } = fakeSidecar();
      const answers: LedgerClaim[] = [{ kind: 'in-flight' }, { kind: 'claimed' }];
      const finished: string[] = [];
      const ledger: SendLedgerPort = {
        claim: async () => answers.shift() ?? { kind: 'in-flight' },
        finish: async (_id, n, o) => void finished.push(`${n}:${o.kind}`),
        release: async () => undefined,
      };
      const worker = createChannelWorker({ channel: 'sms', provider, sidecar, log, now, ledger, inFlightWait: { maxMs: 1_000, pollMs: 1 } });
      await expect(worker.handle(message)).resolves.toBe('ack');
      expect(provider.sends).toHaveLength(1);
      expect(finished).toEqual(['1:sent']);
      expect(calls[0]?.body).toMatchObject({ outcome: sentOutcome });
    });

    it('remembers every outcome it made, never one it recalled; a deferral gives the claim back', async () => {
      const remembered: string[] = [];
      const stored = new Map<number, DeliveryOutcome>();
      const ledger: SendLedgerPort = {
        claim: async (_id, n) => {
          const outcome = stored.get(n);
          return outcome ? { kind: 'done', outcome } : { kind: 'claimed' };
        },
        finish: async (_id, n, o) => void (remembered.push(`${n}:${o.kind}`), stored.set(n, o)),
        release: async (_id, n) => void remembered.push(`${n}:released`),
      };
      const provider = fakeProvider(() => sentOutcome);
      const worker = createChannelWorker({ channel: 'sms', provider, sidecar: fakeSidecar().sidecar, log, now, ledger });
      await worker.handle(message);
      await worker.handle(message); // a second copy of attempt 1
      expect(remembered).toEqual(['1:sent']);
      expect(provider.sends).toHaveLength(1);
      const breaker: BreakerPort = { admit: async () => ({ admitted: false, retryAfterMs: 1_000 }), record: async () => undefined };
      const deferred = createChannelWorker({ channel: 'sms', provider, sidecar: fakeSidecar().sidecar, log, now, ledger, breaker });
      await deferred.handle({ ...message, attempt: 2 });
      expect(remembered).toEqual(['1:sent', '2:released']);
    });

    it('hands the message back when the ledger is unavailable, rather than risk a double send', async () => {
      const provider = fakeProvider(() => sentOutcome);
      const { sidecar, calls } = fakeSidecar();
      const ledger: SendLedgerPort = { claim: async () => Promise.reject(new Error('redis down')), finish: async () => undefined, release: async () => undefined };
      const worker = createChannelWorker({ channel: 'sms', provider, sidecar, log, now, ledger });
      await expect(worker.handle(message)).resolves.toBe('retry');
      expect(provider.sends).toHaveLength(0);
      expect(calls).toHaveLength(0);
    });

    it('defers without sending while the breaker is open', async () => {
      const provider = fakeProvider(() => sentOutcome);
      const { sidecar, calls } = fakeSidecar();
      const breaker: BreakerPort = { admit: async () => ({ admitted: false, retryAfterMs: 4_000 }), record: async () => undefined };
      const worker = createChannelWorker({ channel: 'sms', provider, sidecar, log, now, breaker });
      await expect(worker.handle(message)).resolves.toBe('ack');
      expect(provider.sends).toHaveLength(0);
      expect(calls[0]?.body).toMatchObject({ outcome: { kind: 'deferred', retryAfterMs: 4_000 } });
    });

    it('takes a token before each send, and tells the breaker about transient failures only', async () => {
      const answers: DeliveryOutcome[] = [
        { kind: 'transient', provider: 'fake', reason: 'HTTP 503' },
        { kind: 'permanent', provider: 'fake', reason: 'invalid number' },
        sentOutcome,
      ];
      const provider = fakeProvider(() => answers.shift() ?? sentOutcome);
      const { sidecar } = fakeSidecar();
      const recorded: string[] = [];
      let tokens = 0;
      const breaker: BreakerPort = { admit: async () => ({ admitted: true }), record: async (o) => void recorded.push(o) };
      const limiter: RateLimiterPort = { acquire: async () => (++tokens, true) };
      const worker = createChannelWorker({ channel: 'sms', provider, sidecar, log, now, breaker, limiter });
      for (const attempt of [1, 2, 3]) await worker.handle({ ...message, attempt });
      expect(tokens).toBe(3);
      expect(recorded).toEqual(['failure', 'success', 'success']);
    });
  });
});
