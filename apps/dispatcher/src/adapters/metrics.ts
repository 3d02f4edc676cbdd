import { ChannelSchema, PrioritySchema, type Channel } from '@herald/contracts';
import { laneTopic } from '@herald/dapr';
import { Counter, Histogram, LATENCY_BUCKETS, readGauge, WAIT_BUCKETS, type Registry } from '@herald/service';
import type { Redis, RedisKeys } from '@herald/stores';
import { isSettled, isWaiting, type NotificationEvent, type NotificationState } from '../domain/notification-machine.js';

// The dispatcher's metrics (README, "Metrics"): what the notifications' actors decide, their
// reminders and watchdog, the lanes' dead letters and the webhook deliveries. A turn's counts are
// read off its state before and after (one comparison, no store call); the gauges that need
// Redis are read when Prometheus scrapes.

/** What the notification actor reports after each saved change. */
export interface ActorMetrics {
  changed(before: NotificationState | undefined, after: NotificationState, event: NotificationEvent, now: Date): void;
}

/** What the webhook deliverer reports. */
export interface WebhookMetrics {
  /** `delivered`, `failed` (to be retried), `given_up` (its last attempt failed), `dropped` (endpoint removed). */
  delivery(outcome: 'delivered' | 'failed' | 'given_up' | 'dropped', count?: number): void;
  /** One POST to an endpoint, answered or not, after `seconds`. */
  post(seconds: number): void;
}

export const noActorMetrics: ActorMetrics = { changed: () => undefined };
export const noWebhookMetrics: WebhookMetrics = { delivery: () => undefined, post: () => undefined };

const channelOf = (s: NotificationState): Channel | 'none' => s.channels[s.channelIndex] ?? s.channels[s.channels.length - 1] ?? 'none';

/** When the notification became due: accepted, or its send time when that came later. */
function dueAt(s: NotificationState): number {
  const accepted = Date.parse(s.createdAt);
  return s.sendAt ? Math.max(accepted, Date.parse(s.sendAt)) : accepted;
}

export interface DispatcherMetricsOptions {
  redis: Redis;
  keys: RedisKeys;
  topicPrefix: string;
}

