import { SealedDispatchSchema, type NotificationAccepted, type SealedRequest, type StatusEvent, type StoredProfile } from '@herald/contracts';
import { createLogger, createTracing, type Tracing } from '@herald/service';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { createActorStateCache, type ActorStateStore, type ActorTurn, type ReminderPort, type ReminderSpec } from '@herald/dapr';
import { newDataKey, seal } from '@herald/stores';
import type { NotificationState } from '../domain/notification-machine.js';
import type { CustomerLookup } from './customer-reader.js';
import { createNotificationActor, WAKE_REMINDER } from './notification-actor.js';

const log = createLogger('test', 'silent');
const ID = 'ntf_01jd0000000000000000000000';
const t0 = Date.parse('2026-11-25T10:00:00.000Z');
const RETENTION_S = 30 * 86_400;

// Sealed as intake seals them: the actor keeps and forwards them, and never opens them.
const key = newDataKey();
const sealed = (text: string) => seal(key, { tenantId: 'tenant-a', customerId: 'c-1' }, text);
const PHONE = sealed('+14155550100');
const CONTENT = sealed(JSON.stringify({ text: 'Your code' }));
const METADATA = { orderId: sealed('order-42') };
const PROFILE: StoredProfile = {
  email: sealed('profile@example.com'),
  phone: sealed('+14155550199'),
  devices: [{ id: 'dev-1', platform: 'apns', token: sealed('apns-token-1') }],
  updatedAt: new Date(t0).toISOString(),
};

const acceptedOf = (over: Partial<SealedRequest> = {}): NotificationAccepted => ({
  schemaVersion: 2,
  id: ID,
  tenantId: 'tenant-a',
  acceptedAt: new Date(t0).toISOString(),
  request: { customerId: 'c-1', channel: 'sms', priority: 'critical', to: { phone: PHONE }, content: CONTENT, metadata: METADATA, ...over },
});
const sentResult = (attempt = 1, channel = 'sms') => ({
  schemaVersion: 1, notificationId: ID, attempt, channel, at: new Date(t0 + 50).toISOString(),
  outcome: { kind: 'sent', provider: 'sandbox', providerMessageId: 'sb-1' },
});

function setup(tracing?: Tracing) {
  let clock = t0;
  const stored = new Map<string, unknown>();
  const order: string[] = [];
  const store = { reads: 0, saves: 0, failSaves: false, ttls: [] as Array<number | undefined> };
  const stateStore: ActorStateStore = {
    async get(_type, id) {
      store.reads++;
      return stored.get(id);
    },
    async save(_type, id, _key, value, opts) {
      store.saves++;
      order.push('save');
      store.ttls.push(opts?.ttlSeconds);
      if (store.failSaves) throw new Error('state store down');
      stored.set(id, value);
    },
  };
  const cache = createActorStateCache(stateStore, { idleMs: 60_000, maxActors: 100, now: () => clock });
  const published: Array<{ pubsub: string; topic: string; data: unknown; metadata?: Record<string, string> | undefined; traceparent?: string | undefined }> = [];
  const reminders: Array<{ id: string; name: string; spec: ReminderSpec }> = [];
  const deletedReminders: string[] = [];
  let publishFails = false;
  const sidecar: ReminderPort = {
    async registerReminder(_type, id, name, spec) {
      reminders.push({ id, name, spec });
    },
    async deleteReminder(_type, id, name) {
      deletedReminders.push(`${id}/${name}`);
    },
  };
  /** The customer's records as the reader answers them, and how many times it was asked. */
  const customer = { lookup: { kind: 'found', records: {} } as CustomerLookup, reads: 0 };
  /** The watchdog's list as the actor leaves it; `order` has list writes and state saves in turn. */
  const watched = new Map<string, number>();
  /** Each move on the watchdog's lists: `id: from -> to`. */
  const lists: string[] = [];
  const events: StatusEvent[] = [];
  const actor = createNotificationActor({
    sidecar,
    dispatches: {
      async publish(pubsub, topic, data, metadata, traceparent) {
        if (publishFails) return 'queue down';
        published.push({ pubsub, topic, data, metadata, ...(traceparent ? { traceparent } : {}) });
        return undefined;
      },
    },
    log,
    topicPrefix: 'run1-',
    policy: { maxAttempts: 3, baseDelayMs: 1_000, maxDelayMs: 60_000 },
    dispatch: { timeoutMs: 300_000, maxHandoffs: 3 },
    deadlines: {
      async watch(id, atMs, list, from) {
        order.push('watch');
        watched.set(id, atMs);
        lists.push(`${id}: ${from ?? '-'} -> ${list ?? '-'}`);
      },
      async unwatch(id, list) {
        order.push('unwatch');
        watched.delete(id);
        lists.push(`${id}: ${list ?? 'any'} -> -`);
      },
    },
    customers: async () => {
      customer.reads++;
      return customer.lookup;
    },
    retentionSeconds: RETENTION_S,
    statusEvents: {
      async enqueue(e) {
        order.push(`event:${e.status}`);
        events.push(e);
      },
    },
    now: () => new Date(clock),
    random: () => 0.5,
    ...(tracing ? { tracing } : {}),
  });
  /** `traceparent`: the header daprd delivers the call with. */
  const turn = (traceparent?: string): ActorTurn => ({ actorType: 'NotificationActor', id: ID, state: cache.handle('NotificationActor', ID), traceparent });
  const call = (method: string, body?: unknown, traceparent?: string) => actor.methods[method]!(turn(traceparent), body);
  const remind = (name: string, traceparent?: string) => actor.reminders[name]!(turn(traceparent), {});
  return {
    actor, call, remind, cache, store, stored, published, reminders, deletedReminders, watched, lists, order, events, customer,
    advance: (ms: number) => (clock += ms),
    failPublish: (on: boolean) => (publishFails = on),
  };
}

