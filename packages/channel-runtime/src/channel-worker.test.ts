import { pino } from 'pino';
import type { ChannelDispatch, DeliveryOutcome, SealedDispatch } from '@herald/contracts';
import type { ActorPort } from '@herald/dapr';
import { createLogger, createTracing } from '@herald/service';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { newDataKey, seal, type DataKeys } from '@herald/stores';
import { createChannelWorker, type BreakerPort, type RateLimiterPort, type SendLedgerPort } from './channel-worker.js';
import type { LedgerClaim } from './dedup.js';
import { createDispatchOpener, type DispatchOpener } from './dispatch-opener.js';
import type { ProviderPort } from './provider-port.js';

const log = pino({ level: 'silent' });
const PHONE = '+14155550100';
const TEXT = 'Your code is 482913';
const key = newDataKey();
const owner = { tenantId: 'acme', customerId: 'cus_1' };
/** A dispatch as the actor publishes it: recipient and content sealed under the customer's data key. */
const message: SealedDispatch = {
  schemaVersion: 2,
  notificationId: 'ntf_01jd0000000000000000000000',
  ...owner,
  attempt: 1,
  channel: 'sms',
  priority: 'bulk',
  to: { phone: seal(key, owner, PHONE) },
  content: seal(key, owner, JSON.stringify({ text: TEXT })),
};

/** The real opener over a key store holding the customer's one data key (or what `forOpening` says). */
const keyOpener = (forOpening: DataKeys['forOpening'] = async (_t, _c, id) => (id === key.id ? key : undefined)) => createDispatchOpener({ forOpening });
const opener = keyOpener();

