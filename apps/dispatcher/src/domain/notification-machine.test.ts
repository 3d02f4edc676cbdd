import type { DeliveryResult, NotificationAccepted } from '@herald/shared';
import { decide, toView, type DecideContext, type NotificationState } from './notification-machine.js';

const t0 = new Date('2026-11-25T10:00:00.000Z');
const ctx = (over: Partial<DecideContext> = {}): DecideContext => ({
  now: t0,
  random: 0.5,
  policy: { maxAttempts: 3, baseDelayMs: 1_000, maxDelayMs: 60_000 },
  ...over,
});

const accepted: NotificationAccepted = {
  schemaVersion: 1,
  id: 'ntf_01jd0000000000000000000000',
  tenantId: 'tenant-a',
  acceptedAt: '2026-11-25T09:59:59.000Z',
  request: {
    customerId: 'c-1',
    channel: 'email',
    priority: 'bulk',
    to: { email: 'a@example.com' },
    content: { subject: 'Hi', text: 'Hello' },
  },
};

function result(attempt: number, outcome: DeliveryResult['outcome']): DeliveryResult {
  return { schemaVersion: 1, notificationId: accepted.id, attempt, channel: 'email', at: t0.toISOString(), outcome };
}

function dispatched(): NotificationState {
  const d = decide(undefined, { type: 'accept', accepted, traceId: 'trace-1' }, ctx());
  if (!d.state) throw new Error('expected state');
  return d.state;
}

describe('accept', () => {
  it('records accepted and dispatched and sends attempt 1 to the channel', () => {
    const d = decide(undefined, { type: 'accept', accepted, traceId: 'trace-1' }, ctx());
    expect(d.changed).toBe(true);
    expect(d.state?.status).toBe('dispatched');
    expect(d.state?.attempt).toBe(1);
    expect(d.state?.timeline.map((e) => e.status)).toEqual(['accepted', 'dispatched']);
    expect(d.state?.timeline[0]).toEqual({ at: accepted.acceptedAt, status: 'accepted', channel: 'email', attempt: 0, traceId: 'trace-1' });
    expect(d.state?.timeline[1]).toEqual({ at: t0.toISOString(), status: 'dispatched', channel: 'email', attempt: 1, traceId: 'trace-1' });
    expect(d.effects).toEqual([
      {
        type: 'send',
        dispatch: {
          schemaVersion: 1,
          notificationId: accepted.id,
          attempt: 1,
          channel: 'email',
          priority: 'bulk',
          to: { email: 'a@example.com' },
          content: { subject: 'Hi', text: 'Hello' },
        },
      },
    ]);
  });

  it('on a redelivery changes nothing, but sends again what may not have gone out', () => {
    const state = dispatched();
    const d = decide(state, { type: 'accept', accepted }, ctx());
    expect(d.changed).toBe(false);
    expect(d.state).toBe(state);
    expect(d.effects).toMatchObject([{ type: 'send', dispatch: { attempt: 1 } }]);
  });

  it('on a redelivery after the send was reported, owes nothing', () => {
    const sent = decide(dispatched(), { type: 'result', result: result(1, { kind: 'sent', provider: 'sandbox', providerMessageId: 'sb-1' }) }, ctx()).state;
    expect(decide(sent, { type: 'accept', accepted }, ctx())).toEqual({ state: sent, effects: [], changed: false });
  });
});