describe('NotificationActor on the actor host', () => {
  it('accepts a new notification: one read that finds nothing, one save, then the send to its lane queue', async () => {
    const s = setup();
    expect(await s.call('accept', { event: acceptedOf() })).toEqual({ status: 'dispatched' });
    expect({ reads: s.store.reads, saves: s.store.saves }).toEqual({ reads: 1, saves: 1 });
    expect(s.published).toEqual([
      expect.objectContaining({ pubsub: 'channels-critical', topic: 'run1-sms-critical', metadata: { priority: '1' } }),
    ]);
    // A critical notification with its recipient reads nothing of its customer.
    expect(s.customer.reads).toBe(0);
  });

  it('keeps and forwards the sealed values as received: the state and the dispatch hold no plaintext', async () => {
    const s = setup();
    await s.call('accept', { event: acceptedOf() });
    expect(s.stored.get(ID)).toMatchObject({ to: { phone: PHONE }, content: CONTENT, metadata: METADATA });
    const dispatch = SealedDispatchSchema.parse(s.published[0]?.data);
    expect(dispatch).toEqual({
      schemaVersion: 2, notificationId: ID, tenantId: 'tenant-a', customerId: 'c-1', attempt: 1, channel: 'sms', priority: 'critical', to: { phone: PHONE }, content: CONTENT,
    });
    expect(JSON.stringify([...s.stored.values(), ...s.published, ...s.events])).not.toMatch(/4155550100|Your code|order-42/);
    // Status events carry the metadata sealed: the webhook deliverer opens it.
    expect(s.events.map((e) => e.metadata)).toEqual([METADATA, METADATA]);
  });

  it('takes a redelivered accept as the same event: no second save, the owed send again', async () => {
    const s = setup();
    await s.call('accept', { event: acceptedOf() });
    expect(await s.call('accept', { event: acceptedOf() })).toEqual({ status: 'dispatched' });
    expect({ reads: s.store.reads, saves: s.store.saves }).toEqual({ reads: 1, saves: 1 });
    expect(s.published).toHaveLength(2);
  });

  it('reads the store for a redelivered accept reaching a new activation, and finds the notification there', async () => {
    const s = setup();
    await s.call('accept', { event: acceptedOf() });
    s.cache.evict('NotificationActor', ID);
    expect(await s.call('accept', { event: acceptedOf() })).toEqual({ status: 'dispatched' });
    expect({ reads: s.store.reads, saves: s.store.saves }).toEqual({ reads: 2, saves: 1 });
    expect(s.published).toHaveLength(2);
  });

  it("records the channel's result from memory while active, and reads the store once deactivated", async () => {
    const s = setup();
    await s.call('accept', { event: acceptedOf() });
    expect(await s.call('recordResult', sentResult())).toEqual({ status: 'sent' });
    expect({ reads: s.store.reads, saves: s.store.saves }).toEqual({ reads: 1, saves: 2 });
    // Kept while it is on its way; once sent, for the retention period only.
    expect(s.store.ttls).toEqual([undefined, RETENTION_S]);

    s.cache.evict('NotificationActor', ID);
    const view = (await s.call('view')) as { status: string; timeline: Array<{ status: string }> };
    expect(view.status).toBe('sent');
    expect(view.timeline.map((e) => e.status)).toEqual(['accepted', 'dispatched', 'sent']);
    expect(s.store.reads).toBe(2);
  });

  it('answers view null and cancel not_found for a notification that does not exist, writing nothing', async () => {
    const s = setup();
    expect(await s.call('view')).toBeNull();
    expect(await s.call('cancel', { tenantId: 'tenant-a' })).toEqual({ outcome: 'not_found' });
    expect(s.store.saves).toBe(0);
  });

  it('fails the turn and forgets what it read when the save fails: nothing goes out, the next turn reads the store', async () => {
    const s = setup();
    s.store.failSaves = true;
    await expect(s.call('accept', { event: acceptedOf() })).rejects.toThrow('state store down');
    expect(s.published).toEqual([]);
    s.store.failSaves = false;
    // The failed turn's read is forgotten: this one reads the store again, and finds nothing.
    expect(await s.call('accept', { event: acceptedOf() })).toEqual({ status: 'dispatched' });
    expect(s.store.reads).toBe(2);
  });

  it('puts a dispatch on the watchdog list before saving it, and takes it off once the channel reports', async () => {
    const s = setup();
    await s.call('accept', { event: acceptedOf() });
    expect(s.order).toEqual(['watch', 'save', 'event:accepted', 'event:dispatched']);
    expect(s.watched.get(ID)).toBe(t0 + 300_000);
    await s.call('recordResult', sentResult());
    expect(s.order).toEqual(['watch', 'save', 'event:accepted', 'event:dispatched', 'save', 'event:sent', 'unwatch']);
    expect(s.watched.size).toBe(0);
  });

  it('keeps the attempt after a failed queue hand-off, and sends that same attempt again once the watchdog finds it due', async () => {
    const s = setup();
    s.failPublish(true);
    expect(await s.call('accept', { event: acceptedOf() })).toEqual({ status: 'dispatched' });
    expect(s.reminders).toEqual([]);
    const state = s.stored.get(ID) as NotificationState;
    expect(state).toMatchObject({ status: 'dispatched', attempt: 1, failedHandoffs: 1 });
    expect(s.watched.get(ID)).toBe(Date.parse(state.dueBy ?? ''));
    // Listeners saw the changes in the order they happened, and nothing for the failed hand-off,
    // which is applied (a new deadline, saved) only once the dispatching turn has told them.
    expect(s.events.map((e) => e.status)).toEqual(['accepted', 'dispatched']);
    expect(s.order).toEqual(['watch', 'save', 'event:accepted', 'event:dispatched', 'watch', 'save']);
    expect(state.timeline.map((e) => e.status)).toEqual(['accepted', 'dispatched', 'dispatched']);

    s.failPublish(false);
    s.advance(60_000);
    expect(await s.call('overdue', {})).toEqual({ status: 'dispatched' });
    expect(s.published).toHaveLength(1);
    expect(s.published[0]?.data).toMatchObject({ notificationId: ID, attempt: 1 });
    expect(s.watched.get(ID)).toBeGreaterThan(t0 + 60_000);
  });

  it('answers the watchdog about a notification it does not know by leaving the list, writing nothing', async () => {
    const s = setup();
    expect(await s.call('overdue', {})).toEqual({ status: 'unknown' });
    expect(s.order).toEqual(['unwatch']);
  });

  it('sends a scheduled notification when its wake reminder fires', async () => {
    const s = setup();
    const sendAt = new Date(t0 + 60_000).toISOString();
    expect(await s.call('accept', { event: acceptedOf({ sendAt }) })).toEqual({ status: 'scheduled' });
    expect(s.reminders).toEqual([{ id: ID, name: WAKE_REMINDER, spec: { dueTime: '60000ms', data: JSON.stringify({ at: sendAt }) } }]);
    expect(s.published).toEqual([]);
    s.advance(60_000);
    await s.remind(WAKE_REMINDER);
    expect(s.published).toHaveLength(1);
    expect((s.stored.get(ID) as NotificationState).status).toBe('dispatched');
    // Waiting, it is on the watchdog's list of waits; dispatched, on the list of dispatches.
    expect(s.lists).toEqual([`${ID}: - -> wait`, `${ID}: wait -> dispatch`]);
    await s.call('recordResult', sentResult());
    expect(s.lists.at(-1)).toBe(`${ID}: dispatch -> -`);
  });

  it("answers the watchdog's early look by putting the entry back on its own list and off the other", async () => {
    const s = setup();
    await s.call('accept', { event: acceptedOf() });
    expect(s.lists).toEqual([`${ID}: - -> dispatch`]);
    // The watchdog found it (on either list, as a failed turn or an older version may leave it)
    // before its deadline: back on the dispatches, and off the waits in the same move.
    await s.call('overdue', {});
    expect(s.lists.at(-1)).toBe(`${ID}: wait -> dispatch`);
  });

  it('registers a new wake-up shortly when the wake-up turn fails, instead of stranding the notification', async () => {
    const s = setup();
    await s.call('accept', { event: acceptedOf({ sendAt: new Date(t0 + 60_000).toISOString() }) });
    s.advance(60_000);
    s.store.failSaves = true;
    await s.remind(WAKE_REMINDER);
    expect(s.reminders.at(-1)).toMatchObject({ id: ID, name: WAKE_REMINDER, spec: { dueTime: '5000ms' } });
  });

  it('refuses a body that is not its command', async () => {
    const s = setup();
    await expect(s.call('accept', { event: { id: ID } })).rejects.toThrow();
    await expect(s.call('cancel', {})).rejects.toThrow();
    await expect(s.call('erase', {})).rejects.toThrow();
    await expect(s.call('erase', { tenantId: '' })).rejects.toThrow();
  });
});