/** Log lines as written, to check what they carry. */
function capturedLog() {
  const lines: string[] = [];
  return { lines, log: createLogger('test', 'debug', { write: (line: string) => void lines.push(line) }) };
}

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
    const worker = createChannelWorker({ channel: 'sms', provider, opener, sidecar, log, now });
    await expect(worker.handle(message, '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01')).resolves.toBe('ack');
    // The provider gets the dispatch opened, in memory.
    expect(provider.sends).toEqual([{ ...message, to: { phone: PHONE }, content: { text: TEXT } }]);
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
    const worker = createChannelWorker({ channel: 'sms', provider, opener, sidecar, log, now });
    await expect(worker.handle({ ...message, expiresAt: '2026-11-25T09:59:59Z' })).resolves.toBe('ack');
    expect(provider.sends).toHaveLength(0);
    expect(calls[0]?.body).toMatchObject({ outcome: { kind: 'expired', provider: 'fake' } });
    await worker.handle({ ...message, attempt: 2, expiresAt: '2026-11-25T10:00:01Z' });
    expect(provider.sends).toHaveLength(1);
  });

  it('asks for redelivery when the report fails, and then reports without sending again', async () => {
    const provider = fakeProvider(() => ({ kind: 'sent', provider: 'fake', providerMessageId: 'p-1' }));
    const { sidecar, calls } = fakeSidecar(1);
    const worker = createChannelWorker({ channel: 'sms', provider, opener, sidecar, log, now });
    await expect(worker.handle(message)).resolves.toBe('retry');
    await expect(worker.handle(message)).resolves.toBe('ack');
    expect(provider.sends).toHaveLength(1);
    expect(calls).toHaveLength(1);
  });

  it('sends again for a new attempt of the same notification', async () => {
    const provider = fakeProvider(() => ({ kind: 'sent', provider: 'fake', providerMessageId: 'p' }));
    const worker = createChannelWorker({ channel: 'sms', provider, opener, sidecar: fakeSidecar().sidecar, log, now });
    await worker.handle(message);
    await worker.handle({ ...message, attempt: 2 });
    expect(provider.sends.map((m) => m.attempt)).toEqual([1, 2]);
  });

  it('reports a provider adapter that throws as a transient failure, without what it was sending', async () => {
    const provider = fakeProvider(() => {
      throw new Error(`bug: cannot send "${TEXT}" to ${PHONE} or jane@example.com`);
    });
    const { sidecar, calls } = fakeSidecar();
    const worker = createChannelWorker({ channel: 'sms', provider, opener, sidecar, log, now });
    await expect(worker.handle(message)).resolves.toBe('ack');
    expect(calls[0]?.body).toMatchObject({
      outcome: { kind: 'transient', reason: 'provider adapter error: bug: cannot send "<redacted>" to <redacted> or <address>' },
    });
  });

  it('acknowledges (drops) a message it cannot read, or one for another channel, without sending', async () => {
    const provider = fakeProvider(() => ({ kind: 'sent', provider: 'fake', providerMessageId: 'p' }));
    const { sidecar, calls } = fakeSidecar();
    const worker = createChannelWorker({ channel: 'sms', provider, opener, sidecar, log, now });
    await expect(worker.handle({ nonsense: true })).resolves.toBe('ack');
    await expect(worker.handle({ ...message, channel: 'email', to: { email: seal(key, owner, 'a@example.com') } })).resolves.toBe('ack');
    expect(provider.sends).toHaveLength(0);
    expect(calls).toHaveLength(0);
  });

  describe('opening the sealed dispatch', () => {
    const sentOutcome = { kind: 'sent', provider: 'fake', providerMessageId: 'p-1' } as const;

    /** A ledger that remembers what it was told, to check nothing opened is kept. */
    function recordingLedger() {
      const finished: DeliveryOutcome[] = [];
      const released: number[] = [];
      const ledger: SendLedgerPort = {
        claim: async () => ({ kind: 'claimed' }),
        finish: async (_id, _n, o) => void finished.push(o),
        release: async (_id, n) => void released.push(n),
      };
      return { ledger, finished, released };
    }

    it('reports erased and sends nothing when the customer\'s data key is gone', async () => {
      const provider = fakeProvider(() => sentOutcome);
      const { sidecar, calls } = fakeSidecar();
      const { ledger, finished } = recordingLedger();
      const breaker: BreakerPort = { admit: async () => Promise.reject(new Error('breaker must not be asked')), record: async () => undefined };
      const worker = createChannelWorker({ channel: 'sms', provider, opener: keyOpener(async () => undefined), sidecar, log, now, ledger, breaker });
      await expect(worker.handle(message)).resolves.toBe('ack');
      expect(provider.sends).toHaveLength(0);
      expect(calls[0]?.body).toMatchObject({ outcome: { kind: 'erased', provider: 'fake' } });
      expect(finished).toEqual([{ kind: 'erased', provider: 'fake' }]);
      expect(worker.stats()).toEqual({ undecryptable: 0, erased: 1 });
    });

    it('reports undecryptable for tampered content, counts it, and logs the notification id alone', async () => {
      const provider = fakeProvider(() => sentOutcome);
      const { sidecar, calls } = fakeSidecar();
      const { lines, log: captured } = capturedLog();
      const worker = createChannelWorker({ channel: 'sms', provider, opener, sidecar, log: captured, now });
      // One character of the ciphertext changed: the authentication tag no longer matches.
      const last = message.content.at(-5) === 'A' ? 'B' : 'A';
      const tampered = { ...message, content: `${message.content.slice(0, -5)}${last}${message.content.slice(-4)}` };
      await expect(worker.handle(tampered)).resolves.toBe('ack');
      expect(provider.sends).toHaveLength(0);
      expect(calls[0]?.body).toMatchObject({ outcome: { kind: 'undecryptable', provider: 'fake' } });
      expect(worker.stats()).toEqual({ undecryptable: 1, erased: 0 });
      const error = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === 'dispatch undecryptable: not sent');
      expect(error).toMatchObject({ level: 50, notificationId: message.notificationId });
      expect(lines.join('')).not.toContain(PHONE);
      // A redelivery of the same attempt reports the remembered outcome: counted once.
      await worker.handle(tampered);
      expect(worker.stats().undecryptable).toBe(1);
    });

    it('reports undecryptable for a recipient sealed for another customer', async () => {
      const provider = fakeProvider(() => sentOutcome);
      const { sidecar, calls } = fakeSidecar();
      const worker = createChannelWorker({ channel: 'sms', provider, opener, sidecar, log, now });
      const moved = { ...message, to: { phone: seal(key, { ...owner, customerId: 'cus_2' }, PHONE) } };
      await worker.handle(moved);
      expect(provider.sends).toHaveLength(0);
      expect(calls[0]?.body).toMatchObject({ outcome: { kind: 'undecryptable' } });
    });

    it('defers, trying nothing and keeping no outcome, while the key store cannot be read', async () => {
      const provider = fakeProvider(() => sentOutcome);
      const { sidecar, calls } = fakeSidecar();
      const { ledger, finished, released } = recordingLedger();
      const { lines, log: captured } = capturedLog();
      let tokens = 0;
      const limiter: RateLimiterPort = { acquire: async () => (++tokens, true) };
      const down = keyOpener(async () => Promise.reject(Object.assign(new Error('state get dek|acme|jane@example.com: connection refused'), { code: 'ECONNREFUSED' })));
      const worker = createChannelWorker({ channel: 'sms', provider, opener: down, sidecar, log: captured, now, ledger, limiter });
      await expect(worker.handle(message)).resolves.toBe('ack');
      expect(provider.sends).toHaveLength(0);
      expect(tokens).toBe(0);
      expect(calls[0]?.body).toMatchObject({ outcome: { kind: 'deferred', provider: 'fake', reason: 'data key store unavailable', retryAfterMs: 1_000 } });
      // Deferred gives the claim back: a later copy tries again.
      expect(finished).toEqual([]);
      expect(released).toEqual([1]);
      expect(lines.join('')).toContain('ECONNREFUSED');
      expect(lines.join('')).not.toContain('jane@example.com');
      expect(worker.stats()).toEqual({ undecryptable: 0, erased: 0 });
    });

    it('opens nothing for a dispatch that expired or that another copy already settled', async () => {
      let opened = 0;
      const counting: DispatchOpener = { open: async (sealed) => (opened++, opener.open(sealed)) };
      const provider = fakeProvider(() => sentOutcome);
      const ledger: SendLedgerPort = {
        claim: async (_id, n) => (n === 2 ? { kind: 'done', outcome: sentOutcome } : { kind: 'claimed' }),
        finish: async () => undefined,
        release: async () => undefined,
      };
      const worker = createChannelWorker({ channel: 'sms', provider, opener: counting, sidecar: fakeSidecar().sidecar, log, now, ledger });
      await worker.handle({ ...message, expiresAt: '2026-11-25T09:59:59Z' });
      await worker.handle({ ...message, attempt: 2 });
      expect(opened).toBe(0);
      await worker.handle({ ...message, attempt: 3 });
      expect(opened).toBe(1);
      expect(provider.sends).toHaveLength(1);
    });

    it('keeps nothing it opened: the ledger gets the outcome, the log lines no recipient or content', async () => {
      const provider = fakeProvider(() => ({ kind: 'permanent', provider: 'fake', reason: 'invalid number' }));
      const { ledger, finished } = recordingLedger();
      const { lines, log: captured } = capturedLog();
      const worker = createChannelWorker({ channel: 'sms', provider, opener, sidecar: fakeSidecar().sidecar, log: captured, now, ledger });
      await worker.handle(message);
      expect(finished).toEqual([{ kind: 'permanent', provider: 'fake', reason: 'invalid number' }]);
      const kept = JSON.stringify(finished) + lines.join('');
      expect(kept).not.toContain(PHONE);
      expect(kept).not.toContain(TEXT);
    });
  });

  describe('with a shared ledger, breaker and rate limiter', () => {
    const sentOutcome = { kind: 'sent', provider: 'fake', providerMessageId: 'p-1' } as const;

    it('reports what another replica remembered for this attempt, without sending', async () => {
      const provider = fakeProvider(() => sentOutcome);
      const { sidecar, calls } = fakeSidecar();
      const ledger: SendLedgerPort = { claim: async () => ({ kind: 'done', outcome: sentOutcome }), finish: async () => undefined, release: async () => undefined };
      const worker = createChannelWorker({ channel: 'sms', provider, opener, sidecar, log, now, ledger });
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
      const worker = createChannelWorker({ channel: 'sms', provider, opener, sidecar, log, now, inFlightWait: { maxMs: 10_000, pollMs: 1 } });
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
      const worker = createChannelWorker({ channel: 'sms', provider, opener, sidecar, log, now, ledger, inFlightWait: { maxMs: 1_000, pollMs: 250 }, sleep });
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
      const worker = createChannelWorker({ channel: 'sms', provider, opener, sidecar, log, now, ledger, inFlightWait: { maxMs: 1_000, pollMs: 1 } });
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
      const worker = createChannelWorker({ channel: 'sms', provider, opener, sidecar: fakeSidecar().sidecar, log, now, ledger });
      await worker.handle(message);
      await worker.handle(message); // a second copy of attempt 1
      expect(remembered).toEqual(['1:sent']);
      expect(provider.sends).toHaveLength(1);
      const breaker: BreakerPort = { admit: async () => ({ admitted: false, retryAfterMs: 1_000 }), record: async () => undefined };
      const deferred = createChannelWorker({ channel: 'sms', provider, opener, sidecar: fakeSidecar().sidecar, log, now, ledger, breaker });
      await deferred.handle({ ...message, attempt: 2 });
      expect(remembered).toEqual(['1:sent', '2:released']);
    });

    it('hands the message back when the ledger is unavailable, rather than risk a double send', async () => {
      const provider = fakeProvider(() => sentOutcome);
      const { sidecar, calls } = fakeSidecar();
      const ledger: SendLedgerPort = { claim: async () => Promise.reject(new Error('redis down')), finish: async () => undefined, release: async () => undefined };
      const worker = createChannelWorker({ channel: 'sms', provider, opener, sidecar, log, now, ledger });
      await expect(worker.handle(message)).resolves.toBe('retry');
      expect(provider.sends).toHaveLength(0);
      expect(calls).toHaveLength(0);
    });

    it('defers without sending while the breaker is open', async () => {
      const provider = fakeProvider(() => sentOutcome);
      const { sidecar, calls } = fakeSidecar();
      const breaker: BreakerPort = { admit: async () => ({ admitted: false, retryAfterMs: 4_000 }), record: async () => undefined };
      const worker = createChannelWorker({ channel: 'sms', provider, opener, sidecar, log, now, breaker });
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
      const worker = createChannelWorker({ channel: 'sms', provider, opener, sidecar, log, now, breaker, limiter });
      for (const attempt of [1, 2, 3]) await worker.handle({ ...message, attempt });
      expect(tokens).toBe(3);
      expect(recorded).toEqual(['failure', 'success', 'success']);
    });
  });
});

