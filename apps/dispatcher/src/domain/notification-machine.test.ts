import type { DeliveryResult, NotificationAccepted, Preferences, ProviderEvent, SealedRequest } from '@herald/contracts';
import { decide, isCancelable, isSettled, toView, type NotificationEvent, type NotificationState, type PreferencesLookup } from './notification-machine.js';
import { at, ctx, must, none, sealed, t0, to } from './notification-fixtures.test-helper.js';

const prefs = (p: Preferences): PreferencesLookup => ({ kind: 'found', preferences: p });

const request: SealedRequest = {
  customerId: 'c-1',
  channel: 'email',
  priority: 'bulk',
  to: { email: to.email, phone: to.phone },
  content: sealed(JSON.stringify({ subject: 'Hi', text: 'Hello' })),
};
const acceptedOf = (over: Partial<SealedRequest> = {}): NotificationAccepted => ({
  schemaVersion: 2,
  id: 'ntf_01jd0000000000000000000000',
  tenantId: 'tenant-a',
  acceptedAt: '2026-11-25T09:59:59.000Z',
  request: { ...request, ...over },
});
const accepted = acceptedOf();

function result(attempt: number, outcome: DeliveryResult['outcome'], channel: DeliveryResult['channel'] = 'email'): DeliveryResult {
  return { schemaVersion: 1, notificationId: accepted.id, attempt, channel, at: t0.toISOString(), outcome };
}
const sent = (attempt: number, channel: DeliveryResult['channel'] = 'email') =>
  ({ type: 'result', result: result(attempt, { kind: 'sent', provider: 'sandbox', providerMessageId: `sb-${attempt}` }, channel) }) as const;
const transient = (attempt: number, retryAfterMs?: number) =>
  ({ type: 'result', result: result(attempt, { kind: 'transient', provider: 'sandbox', reason: 'HTTP 503', ...(retryAfterMs ? { retryAfterMs } : {}) }) }) as const;
const permanent = (attempt: number, channel: DeliveryResult['channel'] = 'email') =>
  ({ type: 'result', result: result(attempt, { kind: 'permanent', provider: 'sandbox', reason: 'invalid address' }, channel) }) as const;
const wake = (preferences: PreferencesLookup = none): NotificationEvent => ({ type: 'wake', preferences });

/** Runs events in order, each at its own time, and returns the final decision. */
function run(state: NotificationState | undefined, steps: Array<[NotificationEvent, Date?]>) {
  let d = { state, effects: [] as ReturnType<typeof decide>['effects'], changed: false };
  for (const [event, now] of steps) d = decide(d.state, event, ctx(now ? { now } : {}));
  return d;
}
const accept = (a: NotificationAccepted = accepted, preferences: PreferencesLookup = none, now = t0) =>
  decide(undefined, { type: 'accept', accepted: a, traceId: 'trace-1', preferences }, ctx({ now }));
const dispatched = (a?: NotificationAccepted) => must(accept(a).state);
const statuses = (s: NotificationState | undefined) => s?.timeline.map((e) => e.status);