export function createDispatcherMetrics(registry: Registry, opts: DispatcherMetricsOptions): { actor: ActorMetrics; webhooks: WebhookMetrics } {
  const completed = new Counter({
    name: 'herald_notifications_completed_total',
    help: "Notifications whose own work ended, by lane, last channel and status (sent, suppressed, failed, expired, canceled); each is counted once, when it first settles",
    labelNames: ['lane', 'channel', 'status'],
    registers: [registry],
  });
  const reports = new Counter({
    name: 'herald_delivery_reports_total',
    help: "Providers' delivery reports that changed a sent notification (delivered, bounced, undeliverable), by channel",
    labelNames: ['channel', 'status'],
    registers: [registry],
  });
  const acceptToSent = new Histogram({
    name: 'herald_accept_to_sent_seconds',
    help: 'From acceptance (or the requested send time, when later) to the provider accepting the notification, by lane and channel',
    labelNames: ['lane', 'channel'],
    buckets: WAIT_BUCKETS,
    registers: [registry],
  });
  const dispatches = new Counter({ name: 'herald_dispatches_total', help: 'Attempts handed to a channel queue, by lane and channel', labelNames: ['lane', 'channel'], registers: [registry] });
  const retries = new Counter({ name: 'herald_retries_total', help: 'Notifications that went to retrying (a transient failure or an open breaker), by lane and channel', labelNames: ['lane', 'channel'], registers: [registry] });
  const lateness = new Histogram({
    name: 'herald_reminder_lateness_seconds',
    help: "How late an actor's wake-up reminder fired after the time it was set for",
    buckets: LATENCY_BUCKETS.concat([60, 120, 300]),
    registers: [registry],
  });
  const watchdog = new Counter({
    name: 'herald_watchdog_wakeups_total',
    help: "Notifications the watchdog woke: a dispatch whose report was overdue (dispatch), or a wait whose reminder never fired (wait)",
    labelNames: ['kind'],
    registers: [registry],
  });
  for (const lane of PrioritySchema.options) {
    for (const channel of ChannelSchema.options) {
      dispatches.inc({ lane, channel }, 0);
      retries.inc({ lane, channel }, 0);
      completed.inc({ lane, channel, status: 'sent' }, 0);
      completed.inc({ lane, channel, status: 'failed' }, 0);
    }
  }
  for (const kind of ['dispatch', 'wait']) watchdog.inc({ kind }, 0);

  const webhookDeliveries = new Counter({ name: 'herald_webhook_deliveries_total', help: 'Webhook deliveries by outcome: delivered, failed (to be retried), given_up, dropped', labelNames: ['outcome'], registers: [registry] });
  for (const outcome of ['delivered', 'failed', 'given_up', 'dropped']) webhookDeliveries.inc({ outcome }, 0);
  const webhookPost = new Histogram({ name: 'herald_webhook_post_duration_seconds', help: "Time for a webhook endpoint to answer Herald's POST", buckets: LATENCY_BUCKETS, registers: [registry] });

  const { redis, keys } = opts;
  readGauge(
    registry,
    { name: 'herald_reminders_pending', help: "Notifications waiting on a wake-up reminder (a send time, quiet hours, a retry's backoff), shared by every dispatcher replica" },
    async (set) => set(await redis.zCard(keys.waits())),
  );
  readGauge(
    registry,
    { name: 'herald_dispatches_pending', help: "Notifications handed to a channel queue and awaiting the channel's report, shared by every dispatcher replica" },
    async (set) => set(await redis.zCard(keys.deadlines())),
  );
  readGauge(
    registry,
    {
      name: 'herald_watchdog_overdue_entries',
      help: "Watchdog entries past their time that no replica has handled yet: a dispatch's report deadline (dispatch), a reminder 65 s past its time (wait)",
      labelNames: ['list'],
    },
    async (set) => {
      const now = Date.now();
      set(await redis.zCount(keys.deadlines(), '-inf', now), { list: 'dispatch' });
      set(await redis.zCount(keys.waits(), '-inf', now), { list: 'wait' });
    },
  );
  readGauge(
    registry,
    { name: 'herald_dead_letters', help: 'Lane messages parked on the dead-letter topic since the count began, by lane (a count kept in Redis, shared by every replica)', labelNames: ['lane'] },
    async (set) => {
      const stats = await redis.hGetAll(keys.stats());
      for (const lane of PrioritySchema.options) set(Number(stats[`dead_letters:${laneTopic(lane, opts.topicPrefix)}`] ?? 0), { lane });
    },
  );

  return {
    actor: {
      changed(before, after, event, now) {
        const lane = after.priority;
        const channel = channelOf(after);
        if (after.status === 'dispatched' && (before?.status !== 'dispatched' || before.attempt !== after.attempt)) dispatches.inc({ lane, channel });
        if (after.status === 'retrying' && before?.status !== 'retrying') retries.inc({ lane, channel });
        if (isSettled(after) && !(before && isSettled(before))) {
          completed.inc({ lane, channel, status: after.status });
          if (after.status === 'sent') acceptToSent.observe({ lane, channel }, Math.max(0, now.getTime() - dueAt(after)) / 1000);
        } else if (before?.status === 'sent' && after.status !== 'sent' && isSettled(after)) {
          reports.inc({ channel, status: after.status });
        }
        if (event.type === 'wake' && before?.wakeAt) lateness.observe(Math.max(0, now.getTime() - Date.parse(before.wakeAt)) / 1000);
        if (event.type === 'overdue' && before) {
          if (before.status === 'dispatched') watchdog.inc({ kind: 'dispatch' });
          else if (isWaiting(before)) watchdog.inc({ kind: 'wait' });
        }
      },
    },
    webhooks: {
      delivery(outcome, count = 1) {
        webhookDeliveries.inc({ outcome }, count);
      },
      post(seconds) {
        webhookPost.observe(seconds);
      },
    },
  };
}