describe('channel worker traces', () => {
  const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';

  it("sends in the dispatch's trace, under the sidecar's delivery span, the provider's call a span of its own", async () => {
    const spans: ReadableSpan[] = [];
    const exporter: SpanExporter = { export: (batch, done) => (spans.push(...batch), done({ code: 0 })), shutdown: () => Promise.resolve() };
    const tracing = await createTracing('channel-sms', {}, exporter);
    const provider = fakeProvider(() => ({ kind: 'permanent', provider: 'fake', reason: 'invalid number' }));
    const reported: Array<string | undefined> = [];
    const sidecar: ActorPort = { invokeActor: async (_t, _id, _m, _b, opts) => (reported.push(opts?.traceparent), { status: 'failed' }) };
    const worker = createChannelWorker({ channel: 'sms', provider, opener, sidecar, log, now, tracing });
    const carried = { ...message, traceparent: `00-${TRACE}-00f067aa0ba902b7-01` };
    // The sidecar's span of this delivery, in the dispatch's trace.
    await expect(worker.handle(carried, `00-${TRACE}-b7ad6b7169203331-01`)).resolves.toBe('ack');
    // A delivery in a trace of the sidecar's own: the dispatch's trace wins.
    await expect(worker.handle({ ...carried, attempt: 2 }, '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01')).resolves.toBe('ack');
    await tracing.shutdown();

    const sends = spans.filter((s) => s.name === 'send sms');
    expect(sends.map((s) => s.parentSpanContext?.spanId)).toEqual(['b7ad6b7169203331', '00f067aa0ba902b7']);
    expect(spans.every((s) => s.spanContext().traceId === TRACE && s.attributes['herald.notification_id'] === message.notificationId)).toBe(true);
    const calls = spans.filter((s) => s.name === 'provider fake');
    expect(calls.map((s) => s.parentSpanContext?.spanId)).toEqual(sends.map((s) => s.spanContext().spanId));
    expect(calls[0]?.attributes['herald.outcome']).toBe('permanent');
    // No reason in a span: a provider's may quote what was sent.
    expect(JSON.stringify(spans.map((s) => [s.attributes, s.status]))).not.toContain('invalid number');
    // The report to the actor continues the send's span.
    expect(reported).toEqual(sends.map((s) => `00-${TRACE}-${s.spanContext().spanId}-01`));
  });
});
