import { ChannelSchema, PrioritySchema, type Priority } from '@herald/contracts';
import { Counter, Gauge, Histogram, LATENCY_BUCKETS, stopwatch, type Registry } from '@herald/service';
import type { BacklogSnapshot } from './backlog-monitor.js';

// Intake's metrics (README, "Metrics"). Counting costs a label lookup and an add per
// notification; the backlog gauges are read from the monitor's last reading when Prometheus
// scrapes, so they cost nothing per request.

/** What the accept routes count; every method is cheap and never throws. */
export interface AcceptMetrics {
  accepted(tenantId: string, lane: Priority, count: number): void;
  /** `reason`: the refusal's error code (`validation_failed`, `quota_exceeded`, `lane_overloaded`, ...). */
  refused(reason: string, count?: number): void;
  /** One accept request answered, `route` the single or the batch route, after `seconds`. */
  answered(route: 'single' | 'batch', status: number, seconds: number): void;
}

export const noAcceptMetrics: AcceptMetrics = { accepted: () => undefined, refused: () => undefined, answered: () => undefined };

/** Error codes are Herald's own few (api-error.ts); anything else would be a bug, counted as `other`. */
const REASON = /^[a-z][a-z_]{0,40}$/;

export interface IntakeMetricsOptions {
  /** A tenant's class (TENANT_QUOTAS' `class`, `standard` unless set): a label bounded by the configuration, never the tenant. */
  tenantClassOf(tenantId: string): string;
  /** The backlog monitor's last reading, for the lane and queue gauges. */
  backlog(): BacklogSnapshot;
}

export function createIntakeMetrics(registry: Registry, opts: IntakeMetricsOptions): AcceptMetrics {
  const accepted = new Counter({
    name: 'herald_notifications_accepted_total',
    help: 'Notifications accepted (answered 202) by lane and tenant class',
    labelNames: ['lane', 'tenant_class'],
    registers: [registry],
  });
  const refused = new Counter({ name: 'herald_notifications_refused_total', help: 'Notifications refused at intake, by error code', labelNames: ['reason'], registers: [registry] });
  const duration = new Histogram({
    name: 'herald_accept_request_duration_seconds',
    help: 'Time to answer an accept request (single or batch), by route and status class',
    labelNames: ['route', 'status'],
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  for (const lane of PrioritySchema.options) accepted.inc({ lane, tenant_class: 'standard' }, 0);

  const snapshot = () => opts.backlog();
  new Gauge({
    name: 'herald_lane_backlog',
    help: 'Notifications in a lane not yet handed to a provider, by stage: stream (not yet taken by the dispatcher), taken (held by the dispatcher), queued (in channel queues), in_hand (held by channel apps)',
    labelNames: ['lane', 'stage'],
    registers: [registry],
    collect() {
      for (const lane of PrioritySchema.options) {
        const l = snapshot().lanes[lane];
        this.set({ lane, stage: 'stream' }, l.streamLag);
        this.set({ lane, stage: 'taken' }, l.streamPending);
        this.set({ lane, stage: 'queued' }, l.queued);
        this.set({ lane, stage: 'in_hand' }, l.inHand ?? 0);
      }
    },
  });
  new Gauge({
    name: 'herald_lane_oldest_age_seconds',
    help: "Age of the lane stream's oldest entry the dispatcher has not acknowledged",
    labelNames: ['lane'],
    registers: [registry],
    collect() {
      for (const lane of PrioritySchema.options) this.set({ lane }, (snapshot().lanes[lane].oldestWaitingMs ?? 0) / 1000);
    },
  });
  new Gauge({
    name: 'herald_lane_drain_per_second',
    help: 'How fast a lane drains (smoothed): dispatches the channel apps finished, per second',
    labelNames: ['lane'],
    registers: [registry],
    collect() {
      for (const lane of PrioritySchema.options) this.set({ lane }, snapshot().lanes[lane].drainPerSecond);
    },
  });
  new Gauge({
    name: 'herald_channel_queue_depth',
    help: 'Messages waiting in a channel queue (RabbitMQ), by channel and lane',
    labelNames: ['channel', 'lane'],
    registers: [registry],
    collect() {
      for (const lane of PrioritySchema.options) {
        const byChannel = snapshot().lanes[lane].queuedByChannel ?? {};
        for (const channel of ChannelSchema.options) this.set({ channel, lane }, byChannel[channel] ?? 0);
      }
    },
  });
  new Gauge({
    name: 'herald_backlog_reading_age_seconds',
    help: "Age of the backlog monitor's last successful reading (admission control decides on it)",
    registers: [registry],
    collect() {
      const at = snapshot().observedAt;
      this.set(at === 0 ? 0 : (Date.now() - at) / 1000);
    },
  });

  return {
    accepted(tenantId, lane, count) {
      accepted.inc({ lane, tenant_class: opts.tenantClassOf(tenantId) }, count);
    },
    refused(reason, count = 1) {
      refused.inc({ reason: REASON.test(reason) ? reason : 'other' }, count);
    },
    answered(route, status, seconds) {
      duration.observe({ route, status: `${Math.floor(status / 100)}xx` }, seconds);
    },
  };
}

interface CountedRequest {
  tenantId: string;
  body: unknown;
}

const laneOf = (request: unknown): Priority => {
  const priority = request !== null && typeof request === 'object' ? (request as { priority?: unknown }).priority : undefined;
  return priority === 'critical' ? 'critical' : 'bulk';
};
const codeOf = (json: unknown): string => {
  const error = json !== null && typeof json === 'object' ? (json as { error?: { code?: unknown } }).error : undefined;
  return typeof error?.code === 'string' ? error.code : 'other';
};

/**
 * Wraps an accept route so each notification it answers is counted once, accepted (by lane and
 * tenant class) or refused (by code), whichever server serves it (the lean path or express).
 */
export function countedAccepts<R extends CountedRequest, A extends { status: number; json: unknown }>(
  route: (req: R) => Promise<A>,
  kind: 'single' | 'batch',
  metrics: AcceptMetrics = noAcceptMetrics,
): (req: R) => Promise<A> {
  return async (req) => {
    const elapsed = stopwatch();
    const answer = await route(req);
    metrics.answered(kind, answer.status, elapsed());
    if (kind === 'single') {
      if (answer.status === 202) metrics.accepted(req.tenantId, laneOf(req.body), 1);
      else metrics.refused(codeOf(answer.json));
      return answer;
    }
    const results = (answer.json as { results?: unknown }).results;
    const items = (req.body as { notifications?: unknown } | undefined)?.notifications;
    if (!Array.isArray(results)) {
      // Refused whole (invalid, over quota): each notification it carried is refused.
      metrics.refused(codeOf(answer.json), Array.isArray(items) ? Math.max(1, items.length) : 1);
      return answer;
    }
    for (const item of results as Array<{ index: number; status: string; error?: { code?: unknown } }>) {
      if (item.status === 'accepted') metrics.accepted(req.tenantId, laneOf(Array.isArray(items) ? items[item.index] : undefined), 1);
      else metrics.refused(codeOf(item));
    }
    return answer;
  };
}