describe('accept', () => {
  it('records accepted and dispatched, indexes, notifies, and sends attempt 1 to the channel', () => {
    const d = accept();
    expect(d.changed).toBe(true);
    expect(d.state?.status).toBe('dispatched');
    expect(d.state?.attempt).toBe(1);
    expect(d.state?.timeline[0]).toEqual({ at: accepted.acceptedAt, status: 'accepted', channel: 'email', attempt: 0, traceId: 'trace-1' });
    expect(d.state?.timeline[1]).toEqual({ at: t0.toISOString(), status: 'dispatched', channel: 'email', attempt: 1, traceId: 'trace-1' });
    expect(d.state?.dueBy).toBe('2026-11-25T10:05:00.000Z');
    expect(d.effects).toEqual([
      { type: 'watch', at: '2026-11-25T10:05:00.000Z' },
      { type: 'notify', index: 0 },
      {
        type: 'send',
        dispatch: {
          schemaVersion: 2,
          notificationId: accepted.id,
          tenantId: 'tenant-a',
          customerId: 'c-1',
          attempt: 1,
          channel: 'email',
          priority: 'bulk',
          to: { email: to.email },
          content: request.content,
        },
      },
      { type: 'notify', index: 1 },
    ]);
  });

  it('on a redelivery changes nothing, but re-issues the send that may not have gone out', () => {
    const state = dispatched();
    const d = decide(state, { type: 'accept', accepted, preferences: none }, ctx());
    expect(d.changed).toBe(false);
    expect(d.state).toBe(state);
    expect(d.effects).toMatchObject([{ type: 'watch', at: state.dueBy }, { type: 'send', dispatch: { attempt: 1 } }, { type: 'notify', index: 1 }]);
  });

  it('on a redelivery after the send was reported, owes only the last status event', () => {
    const done = decide(dispatched(), sent(1), ctx()).state;
    expect(decide(done, { type: 'accept', accepted, preferences: none }, ctx())).toEqual({
      state: done,
      effects: [{ type: 'notify', index: 2 }],
      changed: false,
    });
  });

  it('carries expiresAt to the channel, so a late queue does not send', () => {
    const d = accept(acceptedOf({ expiresAt: '2026-11-25T11:00:00Z' }));
    expect(d.effects.find((e) => e.type === 'send')).toMatchObject({ dispatch: { expiresAt: '2026-11-25T11:00:00Z' } });
  });
});

describe('delivery results', () => {
  it('moves to sent with the provider message id', () => {
    const d = decide(dispatched(), { type: 'result', result: { ...result(1, { kind: 'sent', provider: 'sandbox', providerMessageId: 'sb-1' }), traceId: 'trace-2' } }, ctx());
    expect(d.state?.status).toBe('sent');
    expect(d.state?.providerMessageId).toBe('sb-1');
    expect(d.state?.timeline.at(-1)).toEqual({
      at: t0.toISOString(),
      status: 'sent',
      channel: 'email',
      attempt: 1,
      provider: 'sandbox',
      providerMessageId: 'sb-1',
      traceId: 'trace-2',
    });
    expect(d.state?.dueBy).toBeUndefined();
    expect(d.effects).toEqual([{ type: 'notify', index: 2 }, { type: 'unwatch' }]);
  });

  it('on a duplicate transient report, re-registers the same wake-up (the first registration may have failed)', () => {
    const retrying = decide(dispatched(), transient(1), ctx({ random: 0.5 })).state;
    const again = decide(retrying, transient(1), ctx({ random: 0.9, now: at(100) }));
    expect(again.changed).toBe(false);
    expect(again.effects).toEqual([{ type: 'watch', at: '2026-11-25T10:01:05.500Z' }, { type: 'schedule-wake', at: '2026-11-25T10:00:00.500Z' }, { type: 'notify', index: 2 }]);
  });

  it('changes nothing on a duplicate result', () => {
    const done = decide(dispatched(), sent(1), ctx()).state;
    const again = decide(done, sent(1), ctx());
    expect(again.changed).toBe(false);
    expect(again.state).toBe(done);
  });

  it('ignores the result of an attempt that is not in flight, and of a notification it does not know', () => {
    expect(decide(dispatched(), sent(2), ctx()).changed).toBe(false);
    expect(decide(undefined, sent(1), ctx())).toEqual({ state: undefined, effects: [], changed: false });
  });

  it('fails at once on a permanent failure when there is no other channel, with the reason', () => {
    const d = decide(dispatched(), permanent(1), ctx());
    expect(d.state?.status).toBe('failed');
    expect(d.state?.timeline.at(-1)?.reason).toBe('invalid address');
    expect(d.effects).toEqual([{ type: 'notify', index: 2 }, { type: 'unwatch' }]);
  });

  it('ends expired when the channel reports the dispatch arrived too late', () => {
    const d = decide(dispatched(acceptedOf({ expiresAt: '2026-11-25T10:00:00.500Z' })), { type: 'result', result: result(1, { kind: 'expired', provider: 'sandbox' }) }, ctx());
    expect(d.state?.status).toBe('expired');
    expect(d.state?.timeline.at(-1)?.reason).toContain('after it expired');
  });
});

