import {
  notificationIdFromIdempotencyKey,
  requestChannels,
  requestFingerprint,
  type NotificationAccepted,
  type NotificationRequest,
  type Priority,
  type SealedRequest,
} from '@herald/contracts';
import { errMessage, noTracing, type Logger, type TraceSpan, type Tracing } from '@herald/service';
import { sealRequest, type DataKey, type DataKeys } from '@herald/stores';
import { acceptedEvent } from '../../domain/accept.js';
import { channelWithoutQueue, NO_QUEUE_RETRY_AFTER_SECONDS } from '../../domain/admission.js';
import { apiError, wrongRegion, type ApiError } from '../../domain/api-error.js';
import type { CustomerHomes, Home } from '../customer-homes.js';
import type { AdmissionControl } from '../admission-control.js';
import type { AcceptMetrics } from '../metrics.js';
import type { IdempotencyStore } from '../idempotency-store.js';
import type { LanePublisher } from '../lane-publisher.js';
import type { NotificationIds } from '../notification-ids.js';
import { mapLimit } from './common.js';

/** A request that passed validation, with the Idempotency-Key it came with, if any. */
export interface Candidate {
  request: NotificationRequest;
  idempotencyKey?: string | undefined;
}

export type ItemResult =
  | { ok: true; id: string }
  | { ok: false; status: 409 | 421 | 429 | 503; error: ApiError['error']; retryAfterSeconds?: number };

export interface AcceptManyDeps {
  idempotency: IdempotencyStore;
  /** Mints the ids of requests without an Idempotency-Key. */
  ids: NotificationIds;
  publisher: LanePublisher;
  admission: AdmissionControl;
  /** The customers' data keys: every request is sealed under its customer's before it goes on. */
  dataKeys: Pick<DataKeys, 'forSealing'>;
  /** Where customers live, when Herald runs as one of several regions; a customer of another region is refused (421). */
  homes?: Pick<CustomerHomes, 'homeOf'> | undefined;
  log: Logger;
  /** Counts what the accept routes answer (metrics.ts); nothing when absent. */
  metrics?: AcceptMetrics | undefined;
  /** Each accepted notification's span, continuing the caller's trace; none when absent. */
  tracing?: Tracing | undefined;
}

/** `make` for each customer once: later calls for the same customer share its promise. */
function oncePerCustomer<T>(make: (customerId: string) => Promise<T>): (customerId: string) => Promise<T> {
  const made = new Map<string, Promise<T>>();
  return (customerId) => {
    let answer = made.get(customerId);
    if (!answer) {
      answer = make(customerId);
      made.set(customerId, answer);
    }
    return answer;
  };
}

/**
 * Accepts validated requests of one tenant, whose quota the caller has already checked: lane
 * admission, sealing under the customer's data key, the Idempotency-Key claims, one publish for
 * all, and the count against the quota. Each result is the request's own: accepted with its id,
 * or refused with why. Nothing refused is left claimed or counted, and nothing leaves here
 * unsealed: without its customer's key a request is refused (503), never passed on in the clear.
 */
