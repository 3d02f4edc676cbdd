// What the state machine does with the customer's data: the sealed dispatch, the profile's part
// in it (no contact point), the outcomes of a dispatch that could not be opened, and erasure.
import { StoredNotificationSchema, type DeliveryResult, type NotificationAccepted, type ProviderEvent, type SealedDispatch, type SealedRequest } from '@herald/contracts';
import { decide, isSettled, REASONS, toView, type Effect, type NotificationEvent, type NotificationState, type PreferencesLookup } from './notification-machine.js';
import { at, ctx, must, none, sealed, t0, to } from './notification-fixtures.test-helper.js';
import { ERASED_CUSTOMER, sendOf, statusEventOf } from './notification-state.js';

const ID = 'ntf_01jd0000000000000000000000';

const devices = [
  { id: 'dev-1', platform: 'apns' as const, token: sealed('apns-token-1') },
  { id: 'dev-2', platform: 'fcmv1' as const, token: sealed('fcm-token-2') },
];
const content = sealed(JSON.stringify({ subject: 'Hi', text: 'Hello' }));
const metadata = { orderId: sealed('order-42') };

const acceptedOf = (over: Partial<SealedRequest> = {}): NotificationAccepted => ({
  schemaVersion: 2,
  id: ID,
  tenantId: 'tenant-a',
  acceptedAt: '2026-11-25T09:59:59.000Z',
  request: { customerId: 'c-1', channel: 'email', priority: 'bulk', to: {}, content, metadata, ...over },
});

const accept = (a: NotificationAccepted = acceptedOf(), preferences: PreferencesLookup = none) =>
  decide(undefined, { type: 'accept', accepted: a, traceId: 'trace-1', preferences }, ctx());
const dispatched = (over: Partial<SealedRequest> = {}) => must(accept(acceptedOf(over)).state);
const later = (over: Partial<SealedRequest> = {}) => must(accept(acceptedOf({ sendAt: '2026-11-25T12:00:00Z', ...over })).state);
const wake = (preferences: PreferencesLookup = none): NotificationEvent => ({ type: 'wake', preferences });
const noContact = (attempt: number, channel: DeliveryResult['channel'] = 'email'): NotificationEvent => ({ type: 'no-contact-point', attempt, channel });
const erase = (tenantId = 'tenant-a'): NotificationEvent => ({ type: 'erase', tenantId });
/** The dispatch a decision sends, if it sends one. */
const sendIn = (effects: Effect[]): SealedDispatch | undefined => effects.flatMap((e) => (e.type === 'send' ? [e.dispatch] : []))[0];

function result(attempt: number, outcome: DeliveryResult['outcome'], channel: DeliveryResult['channel'] = 'email'): NotificationEvent {
  return { type: 'result', result: { schemaVersion: 1, notificationId: ID, attempt, channel, at: t0.toISOString(), outcome, traceId: 'trace-2' } };
}
const sent = (attempt: number) => result(attempt, { kind: 'sent', provider: 'sandbox', providerMessageId: `sb-${attempt}` });
const transient = (attempt: number) => result(attempt, { kind: 'transient', provider: 'sandbox', reason: 'HTTP 503' });
const bounced = (over: Partial<ProviderEvent> = {}): NotificationEvent => ({
  type: 'provider-event',
  event: { schemaVersion: 1, notificationId: ID, provider: 'sendgrid', providerMessageId: 'sb-1', status: 'bounced', reason: '550 a@example.com: no such user', at: '2026-11-25T10:00:03Z', ...over },
});