describe('retries', () => {
  it('waits with backoff on a transient failure, then sends the next attempt when the reminder fires', () => {
    const d = decide(dispatched(), transient(1), ctx({ random: 0.5 }));
    expect(d.state?.status).toBe('retrying');
    expect(d.state?.timeline.at(-1)).toMatchObject({ status: 'retrying', attempt: 1, reason: 'HTTP 503' });
    expect(d.state?.wakeAt).toBe('2026-11-25T10:00:00.500Z');
    // The watchdog looks 65 s after the wake-up time, in case the reminder is lost.
    expect(d.effects).toEqual([{ type: 'watch', at: '2026-11-25T10:01:05.500Z' }, { type: 'schedule-wake', at: '2026-11-25T10:00:00.500Z' }, { type: 'notify', index: 2 }]);
    const next = decide(d.state, wake(), ctx({ now: at(500) }));
    expect(next.state?.status).toBe('dispatched');
    expect(next.state?.attempt).toBe(2);
    expect(next.state?.wakeAt).toBeUndefined();
    expect(next.effects).toMatchObject([{ type: 'watch', at: '2026-11-25T10:05:00.500Z' }, { type: 'send', dispatch: { attempt: 2 } }, { type: 'notify' }]);
  });

  it("waits at least the provider's Retry-After", () => {
    expect(decide(dispatched(), transient(1, 7_000), ctx()).state?.wakeAt).toBe('2026-11-25T10:00:07.000Z');
  });

  it('ignores a reminder that fires twice, and re-arms one that fires early', () => {
    const retrying = decide(dispatched(), transient(1, 10_000), ctx()).state;
    const early = decide(retrying, wake(), ctx({ now: at(2_000) }));
    expect(early.changed).toBe(false);
    expect(early.effects.slice(0, 2)).toEqual([{ type: 'watch', at: '2026-11-25T10:01:15.000Z' }, { type: 'schedule-wake', at: '2026-11-25T10:00:10.000Z' }]);
    const redispatched = decide(retrying, wake(), ctx({ now: at(10_000) })).state;
    expect(decide(redispatched, wake(), ctx({ now: at(10_001) }))).toEqual({ state: redispatched, effects: [], changed: false });
  });

  it('fails with the last reason once the attempts are used up', () => {
    const d = run(dispatched(), [[transient(1)], [wake(), at(60_000)], [transient(2)], [wake(), at(120_000)], [transient(3)]]);
    expect(d.state?.status).toBe('failed');
    expect(d.state?.timeline.at(-1)?.reason).toBe('gave up on email after 3 attempts: HTTP 503');
  });

});

