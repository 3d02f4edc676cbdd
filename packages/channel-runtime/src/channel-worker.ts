import {
  type Channel,
  type ChannelDispatch,
  type DeliveryOutcome,
  type DeliveryResult,
  type Priority,
  type SealedDispatch,
  SealedDispatchSchema,
} from '@herald/contracts';
import { type ActorPort, nearestParent, NOTIFICATION_ACTOR, traceIdOf } from '@herald/dapr';
import { errMessage, noTracing, stopwatch, type Logger, type Tracing } from '@herald/service';
import type { LedgerClaim } from './dedup.js';
import type { DispatchOpener } from './dispatch-opener.js';
import { errorCode, MAX_REASON_DETAIL, redactDispatch } from './provider-http.js';
import type { ProviderPort } from './provider-port.js';
import { noChannelMetrics, type ChannelMetrics } from './metrics.js';

/** What to tell the queue about one message. */
export type Ack = 'ack' | 'retry';

export interface ChannelWorker {
  handle(body: unknown, traceparent?: string): Promise<Ack>;
  /** What an operator watches: dispatches this replica could not open, since it started. */
  stats(): ChannelStats;
}

export interface ChannelStats {
  /** Sealed fields that failed authentication: tampering, or a bug in sealing. Should stay 0. */
  undecryptable: number;
  /** Dispatches of customers erased while their notification was on its way. */
  erased: number;
}

/** Claims and outcomes by (notification id, attempt), shared by every replica (see dedup.ts). */
export interface SendLedgerPort {
  claim(id: string, attempt: number): Promise<LedgerClaim>;
  finish(id: string, attempt: number, outcome: DeliveryOutcome): Promise<void>;
  release(id: string, attempt: number): Promise<void>;
}

/** The provider account's shared token bucket (see rate-limiter.ts). */
export interface RateLimiterPort {
  /** `lane`: critical may spend the tokens kept in reserve for it, bulk may not. */
  acquire(opts?: { maxWaitMs?: number; lane?: Priority }): Promise<boolean>;
}

/** The provider's shared, graduated breaker (see circuit-breaker.ts). */
export interface BreakerPort {
  admit(): Promise<{ admitted: true } | { admitted: false; retryAfterMs: number }>;
  /** Answers where the report moved the breaker (`open`, `closed`), if it did. */
  record(outcome: 'success' | 'failure'): Promise<'open' | 'closed' | undefined | void>;
}

export interface ChannelWorkerDeps {
  channel: Channel;
  provider: ProviderPort;
  /** Opens each sealed dispatch in memory just before its send (dispatch-opener.ts). */
  opener: DispatchOpener;
  /** Reports each outcome to the notification's actor. */
  sidecar: ActorPort;
  log: Logger;
  ledger?: SendLedgerPort;
  limiter?: RateLimiterPort;
  breaker?: BreakerPort;
  /** Counts messages, provider calls, token waits and breaker moves (metrics.ts); nothing when absent. */
  metrics?: ChannelMetrics;
  /** Spans of each message and provider call, in the notification's trace; none when absent. */
  tracing?: Tracing;
  now?: () => Date;
  /** Without a shared ledger: how many recent outcomes this replica remembers. */
  rememberOutcomes?: number;
  /** Waiting for another copy's send: how long at most before handing this copy back, and the pause between looks. */
  inFlightWait?: { maxMs: number; pollMs: number };
  sleep?: (ms: number) => Promise<void>;
}

/** Another copy of this attempt is still being sent after the wait: hand this one back. */
class StillInFlight extends Error {}

/** How long a message may wait for a token before it is handed back as deferred. */
const MAX_TOKEN_WAIT_MS = 30_000;
/** How soon a dispatch deferred because the key store could not be read goes again. */
const KEY_STORE_RETRY_MS = 1_000;

/**
 * Takes one message from the channel's queue and reports its outcome to the notification's
 * actor. Never throws. In order:
 *
 * 1. Claim (notification id, attempt) in the shared ledger. A queue redelivery or a second copy
 *    of the dispatch (a publish retried by the sidecar, a send the actor re-issued on a
 *    redelivered event), on this replica or another, reports the remembered outcome instead of
 *    sending again; a copy that arrives while another is being sent waits for that one's
 *    outcome (handed back to the queue if it takes too long). One command before the send, one
 *    after. The crash window between the provider's answer and the write stays, as
 *    docs/design.md ("Delivery guarantees") says it does.
 * 2. Expired in the queue: not sent.
 * 3. Open the sealed recipient and content, in memory, with the customer's data key: as late as
 *    this, so that a dispatch not sent is never opened, and an erasure made while it waited in
 *    the queue is honoured. The key gone: `erased`, not sent. A sealed field that fails
 *    authentication: `undecryptable`, not sent, counted. The key store unreadable: `deferred`.
 * 4. The provider's breaker is open: not sent, reported `deferred` (the actor waits, no attempt
 *    used up).
 * 5. A token from the provider account's bucket, shared by every replica: waiting for it never
 *    drops the message; the queue's prefetch keeps a replica from hoarding work meanwhile.
 * 6. Send, tell the breaker how it went, remember the outcome, report it.
 *
 * The opened dispatch lives only in `attempt`: the ledger keeps outcomes, and no reason or log
 * line carries what it opened.
 */