describe('the sealed dispatch', () => {
  it('carries the sealed content as received and, of the recipient, only the field of the channel in use', () => {
    const state = dispatched({ channel: undefined, channels: ['email', 'sms', 'push'], to });
    const on = (channelIndex: number) => sendOf({ ...state, channelIndex });
    expect(on(0)).toEqual({
      schemaVersion: 2,
      notificationId: ID,
      tenantId: 'tenant-a',
      customerId: 'c-1',
      attempt: 1,
      channel: 'email',
      priority: 'bulk',
      to: { email: to.email },
      content,
    });
    expect(on(1)).toMatchObject({ channel: 'sms', to: { phone: to.phone } });
    expect(on(1).to).toEqual({ phone: to.phone });
    expect(on(2).to).toEqual({ deviceToken: to.deviceToken });
  });

  it("for push takes the request's one device token, else its devices", () => {
    expect(sendOf(dispatched({ channel: 'push', to: { deviceToken: to.deviceToken, devices } })).to).toEqual({ deviceToken: to.deviceToken });
    expect(sendOf(dispatched({ channel: 'push', to: { devices } })).to).toEqual({ devices });
    expect(sendOf(dispatched({ channel: 'push', to: { devices: [] } })).to).toEqual({});
  });

  it('leaves the recipient out when the request did not name one for the channel: the profile fills it when sending', () => {
    const d = accept(acceptedOf({ to: { phone: to.phone } }));
    expect(sendIn(d.effects)).toMatchObject({ channel: 'email', attempt: 1 });
    expect(sendIn(d.effects)?.to).toEqual({});
    // Nothing of the profile is kept: the state still has only what the request gave.
    expect(must(d.state).to).toEqual({ phone: to.phone });
  });

  it('keeps the sealed values exactly as received, and gives them to status events sealed', () => {
    const state = dispatched({ to });
    expect(state).toMatchObject({ to, content, metadata });
    expect(statusEventOf(state, 1)).toMatchObject({ customerId: 'c-1', status: 'dispatched', metadata });
  });
});

describe('no contact point', () => {
  it('ends undeliverable (no_contact_point) on the only channel, naming it', () => {
    const d = decide(dispatched(), noContact(1), ctx({ now: at(10) }));
    expect(d.changed).toBe(true);
    expect(d.state?.status).toBe('undeliverable');
    expect(d.state?.timeline.at(-1)).toEqual({ at: at(10).toISOString(), status: 'undeliverable', channel: 'email', attempt: 1, reason: REASONS.noContactPoint });
    expect(d.state).not.toHaveProperty('dueBy');
    expect(d.effects).toEqual([{ type: 'notify', index: 2 }, { type: 'unwatch' }]);
    expect(isSettled(must(d.state))).toBe(true);
  });

  it('falls back to the next channel through a reminder due now, which sends there', () => {
    const d = decide(dispatched({ channel: undefined, channels: ['email', 'sms'] }), noContact(1), ctx());
    expect(d.state).toMatchObject({ status: 'retrying', channelIndex: 1, channelAttempts: 0, wakeAt: t0.toISOString() });
    expect(d.state?.timeline.at(-1)).toEqual({
      at: t0.toISOString(),
      status: 'retrying',
      channel: 'email',
      attempt: 1,
      reason: 'no email contact point (no_contact_point); falling back to sms',
    });
    expect(d.effects).toEqual([{ type: 'watch', at: '2026-11-25T10:01:05.000Z' }, { type: 'schedule-wake', at: t0.toISOString() }, { type: 'notify', index: 2 }]);
    const next = decide(d.state, wake(), ctx());
    expect(next.state).toMatchObject({ status: 'dispatched', attempt: 2 });
    expect(sendIn(next.effects)).toMatchObject({ channel: 'sms', attempt: 2 });
    expect(sendIn(next.effects)?.to).toEqual({});
  });

  it('ends undeliverable naming the last channel once no channel has a contact point', () => {
    const first = decide(dispatched({ channel: undefined, channels: ['email', 'sms'] }), noContact(1), ctx());
    const second = decide(decide(first.state, wake(), ctx()).state, noContact(2, 'sms'), ctx());
    expect(second.state?.status).toBe('undeliverable');
    expect(second.state?.timeline.at(-1)).toMatchObject({ status: 'undeliverable', channel: 'sms', attempt: 2, reason: 'no_contact_point' });
  });

  it('skips a fallback channel the customer opted out of when the reminder fires', () => {
    const first = decide(dispatched({ channel: undefined, channels: ['email', 'sms', 'push'] }), noContact(1), ctx());
    const next = decide(first.state, wake({ kind: 'found', preferences: { optedOut: ['sms'] } }), ctx());
    expect(sendIn(next.effects)?.channel).toBe('push');
  });

  it('changes nothing for another attempt, another channel, a notification not dispatched, or none', () => {
    const state = dispatched();
    expect(decide(state, noContact(2), ctx())).toEqual({ state, effects: [], changed: false });
    expect(decide(state, noContact(1, 'sms'), ctx()).changed).toBe(false);
    expect(decide(decide(state, sent(1), ctx()).state, noContact(1), ctx()).changed).toBe(false);
    expect(decide(later(), noContact(0), ctx()).changed).toBe(false);
    expect(decide(undefined, noContact(1), ctx())).toEqual({ state: undefined, effects: [], changed: false });
  });
});