describe("NotificationActor sending to the customer's profile", () => {
  const found = (profile: StoredProfile | undefined, preferences?: { optedOut: Array<'email' | 'sms' | 'push'> }): CustomerLookup => ({
    kind: 'found',
    records: { ...(profile ? { profile } : {}), ...(preferences ? { preferences } : {}) },
  });

  it.each([
    ['email', { email: PROFILE.email }],
    ['sms', { phone: PROFILE.phone }],
    ['push', { devices: PROFILE.devices }],
  ] as const)('takes the %s recipient from the profile when the request has none, and keeps it out of the state', async (channel, expected) => {
    const s = setup();
    s.customer.lookup = found(PROFILE);
    expect(await s.call('accept', { event: acceptedOf({ channel, to: {} }) })).toEqual({ status: 'dispatched' });
    expect(s.published).toHaveLength(1);
    expect(SealedDispatchSchema.parse(s.published[0]?.data).to).toEqual(expected);
    expect((s.stored.get(ID) as NotificationState).to).toEqual({});
    expect(s.customer.reads).toBe(1);
  });

  it('reads the customer once in a turn that checks the preferences and then sends to the profile', async () => {
    const s = setup();
    s.customer.lookup = found(PROFILE, { optedOut: ['sms'] });
    // Bulk: the preferences move it past sms, the profile gives the email address.
    await s.call('accept', { event: acceptedOf({ priority: 'bulk', channel: undefined, channels: ['sms', 'email'], to: {} }) });
    expect(s.customer.reads).toBe(1);
    expect(SealedDispatchSchema.parse(s.published[0]?.data)).toMatchObject({ channel: 'email', to: { email: PROFILE.email } });
  });

  it('reads the profile again on a later attempt, so a changed address is used', async () => {
    const s = setup();
    s.customer.lookup = found(PROFILE);
    await s.call('accept', { event: acceptedOf({ to: {} }) });
    await s.call('recordResult', { ...sentResult(), outcome: { kind: 'transient', provider: 'sandbox', reason: 'HTTP 503' } });
    const changed = sealed('+14155550111');
    s.customer.lookup = found({ ...PROFILE, phone: changed });
    s.advance(10_000);
    await s.remind(WAKE_REMINDER);
    expect(s.published.map((p) => SealedDispatchSchema.parse(p.data).to)).toEqual([{ phone: PROFILE.phone }, { phone: changed }]);
    expect(s.customer.reads).toBe(2);
  });

  it('holds the attempt as after a failed hand-off when the profile cannot be read, and sends it once it can', async () => {
    const s = setup();
    s.customer.lookup = { kind: 'unavailable', reason: 'no answer within 2000 ms' };
    expect(await s.call('accept', { event: acceptedOf({ to: {} }) })).toEqual({ status: 'dispatched' });
    expect(s.published).toEqual([]);
    const held = s.stored.get(ID) as NotificationState;
    expect(held).toMatchObject({ status: 'dispatched', attempt: 1, failedHandoffs: 1 });
    expect(held.timeline.at(-1)?.reason).toContain('customer profile unavailable: no answer within 2000 ms');
    expect(s.watched.get(ID)).toBe(Date.parse(held.dueBy ?? ''));

    s.customer.lookup = found(PROFILE);
    s.advance(60_000);
    expect(await s.call('overdue', {})).toEqual({ status: 'dispatched' });
    expect(s.published.map((p) => SealedDispatchSchema.parse(p.data))).toMatchObject([{ attempt: 1, to: { phone: PROFILE.phone } }]);
  });

  it('ends undeliverable (no_contact_point) when the profile has nothing for the only channel, telling listeners', async () => {
    const s = setup();
    s.customer.lookup = found({ email: PROFILE.email, updatedAt: PROFILE.updatedAt });
    expect(await s.call('accept', { event: acceptedOf({ to: {} }) })).toEqual({ status: 'undeliverable' });
    expect(s.published).toEqual([]);
    const state = s.stored.get(ID) as NotificationState;
    expect(state.timeline.at(-1)).toMatchObject({ status: 'undeliverable', channel: 'sms', attempt: 1, reason: 'no_contact_point' });
    expect(s.events.map((e) => e.status)).toEqual(['accepted', 'dispatched', 'undeliverable']);
    expect(s.watched.size).toBe(0);
    expect(s.store.ttls.at(-1)).toBe(RETENTION_S);
  });

  it('falls back to the next channel when a customer without a profile has no contact point for the first', async () => {
    const s = setup();
    s.customer.lookup = found(undefined);
    await s.call('accept', { event: acceptedOf({ channel: undefined, channels: ['email', 'sms'], to: { phone: PHONE } }) });
    expect((s.stored.get(ID) as NotificationState).status).toBe('retrying');
    expect(s.reminders.at(-1)).toMatchObject({ id: ID, name: WAKE_REMINDER, spec: { dueTime: '0ms' } });
    await s.remind(WAKE_REMINDER);
    expect(s.published.map((p) => SealedDispatchSchema.parse(p.data))).toMatchObject([{ channel: 'sms', attempt: 2, to: { phone: PHONE } }]);
  });
});

