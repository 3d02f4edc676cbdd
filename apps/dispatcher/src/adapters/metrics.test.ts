import { Registry } from '@herald/service';
import { redisKeys, type Redis } from '@herald/stores';
import type { NotificationState } from '../domain/notification-machine.js';
import { createDispatcherMetrics } from './metrics.js';

const base: NotificationState = {
  id: 'n1',
  tenantId: 't1',
  customerId: 'c1',
  channels: ['email', 'sms'],
  channelIndex: 0,
  priority: 'critical',
  status: 'accepted',
  attempt: 0,
  channelAttempts: 0,
  createdAt: '2026-12-03T10:00:00.000Z',
  updatedAt: '2026-12-03T10:00:00.000Z',
  timeline: [],
};
const at = (s: number) => new Date(Date.parse('2026-12-03T10:00:00.000Z') + s * 1000);

// The gauges' Redis reads, answered from memory: only the shape of the answers matters here.
const redis = {
  zCard: async () => 7,
  zCount: async () => 2,
  hGetAll: async () => ({ 'dead_letters:p-notifications-critical': '3', 'dead_letters:other': '9' }),
} as unknown as Redis;

function setup() {
  const registry = new Registry();
  const metrics = createDispatcherMetrics(registry, { redis, keys: redisKeys('herald:'), topicPrefix: 'p-' });
  // A histogram's series (`_sum`, `_count`) are values of the histogram, named by `metricName`.
  const value = async (name: string, labels: Record<string, string> = {}) => {
    const base = name.replace(/_(sum|count)$/, '');
    const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name || m.name === base);
    const found = metric?.values.find((v) => ((v as { metricName?: string }).metricName ?? metric.name) === name && Object.entries(labels).every(([k, l]) => v.labels[k] === l));
    return found?.value;
  };
  return { registry, metrics, value };
}

describe('dispatcher metrics', () => {
  it('counts a dispatch, a retry, the settling and accept→sent once each, by lane and channel', async () => {
    const { metrics, value } = setup();
    const dispatched: NotificationState = { ...base, status: 'dispatched', attempt: 1, channelAttempts: 1 };
    metrics.actor.changed(base, dispatched, { type: 'overdue', preferences: { kind: 'none' } }, at(1));
    const retrying: NotificationState = { ...dispatched, status: 'retrying', wakeAt: at(5).toISOString() };
    metrics.actor.changed(dispatched, retrying, { type: 'dispatch-failed', attempt: 1, reason: 'x' }, at(2));
    const again: NotificationState = { ...retrying, status: 'dispatched', attempt: 2, channelIndex: 1 };
    metrics.actor.changed(retrying, again, { type: 'wake', preferences: { kind: 'none' } }, at(7));
    const sent: NotificationState = { ...again, status: 'sent' };
    metrics.actor.changed(again, sent, { type: 'dispatch-failed', attempt: 2, reason: 'x' }, at(12));
    // A provider's delivery report later: a report, not a second completion.
    metrics.actor.changed(sent, { ...sent, status: 'delivered' }, { type: 'dispatch-failed', attempt: 2, reason: 'x' }, at(30));

    expect(await value('herald_dispatches_total', { lane: 'critical', channel: 'email' })).toBe(1);
    expect(await value('herald_dispatches_total', { lane: 'critical', channel: 'sms' })).toBe(1);
    expect(await value('herald_retries_total', { lane: 'critical', channel: 'email' })).toBe(1);
    expect(await value('herald_notifications_completed_total', { lane: 'critical', channel: 'sms', status: 'sent' })).toBe(1);
    expect(await value('herald_notifications_completed_total', { status: 'delivered' })).toBeUndefined();
    expect(await value('herald_delivery_reports_total', { channel: 'sms', status: 'delivered' })).toBe(1);
    expect(await value('herald_accept_to_sent_seconds_sum', { lane: 'critical', channel: 'sms' })).toBe(12);
    // The wake-up came 2 s after the reminder's time.
    expect(await value('herald_reminder_lateness_seconds_sum')).toBe(2);
  });

  it('measures accept→sent from the requested send time when it is later, and counts what the watchdog woke', async () => {
    const { metrics, value } = setup();
    const scheduled: NotificationState = { ...base, priority: 'bulk', status: 'scheduled', sendAt: at(60).toISOString(), wakeAt: at(60).toISOString() };
    metrics.actor.changed(scheduled, { ...scheduled, status: 'dispatched', attempt: 1 }, { type: 'overdue', preferences: { kind: 'none' } }, at(130));
    metrics.actor.changed({ ...scheduled, status: 'dispatched', attempt: 1 }, { ...scheduled, status: 'sent', attempt: 1 }, { type: 'overdue', preferences: { kind: 'none' } }, at(131));
    expect(await value('herald_accept_to_sent_seconds_sum', { lane: 'bulk', channel: 'email' })).toBe(71);
    expect(await value('herald_watchdog_wakeups_total', { kind: 'wait' })).toBe(1);
    expect(await value('herald_watchdog_wakeups_total', { kind: 'dispatch' })).toBe(1);
  });

  it("reads the watchdog's list and the lanes' dead letters from Redis when scraped", async () => {
    const { registry } = setup();
    const text = await registry.metrics();
    expect(text).toContain('herald_reminders_pending 7');
    expect(text).toContain('herald_dispatches_pending 7');
    expect(text).toContain('herald_watchdog_overdue_entries{list="wait"} 2');
    expect(text).toContain('herald_dead_letters{lane="critical"} 3');
    expect(text).toContain('herald_dead_letters{lane="bulk"} 0');
  });
});