describe('dispatch deadlines and hand-offs', () => {
  const handoffFailed = (attempt = 1): NotificationEvent => ({ type: 'dispatch-failed', attempt, reason: 'queue hand-off failed: no answer within 10000 ms' });
  const overdue: NotificationEvent = { type: 'overdue', preferences: none };

  it('hands the same attempt over again soon when the queue did not take it (or did not say), announcing nothing', () => {
    const d = decide(dispatched(), handoffFailed(), ctx({ random: 0.5 }));
    expect(d.state).toMatchObject({ status: 'dispatched', attempt: 1, handoffs: 1, failedHandoffs: 1, dueBy: '2026-11-25T10:00:00.750Z' });
    expect(d.state?.timeline.at(-1)).toMatchObject({ status: 'dispatched', attempt: 1 });
    expect(d.state?.timeline.at(-1)?.reason).toContain('no answer within 10000 ms');
    // Only the new deadline: no attempt used up, no status event (the status did not change).
    expect(d.effects).toEqual([{ type: 'watch', at: '2026-11-25T10:00:00.750Z' }]);
    expect(decide(dispatched(), handoffFailed(2), ctx()).changed).toBe(false);
  });

  it('re-sends the same attempt when the deadline passes, and the channel report of either copy then counts', () => {
    const failed = must(decide(dispatched(), handoffFailed(), ctx()).state);
    const again = decide(failed, overdue, ctx({ now: at(1_000) }));
    expect(again.state).toMatchObject({ status: 'dispatched', attempt: 1, handoffs: 2 });
    expect(again.effects).toMatchObject([{ type: 'watch' }, { type: 'send', dispatch: { attempt: 1 } }]);
    const done = decide(again.state, sent(1), ctx({ now: at(2_000) }));
    expect(statuses(done.state)).toEqual(['accepted', 'dispatched', 'dispatched', 'dispatched', 'sent']);
    expect(done.state).not.toHaveProperty('dueBy');
    expect(done.state).not.toHaveProperty('handoffs');
    expect(done.effects).toEqual([{ type: 'notify', index: 4 }, { type: 'unwatch' }]);
  });

  it('waits the dispatch timeout for a report, then longer each time, and gives up on the attempt after the policy’s unanswered hand-overs', () => {
    let state = dispatched();
    expect(decide(state, overdue, ctx({ now: at(60_000) }))).toEqual({ state, effects: [{ type: 'watch', at: state.dueBy }], changed: false });
    let now = 300_000;
    state = must(decide(state, overdue, ctx({ now: at(now), random: 0.999 })).state);
    expect(state.handoffs).toBe(2);
    expect(Date.parse(state.dueBy ?? '') - at(now).getTime()).toBeGreaterThan(590_000); // ~2 × the timeout
    now += 600_000;
    state = must(decide(state, overdue, ctx({ now: at(now) })).state);
    now += 1_200_000;
    // The third unanswered of 3 allowed: the channel is given up on (no other channel here: failed).
    const gaveUp = decide(state, overdue, ctx({ now: at(now) }));
    expect(gaveUp.state?.status).toBe('failed');
    expect(gaveUp.state?.timeline.at(-1)?.reason).toBe('no report from the email channel for attempt 1 after 3 hand-overs to its queue');
    expect(gaveUp.effects).toContainEqual({ type: 'unwatch' });
  });

  it('does not count hand-overs the queue refused: a broker outage holds the attempt, it does not fail it', () => {
    let state = dispatched();
    for (let i = 0; i < 10; i++) {
      state = must(decide(state, handoffFailed(), ctx({ now: at(i * 70_000) })).state);
      state = must(decide(state, overdue, ctx({ now: at(i * 70_000 + 65_000) })).state);
    }
    expect(state).toMatchObject({ status: 'dispatched', attempt: 1, handoffs: 11, failedHandoffs: 10 });
  });

  it('owes the deadline again on a redelivery, so a crash between the save and the list leaves nothing unwatched', () => {
    const state = dispatched();
    expect(decide(state, sent(2), ctx()).effects).toEqual([]);
    expect(decide(state, { type: 'accept', accepted, preferences: none }, ctx()).effects[0]).toEqual({ type: 'watch', at: state.dueBy });
  });

  it('wakes a waiting notification whose reminder is long overdue, looks again at one not yet overdue, and otherwise only leaves the list', () => {
    const retrying = must(decide(dispatched(), transient(1), ctx()).state);
    expect(decide(retrying, overdue, ctx({ now: at(10_000) })).effects).toEqual([{ type: 'watch', at: '2026-11-25T10:01:05.500Z' }]);
    expect(decide(retrying, overdue, ctx({ now: at(120_000) })).state).toMatchObject({ status: 'dispatched', attempt: 2 });
    const done = must(decide(dispatched(), sent(1), ctx()).state);
    expect(decide(done, overdue, ctx())).toEqual({ state: done, effects: [{ type: 'unwatch' }], changed: false });
    expect(decide(undefined, overdue, ctx())).toEqual({ state: undefined, effects: [{ type: 'unwatch' }], changed: false });
  });

  it('puts a waiting notification on the watchdog list, so a reminder that is lost (its host died as it fell due) still wakes it', () => {
    // Scheduled for 12:00: the watchdog looks at 12:01:05, and its overdue call then sends.
    const scheduled = decide(undefined, { type: 'accept', accepted: acceptedOf({ sendAt: '2026-11-25T12:00:00Z' }), preferences: none }, ctx());
    expect(scheduled.effects[0]).toEqual({ type: 'watch', at: '2026-11-25T12:01:05.000Z' });
    // No reminder ever fired.
    const woken = decide(scheduled.state, overdue, ctx({ now: new Date('2026-11-25T12:01:05Z') }));
    expect(woken.state).toMatchObject({ status: 'dispatched', attempt: 1 });
    expect(woken.effects.map((e) => e.type)).toEqual(['watch', 'send', 'notify']);
    // A redelivered accept re-issues the watch with the reminder.
    expect(decide(scheduled.state, { type: 'accept', accepted: acceptedOf({ sendAt: '2026-11-25T12:00:00Z' }), preferences: none }, ctx()).effects.slice(0, 2)).toEqual([
      { type: 'watch', at: '2026-11-25T12:01:05.000Z' },
      { type: 'schedule-wake', at: '2026-11-25T12:00:00.000Z' },
    ]);
  });

  it('announces on a redelivery the last change of status, not a hand-over note', () => {
    const noted = must(decide(dispatched(), handoffFailed(), ctx()).state);
    expect(decide(noted, { type: 'accept', accepted, preferences: none }, ctx()).effects.at(-1)).toEqual({ type: 'notify', index: 1 });
  });
});