export async function acceptMany(
  deps: AcceptManyDeps,
  tenantId: string,
  candidates: readonly Candidate[],
  now: Date,
  traceparent: string | undefined,
): Promise<ItemResult[]> {
  const results = new Array<ItemResult | undefined>(candidates.length);
  const lanes = new Map<Priority, ReturnType<AdmissionControl['lane']>>();
  const laneOf = (lane: Priority) => {
    let decision = lanes.get(lane);
    if (!decision) lanes.set(lane, (decision = deps.admission.lane(lane)));
    return decision;
  };

  // Counted against the quota now, before the first await; what is not accepted is given back.
  deps.admission.reserve(tenantId, candidates.length, now);

  // A batch often holds several notifications of one customer: their key is read once.
  const keyOf = oncePerCustomer((customerId): Promise<DataKey> => {
    const key = deps.dataKeys.forSealing(tenantId, customerId);
    void key.catch((err: unknown) => deps.log.error({ tenantId, err: errMessage(err) }, 'data key unavailable'));
    return key;
  });

  // Where each customer lives, once a customer: after the checks that write nothing (a shed lane
  // claims no customer), before anything of theirs is made or written (their data key, an
  // Idempotency-Key claim), so a customer of another region leaves nothing here.
  const homeOf = oncePerCustomer((customerId): Promise<Home | 'unavailable'> =>
    deps.homes
      ? deps.homes.homeOf(tenantId, customerId, { claim: true }).catch((err: unknown) => {
          deps.log.error({ tenantId, err: errMessage(err) }, 'customer directory unavailable');
          return 'unavailable' as const;
        })
      : Promise.resolve({ here: true as const }),
  );

  // Keys and claims run in parallel (a round trip each, when the key is not in memory); only
  // keyed requests make a claim. The key comes first, so a request refused for want of it has
  // claimed nothing. The claim keeps a hash of the request, never the request itself.
  const claims = await mapLimit(candidates, 32, async (c) => {
    const lane = laneOf(c.request.priority);
    if (lane.state === 'shedding') return { kind: 'shed' as const, retryAfterSeconds: lane.retryAfterSeconds ?? 1 };
    const noQueue = channelWithoutQueue(lane, requestChannels(c.request));
    if (noQueue) return { kind: 'no_queue' as const, channel: noQueue };
    const home = await homeOf(c.request.customerId);
    if (home === 'unavailable') return { kind: 'unavailable' as const };
    if (!home.here) return { kind: 'elsewhere' as const, region: home.region, baseUrl: home.baseUrl };
    let sealed: SealedRequest;
    try {
      sealed = sealRequest(await keyOf(c.request.customerId), tenantId, c.request);
    } catch {
      return { kind: 'unavailable' as const };
    }
    if (!c.idempotencyKey) return { kind: 'new' as const, id: deps.ids.fresh(tenantId, now.getTime()), sealed };
    const id = notificationIdFromIdempotencyKey(tenantId, c.idempotencyKey);
    const fingerprint = requestFingerprint(c.request);
    try {
      const claim = await deps.idempotency.claim(tenantId, id, fingerprint);
      // 'same' publishes again: the first attempt may have failed after the claim, and the
      // notification's actor drops a second copy of an event it has seen.
      return claim === 'conflict' ? { kind: 'conflict' as const } : { kind: 'new' as const, id, fingerprint, sealed };
    } catch (err) {
      deps.log.error({ notificationId: id, err: errMessage(err) }, 'idempotency check failed');
      return { kind: 'unavailable' as const };
    }
  });

  const toPublish: Array<{ index: number; event: NotificationAccepted; span: TraceSpan; fingerprint?: string }> = [];
  const tracing = deps.tracing ?? noTracing;
  claims.forEach((claim, index) => {
    const request = (candidates[index] as Candidate).request;
    switch (claim.kind) {
      case 'shed':
        results[index] = {
          ok: false,
          status: 429,
          retryAfterSeconds: claim.retryAfterSeconds,
          error: apiError('lane_overloaded', `the ${request.priority} lane is over its backlog limit; retry after ${claim.retryAfterSeconds} s`, 'priority').error,
        };
        return;
      case 'no_queue':
        results[index] = {
          ok: false,
          status: 503,
          retryAfterSeconds: NO_QUEUE_RETRY_AFTER_SECONDS,
          error: apiError('unavailable', `the ${claim.channel} channel is not ready for the ${request.priority} lane (its queue is not declared yet); retry shortly`, 'channel').error,
        };
        return;
      case 'elsewhere':
        results[index] = { ok: false, status: 421, error: wrongRegion(request.customerId, claim.region, claim.baseUrl).error };
        return;
      case 'conflict':
        results[index] = {
          ok: false,
          status: 409,
          error: apiError('idempotency_key_conflict', 'this Idempotency-Key was used with a different request body', 'Idempotency-Key').error,
        };
        return;
      case 'unavailable':
        results[index] = { ok: false, status: 503, retryAfterSeconds: 5, error: apiError('unavailable', 'could not accept the notification now; retry later').error };
        return;
      case 'new': {
        // The notification's own span, from the request's arrival: a batch's notifications each
        // get one, in the caller's trace, or each a trace of its own when the caller sent none.
        const span = tracing.start('accept', {
          parent: traceparent,
          kind: 'server',
          notificationId: claim.id,
          attributes: { 'herald.priority': request.priority, 'herald.channels': requestChannels(request).join(',') },
          startTime: now,
        });
        const carried = span.traceparent;
        const event: NotificationAccepted = { ...acceptedEvent(claim.id, tenantId, claim.sealed, now), ...(carried ? { traceparent: carried } : {}) };
        toPublish.push({ index, event, span, ...(claim.fingerprint ? { fingerprint: claim.fingerprint } : {}) });
      }
    }
  });

  if (toPublish.length > 0) {
    const perLane: Partial<Record<Priority, number>> = {};
    for (const p of toPublish) perLane[p.event.request.priority] = (perLane[p.event.request.priority] ?? 0) + 1;
    deps.admission.admitted(perLane);
    const failures = await deps.publisher.publish(toPublish.map((p) => p.event));
    await Promise.all(
      toPublish.map(async (p, i) => {
        const reason = failures[i];
        p.span.end(reason === undefined ? undefined : 'publish failed');
        if (reason === undefined) {
          results[p.index] = { ok: true, id: p.event.id };
          return;
        }
        // Nothing was accepted: tell the caller to come back rather than pretend.
        deps.log.error({ notificationId: p.event.id, err: reason }, 'publish failed');
        if (p.fingerprint) await deps.idempotency.release(tenantId, p.event.id, p.fingerprint).catch(() => undefined);
        results[p.index] = { ok: false, status: 503, retryAfterSeconds: 5, error: apiError('unavailable', 'could not accept the notification now; retry later').error };
      }),
    );
  }
  const refused = candidates.length - results.filter((r) => r?.ok).length;
  if (refused > 0) deps.admission.refund(tenantId, refused, now);
  return results as ItemResult[];
}
