import { PrioritySchema, type Priority } from '@herald/contracts';
import {
  admitLane,
  bulkLimit,
  checkQuota,
  secondsToUtcMidnight,
  withWaitLimit,
  type LaneAdmission,
  type LaneBacklog,
  type LaneState,
  type LaneThresholds,
  type QuotaVerdict,
  type TenantQuota,
  type WaitLimit,
} from '../domain/admission.js';
import type { BacklogMonitor } from './backlog-monitor.js';
import type { QuotaCounter } from './quota-counter.js';

/** Where a lane's backlog waits, as last read (the parts of `backlog`). */
export interface BacklogParts {
  /** Accepted, not yet taken by the dispatcher (the lane stream's lag). */
  stream: number;
  /** Taken by the dispatcher, not yet acknowledged. */
  dispatcher: number;
  /** In the lane's channel queues, not yet taken by a channel app. */
  queues: number;
  /** Held by the channel apps: waiting for a provider token, or being sent. */
  channelApps: number;
}

/** What `GET /v1/admission` shows a tenant. */
export interface AdmissionView {
  lanes: Record<Priority, Omit<LaneAdmission, 'lane'> & { backlogParts: BacklogParts }>;
  observedAt: string | null;
  /** Set when the last reading failed: the lanes show the one before. */
  readingError?: string;
  tenant: {
    tenantId: string;
    /** `bulkLimit`: what requests carrying any bulk notification may use; the rest is kept for critical. */
    requestsPerSecond: { limit: number; bulkLimit: number; used: number };
    notificationsPerDay: { limit: number; bulkLimit: number; used: number; resetsInSeconds: number };
  };
}

export interface AdmissionControl {
  /** Whether the lane takes new notifications now (counting this replica's since the last reading). */
  lane(lane: Priority): LaneAdmission;
  /** Whether the tenant may make one more request, carrying notifications of these lanes (one each). */
  tenant(tenantId: string, lanes: readonly Priority[], now: Date): QuotaVerdict;
  /**
   * Counts notifications against the tenant's quota as soon as their request passed the check,
   * before anything is awaited: a request still sealing or publishing counts for the requests
   * checked meanwhile (without it, a burst of concurrent requests all passed the check).
   */
  reserve(tenantId: string, notifications: number, now: Date): void;
  /** Notes admitted notifications on their lanes' backlog; `perLane` by lane. */
  admitted(perLane: Partial<Record<Priority, number>>): void;
  /** Gives back notifications reserved but not accepted (refused, or their publish failed). */
  refund(tenantId: string, notifications: number, now: Date): void;
  view(tenantId: string, now: Date): AdmissionView;
}

export interface AdmissionOptions {
  monitor: BacklogMonitor;
  quotas: QuotaCounter;
  thresholds: Record<Priority, LaneThresholds>;
  /** A lane with a wait limit also sheds once its backlog would take longer than that to drain. */
  waitLimits?: Partial<Record<Priority, WaitLimit>>;
  quotaOf(tenantId: string): TenantQuota;
}

export function createAdmissionControl(opts: AdmissionOptions): AdmissionControl {
  const states: Record<Priority, LaneState> = { critical: 'admitting', bulk: 'admitting' };

  /** The lane's last reading, with what this replica accepted since counted as waiting in the stream. */
  function backlogOf(name: Priority): LaneBacklog {
    const observed = opts.monitor.snapshot().lanes[name];
    return { ...observed, streamLag: observed.streamLag + opts.monitor.acceptedSinceReading(name) };
  }

  /** Decides the lane on `backlog` (as backlogOf reads it), remembering its new state. */
  function admit(name: Priority, backlog: LaneBacklog): LaneAdmission {
    const thresholds = withWaitLimit(opts.thresholds[name], backlog.peakDrainPerSecond ?? backlog.drainPerSecond, opts.waitLimits?.[name]);
    const decision = admitLane(name, states[name], backlog, thresholds);
    states[name] = decision.state;
    return decision;
  }

  return {
    lane: (name) => admit(name, backlogOf(name)),
    tenant: (tenantId, lanes, now) => checkQuota(opts.quotaOf(tenantId), opts.quotas.usage(tenantId, now), lanes, now),
    reserve: (tenantId, notifications, now) => opts.quotas.record(tenantId, notifications, now),
    admitted(perLane) {
      for (const [name, count] of Object.entries(perLane) as Array<[Priority, number]>) opts.monitor.noteAccepted(name, count);
    },
    refund: (tenantId, notifications, now) => opts.quotas.refund(tenantId, notifications, now),
    view(tenantId, now) {
      const snapshot = opts.monitor.snapshot();
      const quota = opts.quotaOf(tenantId);
      const usage = opts.quotas.usage(tenantId, now);
      const lanes = Object.fromEntries(
        PrioritySchema.options.map((name) => {
          const seen = backlogOf(name);
          const { lane: _lane, ...rest } = admit(name, seen);
          const backlogParts: BacklogParts = {
            stream: seen.streamLag,
            dispatcher: seen.streamPending,
            queues: seen.queued,
            channelApps: seen.inHand ?? 0,
          };
          return [name, { ...rest, backlogParts }];
        }),
      ) as AdmissionView['lanes'];
      return {
        lanes,
        observedAt: snapshot.observedAt > 0 ? new Date(snapshot.observedAt).toISOString() : null,
        ...(snapshot.error ? { readingError: snapshot.error } : {}),
        tenant: {
          tenantId,
          requestsPerSecond: {
            limit: quota.requestsPerSecond,
            bulkLimit: bulkLimit(quota.requestsPerSecond, quota.criticalReserve),
            used: usage.requestsThisSecond,
          },
          notificationsPerDay: {
            limit: quota.notificationsPerDay,
            bulkLimit: bulkLimit(quota.notificationsPerDay, quota.criticalReserve),
            used: usage.notificationsToday,
            resetsInSeconds: secondsToUtcMidnight(now),
          },
        },
      };
    },
  };
}