describe('deferred by an open breaker', () => {
  const deferred = (attempt: number) =>
    ({ type: 'result', result: result(attempt, { kind: 'deferred', provider: 'sandbox', reason: 'circuit open', retryAfterMs: 4_000 }) }) as const;

  it('waits as told and does not use up an attempt', () => {
    const d = decide(dispatched(), deferred(1), ctx());
    expect(d.state?.status).toBe('retrying');
    expect(d.state?.wakeAt).toBe('2026-11-25T10:00:04.000Z');
    expect(d.state?.timeline.at(-1)?.reason).toBe('deferred: circuit open');
    // Deferred over and over never fails the notification: only real attempts count.
    let s = d.state;
    for (let i = 2; i < 10; i++) s = run(s, [[wake(), at(i * 10_000)], [deferred(i)]]).state;
    expect(s?.status).toBe('retrying');
    expect(s?.channelAttempts).toBe(0);
    const sentAfter = run(s, [[wake(), at(200_000)], [sent(10)]]);
    expect(sentAfter.state?.status).toBe('sent');
  });
});

describe('fallback', () => {
  const multi = acceptedOf({ channel: undefined, channels: ['push', 'sms', 'email'], to });

  it('moves to the next channel on a permanent failure, through a reminder due now', () => {
    const d = decide(dispatched(multi), { ...permanent(1, 'push') }, ctx());
    expect(d.state?.status).toBe('retrying');
    expect(d.state?.timeline.at(-1)?.reason).toBe('push failed: invalid address; falling back to sms');
    expect(d.effects.slice(0, 2)).toEqual([{ type: 'watch', at: '2026-11-25T10:01:05.000Z' }, { type: 'schedule-wake', at: t0.toISOString() }]);
    const next = decide(d.state, wake(), ctx());
    // Each channel's dispatch carries its own field only.
    expect(next.effects[1]).toMatchObject({ type: 'send', dispatch: { channel: 'sms', attempt: 2, to: { phone: to.phone } } });
    expect(next.effects[1]).not.toHaveProperty('dispatch.to.email');
    expect(next.state?.timeline.at(-1)).toMatchObject({ status: 'dispatched', channel: 'sms', attempt: 2 });
  });

  it('moves on when a channel runs out of attempts, and each channel gets its own attempts', () => {
    const d = run(dispatched(multi), [
      [transient(1)],
      [wake(), at(60_000)],
      [transient(2)],
      [wake(), at(120_000)],
      [transient(3)], // push exhausted: fall back
      [wake(), at(120_000)],
    ]);
    expect(d.state?.channelIndex).toBe(1);
    expect(d.state?.channelAttempts).toBe(1);
    expect(d.effects[1]).toMatchObject({ type: 'send', dispatch: { channel: 'sms', attempt: 4 } });
  });

  it('fails after the last channel, with every channel tried in the timeline', () => {
    const d = run(dispatched(multi), [
      [permanent(1, 'push')],
      [wake()],
      [permanent(2, 'sms')],
      [wake()],
      [permanent(3, 'email')],
    ]);
    expect(d.state?.status).toBe('failed');
    expect(d.state?.timeline.filter((e) => e.status === 'dispatched').map((e) => e.channel)).toEqual(['push', 'sms', 'email']);
    expect(toView(must(d.state))).toMatchObject({ channel: 'email', channels: ['push', 'sms', 'email'], attempts: 3 });
  });
});

