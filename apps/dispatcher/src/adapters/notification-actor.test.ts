import type { NotificationAccepted } from '@herald/contracts';
import { createLogger } from '@herald/service';
import { createActorStateCache, type ActorStateStore, type ActorTurn, type ReminderPort, type ReminderSpec } from '@herald/dapr';
import type { NotificationState } from '../domain/notification-machine.js';
import { createNotificationActor, WAKE_REMINDER } from './notification-actor.js';

const log = createLogger('test', 'silent');
const ID = 'ntf_01jd0000000000000000000000';
const t0 = Date.parse('2026-11-25T10:00:00.000Z');
const RETENTION_S = 30 * 86_400;

const acceptedOf = (over: Partial<NotificationAccepted['request']> = {}): NotificationAccepted => ({
  schemaVersion: 1,
  id: ID,
  tenantId: 'tenant-a',
  acceptedAt: new Date(t0).toISOString(),
  request: { customerId: 'c-1', channel: 'sms', priority: 'critical', to: { phone: '+14155550100' }, content: { text: 'Your code' }, ...over },
});

function setup() {
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
  const published: Array<{ pubsub: string; topic: string; data: unknown; metadata?: Record<string, string> | undefined }> = [];
  const reminders: Array<{ id: string; name: string; spec: ReminderSpec }> = [];
  let publishFails = false;
  const sidecar: ReminderPort = {
    async registerReminder(_type, id, name, spec) {
      reminders.push({ id, name, spec });
    },
    async deleteReminder() {},
  };
  /** The watchdog's list as the actor leaves it; `order` has list writes and state saves in turn. */
  const watched = new Map<string, number>();
  const events: Array<{ status: string; id: string }> = [];
  const actor = createNotificationActor({
    sidecar,
    dispatches: {
      async publish(pubsub, topic, data, metadata) {
        if (publishFails) return 'queue down';
        published.push({ pubsub, topic, data, metadata });
        return undefined;
      },
    },
    log,
    topicPrefix: 'run1-',
    policy: { maxAttempts: 3, baseDelayMs: 1_000, maxDelayMs: 60_000 },
    dispatch: { timeoutMs: 300_000, maxHandoffs: 3 },
    deadlines: {
      async watch(id, atMs) {
        order.push('watch');
        watched.set(id, atMs);
      },
      async unwatch(id) {
        order.push('unwatch');
        watched.delete(id);
      },
    },
    preferences: async () => ({ kind: 'none' }),
    retentionSeconds: RETENTION_S,
    statusEvents: {
      async enqueue(e) {
        order.push(`event:${e.status}`);
        events.push({ status: e.status, id: e.id });
      },
    },
    now: () => new Date(clock),
    random: () => 0.5,
  });
  const turn = (): ActorTurn => ({ actorType: 'NotificationActor', id: ID, state: cache.handle('NotificationActor', ID) });
  const call = (method: string, body?: unknown) => actor.methods[method]!(turn(), body);
  const remind = (name: string) => actor.reminders[name]!(turn(), {});
  return {
    actor, call, remind, cache, store, stored, published, reminders, watched, order, events,
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
    const result = {
      schemaVersion: 1, notificationId: ID, attempt: 1, channel: 'sms', at: new Date(t0 + 50).toISOString(),
      outcome: { kind: 'sent', provider: 'sandbox', providerMessageId: 'sb-1' },
    };
    expect(await s.call('recordResult', result)).toEqual({ status: 'sent' });
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
    await s.call('recordResult', { schemaVersion: 1, notificationId: ID, attempt: 1, channel: 'sms', at: new Date(t0).toISOString(), outcome: { kind: 'sent', provider: 'sandbox', providerMessageId: 'sb-1' } });
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
  });
});