describe('a dispatch the channel could not open', () => {
  const multi = { channel: undefined, channels: ['email' as const, 'sms' as const] };

  it('ends canceled (customer_erased) when the customer was erased: no other channel is tried', () => {
    const d = decide(dispatched(multi), result(1, { kind: 'erased', provider: 'sendgrid' }), ctx());
    expect(d.state?.status).toBe('canceled');
    expect(d.state?.timeline.at(-1)).toEqual({ at: t0.toISOString(), status: 'canceled', channel: 'email', attempt: 1, provider: 'sendgrid', traceId: 'trace-2', reason: 'customer_erased' });
    expect(d.effects).toEqual([{ type: 'notify', index: 2 }, { type: 'unwatch' }]);
  });

  it('ends failed (undecryptable) at once: no retry though attempts are left, and no fallback', () => {
    const d = decide(dispatched(multi), result(1, { kind: 'undecryptable', provider: 'sendgrid' }), ctx());
    expect(d.state?.status).toBe('failed');
    expect(d.state?.channelIndex).toBe(0);
    expect(d.state?.timeline.at(-1)).toMatchObject({ status: 'failed', channel: 'email', attempt: 1, reason: 'undecryptable' });
    expect(d.effects).toEqual([{ type: 'notify', index: 2 }, { type: 'unwatch' }]);
    expect(d.effects.some((e) => e.type === 'schedule-wake')).toBe(false);
  });

  it('takes either only for the attempt in flight', () => {
    const state = dispatched();
    expect(decide(state, result(2, { kind: 'erased', provider: 'sendgrid' }), ctx()).changed).toBe(false);
    expect(decide(state, result(2, { kind: 'undecryptable', provider: 'sendgrid' }), ctx()).changed).toBe(false);
  });
});