describe('scheduled sends, expiry and cancel', () => {
  const later = acceptedOf({ sendAt: '2026-11-25T12:00:00Z' });

  it('holds a future sendAt in scheduled, with a reminder, then sends when it fires', () => {
    const d = accept(later);
    expect(d.state?.status).toBe('scheduled');
    expect(d.state?.wakeAt).toBe('2026-11-25T12:00:00.000Z');
    expect(d.effects).toEqual([{ type: 'watch', at: '2026-11-25T12:01:05.000Z' }, { type: 'notify', index: 0 }, { type: 'schedule-wake', at: '2026-11-25T12:00:00.000Z' }, { type: 'notify', index: 1 }]);
    const fired = decide(d.state, wake(), ctx({ now: new Date('2026-11-25T12:00:00.050Z') }));
    expect(fired.state?.status).toBe('dispatched');
  });

  it('sends at once when sendAt has already passed', () => {
    expect(accept(acceptedOf({ sendAt: '2026-11-25T09:00:00Z' })).state?.status).toBe('dispatched');
  });

  it('wakes at expiresAt when that comes before sendAt, and expires', () => {
    const d = accept(acceptedOf({ sendAt: '2026-11-25T12:00:00Z', expiresAt: '2026-11-25T11:00:00Z' }));
    expect(d.state?.wakeAt).toBe('2026-11-25T11:00:00.000Z');
    const fired = decide(d.state, wake(), ctx({ now: new Date('2026-11-25T11:00:00Z') }));
    expect(fired.state?.status).toBe('expired');
    expect(fired.effects).toEqual([{ type: 'notify', index: 2 }, { type: 'unwatch' }]);
  });

  it('expires at accept when the event arrives after expiresAt (a backlog)', () => {
    const d = accept(acceptedOf({ expiresAt: '2026-11-25T09:59:59.500Z' }));
    expect(statuses(d.state)).toEqual(['accepted', 'expired']);
    expect(d.effects.some((e) => e.type === 'send')).toBe(false);
  });

  it('expires a retrying notification instead of retrying past expiresAt', () => {
    const d = run(dispatched(acceptedOf({ expiresAt: '2026-11-25T10:00:05Z' })), [[transient(1, 30_000)], [wake(), new Date('2026-11-25T10:00:05Z')]]);
    expect(statuses(d.state)?.slice(-2)).toEqual(['retrying', 'expired']);
  });

  it('cancels a scheduled notification and drops its reminder', () => {
    const d = decide(accept(later).state, { type: 'cancel', tenantId: 'tenant-a' }, ctx());
    expect(d.state?.status).toBe('canceled');
    expect(d.state?.wakeAt).toBeUndefined();
    expect(d.effects).toEqual([{ type: 'cancel-wake' }, { type: 'notify', index: 2 }, { type: 'unwatch' }]);
    expect(decide(d.state, wake(), ctx({ now: new Date('2026-11-25T12:00:00Z') })).changed).toBe(false);
  });

  it('does not cancel what is dispatched or done, nor another tenant’s notification', () => {
    expect(isCancelable(dispatched())).toBe(false);
    expect(decide(dispatched(), { type: 'cancel', tenantId: 'tenant-a' }, ctx()).changed).toBe(false);
    expect(decide(accept(later).state, { type: 'cancel', tenantId: 'tenant-b' }, ctx()).changed).toBe(false);
    expect(isCancelable(must(decide(dispatched(), transient(1), ctx()).state))).toBe(true);
  });
});

describe('settled', () => {
  it('is what Herald has nothing more to do for: sent or ended, never waiting or on its way', () => {
    const later = acceptedOf({ sendAt: '2026-11-25T12:00:00Z' });
    expect(isSettled(must(accept(later).state))).toBe(false);
    expect(isSettled(dispatched())).toBe(false);
    expect(isSettled(must(decide(dispatched(), transient(1), ctx()).state))).toBe(false);
    expect(isSettled(must(decide(dispatched(), sent(1), ctx()).state))).toBe(true);
    expect(isSettled(must(decide(accept(later).state, { type: 'cancel', tenantId: 'tenant-a' }, ctx()).state))).toBe(true);
  });
});