describe('NotificationActor erase', () => {
  it('cancels a scheduled notification: its reminder goes, listeners hear of it without the customer, and the state keeps nothing of theirs', async () => {
    const s = setup();
    await s.call('accept', { event: acceptedOf({ sendAt: new Date(t0 + 60_000).toISOString() }) });
    expect(await s.call('erase', { tenantId: 'tenant-a' })).toEqual({ outcome: 'erased', canceled: true });
    expect(s.deletedReminders).toEqual([`${ID}/${WAKE_REMINDER}`]);
    const state = s.stored.get(ID) as NotificationState;
    expect(state).toMatchObject({ status: 'canceled', customerId: '', erased: true });
    for (const field of ['to', 'content', 'metadata']) expect(state).not.toHaveProperty(field);
    expect(s.store.ttls.at(-1)).toBe(RETENTION_S);
    const last = s.events.at(-1);
    expect(last).toMatchObject({ status: 'canceled', customerId: 'erased', reason: 'customer_erased' });
    expect(last).not.toHaveProperty('metadata');
    const view = (await s.call('view')) as Record<string, unknown>;
    expect(view).toMatchObject({ id: ID, status: 'canceled' });
    expect(view).not.toHaveProperty('customerId');
    expect(view).not.toHaveProperty('metadata');
  });

  it('cancels a dispatched notification and takes it off the watchdog list', async () => {
    const s = setup();
    await s.call('accept', { event: acceptedOf() });
    expect(await s.call('erase', { tenantId: 'tenant-a' })).toEqual({ outcome: 'erased', canceled: true });
    expect(s.watched.size).toBe(0);
    expect(s.order.slice(-3)).toEqual(['save', 'event:canceled', 'unwatch']);
    // The channel's report of the attempt comes too late to change anything.
    expect(await s.call('recordResult', sentResult())).toEqual({ status: 'canceled' });
  });

  it('strips a settled notification without canceling it, and a second erase changes nothing', async () => {
    const s = setup();
    await s.call('accept', { event: acceptedOf() });
    await s.call('recordResult', sentResult());
    const eventsBefore = s.events.length;
    expect(await s.call('erase', { tenantId: 'tenant-a' })).toEqual({ outcome: 'erased', canceled: false });
    expect(s.stored.get(ID)).toMatchObject({ status: 'sent', customerId: '', erased: true });
    expect(s.events).toHaveLength(eventsBefore);
    const saves = s.store.saves;
    expect(await s.call('erase', { tenantId: 'tenant-a' })).toEqual({ outcome: 'erased', canceled: false });
    expect(s.store.saves).toBe(saves);
    expect(s.deletedReminders).toEqual([]);
  });

  it("answers not_found for another tenant's notification and for none, writing nothing", async () => {
    const s = setup();
    expect(await s.call('erase', { tenantId: 'tenant-a' })).toEqual({ outcome: 'not_found' });
    expect(s.store.saves).toBe(0);
    await s.call('accept', { event: acceptedOf() });
    expect(await s.call('erase', { tenantId: 'tenant-b' })).toEqual({ outcome: 'not_found' });
    expect(s.store.saves).toBe(1);
    expect(s.stored.get(ID)).toMatchObject({ customerId: 'c-1', content: CONTENT });
  });
});