describe('delivery results', () => {
  it('moves to sent with the provider message id', () => {
    const d = decide(dispatched(), { type: 'result', result: { ...result(1, { kind: 'sent', provider: 'sandbox', providerMessageId: 'sb-1' }), traceId: 'trace-2' } }, ctx());
    expect(d.state?.status).toBe('sent');
    expect(d.state?.timeline.at(-1)).toEqual({
      at: t0.toISOString(),
      status: 'sent',
      channel: 'email',
      attempt: 1,
      provider: 'sandbox',
      providerMessageId: 'sb-1',
      traceId: 'trace-2',
    });
    expect(d.effects).toEqual([]);
  });

  it('on a duplicate transient report, re-registers the same retry (the first registration may have failed)', () => {
    const report = { type: 'result' as const, result: result(1, { kind: 'transient', provider: 'sandbox', reason: 'HTTP 503' }) };
    const retrying = decide(dispatched(), report, ctx({ random: 0.5 })).state;
    const again = decide(retrying, report, ctx({ random: 0.9, now: new Date(t0.getTime() + 100) }));
    expect(again.changed).toBe(false);
    expect(again.effects).toEqual([{ type: 'schedule-retry', attempt: 1, at: '2026-11-25T10:00:00.500Z' }]);
  });

  it('changes nothing on a duplicate result', () => {
    const sent = decide(dispatched(), { type: 'result', result: result(1, { kind: 'sent', provider: 'sandbox', providerMessageId: 'sb-1' }) }, ctx()).state;
    const again = decide(sent, { type: 'result', result: result(1, { kind: 'sent', provider: 'sandbox', providerMessageId: 'sb-1' }) }, ctx());
    expect(again.changed).toBe(false);
    expect(again.state).toBe(sent);
  });

  it('ignores the result of an attempt that is not in flight', () => {
    const d = decide(dispatched(), { type: 'result', result: result(2, { kind: 'sent', provider: 'sandbox', providerMessageId: 'x' }) }, ctx());
    expect(d.changed).toBe(false);
  });

  it('ignores a result for a notification it does not know', () => {
    const d = decide(undefined, { type: 'result', result: result(1, { kind: 'sent', provider: 'sandbox', providerMessageId: 'x' }) }, ctx());
    expect(d).toEqual({ state: undefined, effects: [], changed: false });
  });

  it('fails at once on a permanent failure, with the reason, and does not retry', () => {
    const d = decide(dispatched(), { type: 'result', result: result(1, { kind: 'permanent', provider: 'sandbox', reason: 'invalid address' }) }, ctx());
    expect(d.state?.status).toBe('failed');
    expect(d.state?.timeline.at(-1)?.reason).toBe('invalid address');
    expect(d.effects).toEqual([]);
  });

  it('schedules a retry with backoff on a transient failure', () => {
    const d = decide(dispatched(), { type: 'result', result: result(1, { kind: 'transient', provider: 'sandbox', reason: 'HTTP 503' }) }, ctx({ random: 0.5 }));
    expect(d.state?.status).toBe('retrying');
    expect(d.state?.timeline.at(-1)).toMatchObject({ status: 'retrying', attempt: 1, reason: 'HTTP 503' });
    expect(d.state?.retryAt).toBe('2026-11-25T10:00:00.500Z');
    expect(d.effects).toEqual([{ type: 'schedule-retry', attempt: 1, at: '2026-11-25T10:00:00.500Z' }]);
  });

  it("waits at least the provider's Retry-After", () => {
    const d = decide(dispatched(), { type: 'result', result: result(1, { kind: 'transient', provider: 'sandbox', reason: '429', retryAfterMs: 7_000 }) }, ctx());
    expect(d.effects).toEqual([{ type: 'schedule-retry', attempt: 1, at: '2026-11-25T10:00:07.000Z' }]);
  });
});

describe('retries', () => {
  const transient = (attempt: number) => ({ type: 'result' as const, result: result(attempt, { kind: 'transient', provider: 'sandbox', reason: 'HTTP 500' }) });

  it('sends the next attempt when the retry is due', () => {
    const retrying = decide(dispatched(), transient(1), ctx()).state;
    const d = decide(retrying, { type: 'retry-due', attempt: 1 }, ctx());
    expect(d.state?.status).toBe('dispatched');
    expect(d.state?.attempt).toBe(2);
    expect(d.effects).toMatchObject([{ type: 'send', dispatch: { attempt: 2 } }]);
  });

  it('ignores a retry reminder that fires twice', () => {
    const retrying = decide(dispatched(), transient(1), ctx()).state;
    const redispatched = decide(retrying, { type: 'retry-due', attempt: 1 }, ctx()).state;
    expect(redispatched?.retryAt).toBeUndefined();
    expect(decide(redispatched, { type: 'retry-due', attempt: 1 }, ctx())).toEqual({ state: redispatched, effects: [], changed: false });
  });

  it('fails with the last reason once the attempts are used up', () => {
    let s = dispatched();
    for (let attempt = 1; attempt < 3; attempt++) {
      s = decide(s, transient(attempt), ctx()).state!;
      s = decide(s, { type: 'retry-due', attempt }, ctx()).state!;
    }
    const d = decide(s, transient(3), ctx());
    expect(d.state?.status).toBe('failed');
    expect(d.state?.timeline.at(-1)?.reason).toBe('gave up after 3 attempts: HTTP 500');
    expect(d.effects).toEqual([]);
  });

  it('treats a failed hand-off to the queue as transient', () => {
    const d = decide(dispatched(), { type: 'dispatch-failed', attempt: 1, reason: 'binding unavailable' }, ctx());
    expect(d.state?.status).toBe('retrying');
    expect(d.effects).toEqual([{ type: 'schedule-retry', attempt: 1, at: '2026-11-25T10:00:00.500Z' }]);
  });

  it('ignores a failed hand-off of an attempt that is no longer current', () => {
    expect(decide(dispatched(), { type: 'dispatch-failed', attempt: 2, reason: 'x' }, ctx()).changed).toBe(false);
  });
});

describe('toView', () => {
  it('leaves out the recipient and the content', () => {
    const view = toView(dispatched());
    expect(view).not.toHaveProperty('to');
    expect(view).not.toHaveProperty('content');
    expect(view).toMatchObject({ id: accepted.id, status: 'dispatched', attempts: 1, customerId: 'c-1' });
  });
});