describe('customer preferences', () => {
  const quiet = prefs({ timezone: 'Europe/Berlin', quietHours: { start: '22:00', end: '07:00' } });
  const night = new Date('2026-11-25T23:30:00Z'); // 00:30 in Berlin

  it('defers bulk during quiet hours to the end of the window', () => {
    const d = accept(accepted, quiet, night);
    expect(d.state?.status).toBe('scheduled');
    expect(d.state?.wakeAt).toBe('2026-11-26T06:00:00.000Z'); // 07:00 in Berlin
    expect(d.state?.timeline.at(-1)?.reason).toContain('quiet hours');
    const morning = decide(d.state, wake(quiet), ctx({ now: new Date('2026-11-26T06:00:00Z') }));
    expect(morning.state?.status).toBe('dispatched');
  });

  it('sends critical during quiet hours, and bulk outside them', () => {
    expect(accept(acceptedOf({ priority: 'critical' }), quiet, night).state?.status).toBe('dispatched');
    expect(accept(accepted, quiet, new Date('2026-11-25T12:00:00Z')).state?.status).toBe('dispatched');
  });

  it('checks quiet hours again before a retry', () => {
    const retrying = decide(dispatched(), transient(1), ctx({ now: night })).state;
    expect(decide(retrying, wake(quiet), ctx({ now: night })).state?.status).toBe('scheduled');
  });

  it('suppresses bulk on a channel the customer opted out of, or falls back past it', () => {
    expect(statuses(accept(accepted, prefs({ optedOut: ['email'] })).state)).toEqual(['accepted', 'suppressed']);
    const multi = acceptedOf({ channel: undefined, channels: ['email', 'sms'] });
    expect(accept(multi, prefs({ optedOut: ['email'] })).effects.find((e) => e.type === 'send')).toMatchObject({ dispatch: { channel: 'sms' } });
    expect(accept(acceptedOf({ priority: 'critical' }), prefs({ optedOut: ['email'] })).state?.status).toBe('dispatched');
  });

  it('holds, neither sending nor dropping, while preferences cannot be read', () => {
    const d = accept(accepted, { kind: 'unavailable', reason: 'redis down' });
    expect(d.state?.status).toBe('scheduled');
    expect(d.state?.wakeAt).toBe('2026-11-25T10:00:30.000Z');
    expect(decide(d.state, wake(), ctx({ now: at(30_000) })).state?.status).toBe('dispatched');
  });
});

describe('provider events', () => {
  const event = (over: Partial<ProviderEvent> = {}): NotificationEvent => ({
    type: 'provider-event',
    event: { schemaVersion: 1, notificationId: accepted.id, provider: 'sendgrid', providerMessageId: 'sb-1', status: 'delivered', at: '2026-11-25T10:00:03Z', ...over },
  });
  const wasSent = () => decide(dispatched(), sent(1), ctx()).state;

  it('moves a sent notification to delivered, bounced or undeliverable', () => {
    expect(decide(wasSent(), event(), ctx()).state?.status).toBe('delivered');
    const bounced = decide(wasSent(), event({ status: 'bounced', reason: 'mailbox full', providerMessageId: 'sb-1.filter0001' }), ctx());
    expect(bounced.state?.timeline.at(-1)).toMatchObject({ status: 'bounced', reason: 'mailbox full', at: '2026-11-25T10:00:03Z' });
  });

  it('ignores a callback for another message or attempt, a duplicate, and one before the send was recorded', () => {
    expect(decide(wasSent(), event({ providerMessageId: 'other' }), ctx()).changed).toBe(false);
    expect(decide(wasSent(), event({ attempt: 2 }), ctx()).changed).toBe(false);
    expect(decide(decide(wasSent(), event(), ctx()).state, event(), ctx()).changed).toBe(false);
    expect(decide(dispatched(), event(), ctx()).changed).toBe(false);
  });
});

describe('toView', () => {
  it('leaves out the recipient and the content', () => {
    const view = toView(dispatched());
    expect(view).not.toHaveProperty('to');
    expect(view).not.toHaveProperty('content');
    expect(view).toMatchObject({ id: accepted.id, status: 'dispatched', attempts: 1, customerId: 'c-1', channel: 'email', channels: ['email'] });
  });
});