describe('NotificationActor traces', () => {
  const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
  const inTrace = new RegExp(`^00-${TRACE}-([0-9a-f]{16})-01$`);

  async function traced() {
    const spans: ReadableSpan[] = [];
    const exporter: SpanExporter = { export: (batch, done) => (spans.push(...batch), done({ code: 0 })), shutdown: () => Promise.resolve() };
    const tracing = await createTracing('dispatcher', {}, exporter);
    return { spans, tracing, flush: () => tracing.shutdown() };
  }

  it("continues the notification's trace in every turn, a reminder's too, and hands it to the channel with each dispatch", async () => {
    const t = await traced();
    const s = setup(t.tracing);
    const delivered = `00-${TRACE}-00f067aa0ba902b7-01`;
    await s.call('accept', { event: acceptedOf(), traceparent: delivered }, delivered);
    const first = s.published[0];
    const acceptSpan = inTrace.exec(first?.traceparent ?? '')?.[1];
    expect(acceptSpan).toBeDefined();
    expect(SealedDispatchSchema.parse(first?.data).traceparent).toBe(first?.traceparent);
    // Kept for the turns that come without it.
    expect((s.stored.get(ID) as NotificationState).traceparent).toBe(first?.traceparent);

    await s.call('recordResult', { ...sentResult(), outcome: { kind: 'transient', provider: 'sandbox', reason: 'HTTP 503' } }, `00-${TRACE}-b7ad6b7169203331-01`);
    s.advance(10_000);
    // The reminder fires in a trace daprd started: the retry continues the notification's.
    await s.remind(WAKE_REMINDER, '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
    expect(s.published[1]?.traceparent).toMatch(inTrace);
    await t.flush();
    const byName = (name: string) => t.spans.filter((span) => span.name === name);
    expect(t.spans.every((span) => span.spanContext().traceId === TRACE && span.attributes['herald.notification_id'] === ID)).toBe(true);
    expect(byName('actor accept')[0]?.parentSpanContext?.spanId).toBe('00f067aa0ba902b7');
    expect(byName('actor recordResult')[0]?.parentSpanContext?.spanId).toBe('b7ad6b7169203331');
    expect(byName('actor wake')[0]?.parentSpanContext?.spanId).toBe(acceptSpan);
    expect(byName('actor wake')[0]?.attributes).toMatchObject({ 'herald.status': 'dispatched', 'herald.attempt': 2 });
  });

  it('records nothing of a trace its caller did not sample, and keeps it unsampled', async () => {
    const t = await traced();
    const s = setup(t.tracing);
    const unsampled = `00-${TRACE}-00f067aa0ba902b7-00`;
    await s.call('accept', { event: acceptedOf(), traceparent: unsampled }, unsampled);
    expect(s.published[0]?.traceparent).toMatch(new RegExp(`^00-${TRACE}-[0-9a-f]{16}-00$`));
    // Not kept for the later turns: an unsampled trace costs the stored state nothing.
    expect(s.stored.get(ID)).not.toHaveProperty('traceparent');
    await t.flush();
    expect(t.spans).toEqual([]);
  });

  it('keeps no trace context and publishes none when it makes no spans', async () => {
    const s = setup();
    const delivered = `00-${TRACE}-00f067aa0ba902b7-01`;
    await s.call('accept', { event: acceptedOf(), traceparent: delivered }, delivered);
    expect(s.published[0]?.traceparent).toBeUndefined();
    expect(SealedDispatchSchema.parse(s.published[0]?.data).traceparent).toBeUndefined();
    expect(s.stored.get(ID)).not.toHaveProperty('traceparent');
    // The timeline still names the caller's trace.
    expect((s.stored.get(ID) as NotificationState).traceId).toBe(TRACE);
  });
});