export function createChannelWorker(deps: ChannelWorkerDeps): ChannelWorker {
  const now = deps.now ?? (() => new Date());
  const ledger = deps.ledger ?? localLedger(deps.rememberOutcomes ?? 10_000);
  const provider = deps.provider.name;
  const metrics = deps.metrics ?? noChannelMetrics;
  const tracing = deps.tracing ?? noTracing;

  const stats: ChannelStats = { undecryptable: 0, erased: 0 };

  async function attempt(sealed: SealedDispatch, traceparent: string | undefined): Promise<DeliveryOutcome> {
    if (sealed.expiresAt !== undefined && Date.parse(sealed.expiresAt) <= now().getTime()) {
      // A dispatch that waited in the queue past its expiry is not sent late (an OTP, a flash sale).
      return { kind: 'expired', provider };
    }
    const opened = await open(sealed);
    if ('kind' in opened) return opened;
    const admission = deps.breaker ? await deps.breaker.admit() : ({ admitted: true } as const);
    if (!admission.admitted) {
      metrics.breakerRefused();
      return { kind: 'deferred', provider, reason: 'provider circuit open', retryAfterMs: admission.retryAfterMs };
    }
    if (deps.limiter) {
      const waited = stopwatch();
      const acquired = await deps.limiter.acquire({ maxWaitMs: MAX_TOKEN_WAIT_MS, lane: opened.priority });
      metrics.tokenWait(opened.priority, waited(), acquired);
      if (!acquired) return { kind: 'deferred', provider, reason: 'provider rate limit: no token in time', retryAfterMs: 1_000 };
    }
    let outcome: DeliveryOutcome;
    const called = stopwatch();
    // The provider's API, which no sidecar sees: its own span. Kind and status only: a reason may
    // quote what was sent.
    const span = tracing.start(`provider ${provider}`, { parent: traceparent, kind: 'client', notificationId: sealed.notificationId, attributes: { 'herald.provider': provider } });
    try {
      outcome = await deps.provider.send(opened);
      metrics.providerCall(outcome.kind, called());
    } catch (err) {
      // A provider adapter that throws has a bug; the notification still deserves a retry. Its
      // message may quote what it was sending: the reason is stored, so that goes first.
      const detail = redactDispatch(errMessage(err), opened).slice(0, MAX_REASON_DETAIL);
      outcome = { kind: 'transient', provider, reason: `provider adapter error: ${detail}` };
      metrics.providerCall('error', called());
    }
    span.set({ 'herald.outcome': outcome.kind });
    span.end(outcome.kind === 'sent' ? undefined : outcome.kind);
    // Only the provider's own trouble counts against it: a bad address is not an outage.
    const moved = await deps.breaker?.record(outcome.kind === 'transient' ? 'failure' : 'success');
    if (moved) metrics.breakerMoved(moved);
    return outcome;
  }

  /** The dispatch in the clear, or the outcome that ends this attempt without a send. */
  async function open(sealed: SealedDispatch): Promise<ChannelDispatch | DeliveryOutcome> {
    const { notificationId } = sealed;
    let opened: Awaited<ReturnType<DispatchOpener['open']>>;
    try {
      opened = await deps.opener.open(sealed);
    } catch (err) {
      // Nothing tried and no attempt used: the actor sends it again shortly. Only the error's
      // code goes to the log: a store's message may quote the key, which names the customer.
      deps.log.warn({ notificationId, err: errorCode(err) ?? (err instanceof Error ? err.name : 'unknown') }, 'data key store unavailable; deferred');
      return { kind: 'deferred', provider, reason: 'data key store unavailable', retryAfterMs: KEY_STORE_RETRY_MS };
    }
    if (opened === 'erased') {
      stats.erased++;
      deps.log.info({ notificationId }, 'customer erased: not sent');
      return { kind: 'erased', provider };
    }
    if (opened === 'undecryptable') {
      stats.undecryptable++;
      deps.log.error({ notificationId }, 'dispatch undecryptable: not sent');
      return { kind: 'undecryptable', provider };
    }
    return opened;
  }

  const inFlightWait = deps.inFlightWait ?? { maxMs: 20_000, pollMs: 250 };
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));

  /** The outcome of this (id, attempt): remembered from an earlier delivery, another copy's, or made now. */
  async function outcomeOf(message: SealedDispatch, traceparent: string | undefined): Promise<DeliveryOutcome> {
    const { notificationId: id, attempt: n } = message;
    for (let waited = 0; ; waited += inFlightWait.pollMs) {
      const claim = await ledger.claim(id, n);
      if (claim.kind === 'done') {
        metrics.message('duplicate');
        return claim.outcome;
      }
      if (claim.kind === 'claimed') {
        const outcome = await attempt(message, traceparent);
        metrics.message(outcome.kind);
        // Deferred means nothing was tried: a later copy must try.
        if (outcome.kind === 'deferred') await ledger.release(id, n);
        else await ledger.finish(id, n, outcome);
        return outcome;
      }
      // Another copy is with the provider now. Its message stays unacknowledged until it has an
      // outcome, so if its replica dies, the queue hands that copy out again: waiting here (or
      // handing this one back) never loses the send; the claim's TTL ends a dead replica's hold.
      if (waited >= inFlightWait.maxMs) throw new StillInFlight(`another copy of ${id}/${n} is still being sent`);
      await sleep(inFlightWait.pollMs);
    }
  }

  return {
    async handle(body, traceparent) {
      const parsed = SealedDispatchSchema.safeParse(body);
      if (!parsed.success) {
        // Redelivering it would fail the same way: acknowledge, and say so loudly.
        deps.log.error({ issues: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) }, 'unreadable dispatch dropped');
        return 'ack';
      }
      const message = parsed.data;
      if (message.channel !== deps.channel) {
        deps.log.error({ notificationId: message.notificationId, channel: message.channel }, 'dispatch for another channel dropped');
        return 'ack';
      }
      // This message's span, in the notification's trace (the dispatch carries it): under the
      // sidecar's delivery span when that is of the same trace. The provider's call and the
      // report to the actor continue it.
      const span = tracing.start(`send ${message.channel}`, {
        parent: nearestParent(traceparent, message.traceparent),
        kind: 'consumer',
        notificationId: message.notificationId,
        attributes: { 'herald.attempt': message.attempt, 'herald.channel': message.channel },
      });
      let outcome: DeliveryOutcome;
      try {
        outcome = await outcomeOf(message, span.traceparent);
      } catch (err) {
        if (err instanceof StillInFlight) {
          span.end('handed back: another copy is being sent');
          deps.log.info({ notificationId: message.notificationId, attempt: message.attempt }, 'another copy is being sent; handed back');
          return 'retry';
        }
        span.end('send ledger unavailable');
        // The ledger (Redis) failed: hand the message back. (Failing after a send, the
        // redelivery may send again: the crash window, widened by a Redis outage.)
        deps.log.warn({ notificationId: message.notificationId, attempt: message.attempt, err: errMessage(err) }, 'send ledger unavailable; will be redelivered');
        return 'retry';
      }
      span.set({ 'herald.outcome': outcome.kind });
      const traceId = traceIdOf(message.traceparent ?? traceparent);
      const result: DeliveryResult = {
        schemaVersion: 1,
        notificationId: message.notificationId,
        attempt: message.attempt,
        channel: message.channel,
        at: now().toISOString(),
        outcome,
        ...(traceId ? { traceId } : {}),
      };
      try {
        await deps.sidecar.invokeActor(NOTIFICATION_ACTOR, message.notificationId, 'recordResult', result, { traceparent: span.traceparent });
      } catch (err) {
        span.end('result report failed');
        deps.log.warn({ notificationId: message.notificationId, attempt: message.attempt, err: errMessage(err) }, 'result report failed; redelivery will report it');
        return 'retry';
      }
      span.end();
      deps.log.debug({ notificationId: message.notificationId, attempt: message.attempt, outcome: outcome.kind }, 'delivered to provider');
      return 'ack';
    },

    stats: () => ({ ...stats }),
  };
}

/** This replica's memory of recent outcomes, for a worker without a shared ledger (tests, a lone sandbox). */
function localLedger(capacity: number): SendLedgerPort {
  const outcomes = new Map<string, DeliveryOutcome | 'claimed'>();
  return {
    async claim(id, attempt) {
      const found = outcomes.get(`${id}/${attempt}`);
      if (found === 'claimed') return { kind: 'in-flight' };
      if (found) return { kind: 'done', outcome: found };
      outcomes.set(`${id}/${attempt}`, 'claimed');
      return { kind: 'claimed' };
    },
    async finish(id, attempt, outcome) {
      outcomes.set(`${id}/${attempt}`, outcome);
      if (outcomes.size > capacity) {
        const oldest = outcomes.keys().next();
        if (!oldest.done) outcomes.delete(oldest.value);
      }
    },
    async release(id, attempt) {
      outcomes.delete(`${id}/${attempt}`);
    },
  };
}