describe('erase', () => {
  /** True when the state holds nothing of the customer's. */
  function expectStripped(state: NotificationState | undefined) {
    const s = must(state);
    expect(s.erased).toBe(true);
    expect(s.customerId).toBe('');
    for (const field of ['to', 'content', 'metadata'] as const) expect(s).not.toHaveProperty(field);
    return s;
  }

  it('cancels a scheduled notification (customer_erased), drops its reminder, tells listeners, and strips it', () => {
    const d = decide(later({ to }), erase(), ctx({ now: at(5) }));
    expect(d.changed).toBe(true);
    const s = expectStripped(d.state);
    expect(s.status).toBe('canceled');
    expect(s).not.toHaveProperty('wakeAt');
    expect(s.timeline).toEqual([
      { at: '2026-11-25T09:59:59.000Z', status: 'accepted', channel: 'email', attempt: 0 },
      { at: t0.toISOString(), status: 'scheduled', channel: 'email', attempt: 0 },
      { at: at(5).toISOString(), status: 'canceled', channel: 'email', attempt: 0, reason: 'customer_erased' },
    ]);
    expect(d.effects).toEqual([{ type: 'cancel-wake' }, { type: 'notify', index: 2 }, { type: 'unwatch' }]);
    expect(isSettled(s)).toBe(true);
  });

  it('cancels a dispatched notification too, and takes it off the watchdog list', () => {
    const d = decide(dispatched({ to }), erase(), ctx());
    const s = expectStripped(d.state);
    expect(s.status).toBe('canceled');
    expect(s).not.toHaveProperty('dueBy');
    expect(s).not.toHaveProperty('handoffs');
    expect(d.effects).toEqual([{ type: 'notify', index: 2 }, { type: 'unwatch' }]);
  });

  it('cancels a retrying notification and its reminder', () => {
    const retrying = must(decide(dispatched(), transient(1), ctx()).state);
    const d = decide(retrying, erase(), ctx());
    expect(expectStripped(d.state).status).toBe('canceled');
    expect(d.effects).toEqual([{ type: 'cancel-wake' }, { type: 'notify', index: 3 }, { type: 'unwatch' }]);
  });

  it('strips a settled notification without a new status: no effects, every entry bare', () => {
    const wasSent = must(decide(dispatched(), sent(1), ctx()).state);
    const withReason = must(decide(wasSent, bounced({ status: 'delivered', reason: 'delivered to a@example.com' }), ctx()).state);
    const d = decide(withReason, erase(), ctx());
    expect(d.changed).toBe(true);
    expect(d.effects).toEqual([]);
    const s = expectStripped(d.state);
    expect(s.status).toBe('delivered');
    for (const e of s.timeline) expect(Object.keys(e).sort()).toEqual(['at', 'attempt', 'channel', 'status']);
    expect(s.timeline.map((e) => e.status)).toEqual(['accepted', 'dispatched', 'sent', 'delivered']);
  });

  it('keeps the reason customer_erased of an end the channel reported before the erasure reached the actor', () => {
    const endedByChannel = must(decide(dispatched(), result(1, { kind: 'erased', provider: 'sendgrid' }), ctx()).state);
    const s = expectStripped(decide(endedByChannel, erase(), ctx()).state);
    expect(s.timeline.at(-1)).toEqual({ at: t0.toISOString(), status: 'canceled', channel: 'email', attempt: 1, reason: 'customer_erased' });
  });

  it('is idempotent: a second erase changes nothing', () => {
    const once = must(decide(later(), erase(), ctx()).state);
    expect(decide(once, erase(), ctx({ now: at(60_000) }))).toEqual({ state: once, effects: [], changed: false });
  });

  it("changes nothing for another tenant's notification, or none", () => {
    const state = later();
    expect(decide(state, erase('tenant-b'), ctx())).toEqual({ state, effects: [], changed: false });
    expect(decide(undefined, erase(), ctx())).toEqual({ state: undefined, effects: [], changed: false });
  });

  it("keeps only the status of a provider's later callback, whose reason may quote an address", () => {
    const erased = must(decide(must(decide(dispatched(), sent(1), ctx()).state), erase(), ctx()).state);
    expect(erased.status).toBe('sent');
    const d = decide(erased, bounced(), ctx());
    expect(d.state?.status).toBe('bounced');
    expect(d.state?.timeline.at(-1)).toEqual({ at: '2026-11-25T10:00:03Z', status: 'bounced', channel: 'email', attempt: 1 });
    expect(statusEventOf(must(d.state), 3)).not.toHaveProperty('reason');
  });

  it('sends nothing again afterwards: a redelivered accept owes only the last status event, a late report changes nothing', () => {
    const erased = must(decide(dispatched(), erase(), ctx()).state);
    expect(decide(erased, { type: 'accept', accepted: acceptedOf(), preferences: none }, ctx())).toEqual({ state: erased, effects: [{ type: 'notify', index: 2 }], changed: false });
    expect(decide(erased, sent(1), ctx()).changed).toBe(false);
    expect(decide(erased, { type: 'cancel', tenantId: 'tenant-a' }, ctx()).changed).toBe(false);
    expect(() => sendOf(erased)).toThrow('no content');
  });

  it("announces its status changes without the customer's id or metadata", () => {
    const erased = must(decide(later(), erase(), ctx()).state);
    const event = statusEventOf(erased, 2);
    expect(event).toEqual({
      schemaVersion: 1,
      id: `${ID}.2`,
      type: 'notification.status',
      tenantId: 'tenant-a',
      notificationId: ID,
      customerId: ERASED_CUSTOMER,
      at: t0.toISOString(),
      status: 'canceled',
      channel: 'email',
      attempt: 0,
      reason: 'customer_erased',
    });
  });

  it('shows a view without customer or metadata, and its stored form still reads as a stored notification', () => {
    const before = toView(later());
    expect(before).toMatchObject({ customerId: 'c-1', metadata });
    const erased = must(decide(later(), erase(), ctx()).state);
    const view = toView(erased);
    expect(view).not.toHaveProperty('customerId');
    expect(view).not.toHaveProperty('metadata');
    expect(view).toMatchObject({ id: ID, tenantId: 'tenant-a', status: 'canceled', attempts: 0 });
    const stored = StoredNotificationSchema.parse(JSON.parse(JSON.stringify(erased)));
    expect(stored).toMatchObject({ customerId: '', status: 'canceled' });
    expect(stored).not.toHaveProperty('metadata');
  });
});
