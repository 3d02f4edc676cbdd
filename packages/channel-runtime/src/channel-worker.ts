import {
  type Channel,
  type ChannelDispatch,
  ChannelDispatchSchema,
  type DeliveryOutcome,
  type DeliveryResult,
  type Priority,
} from '@herald/contracts';
import { type ActorPort, NOTIFICATION_ACTOR, traceIdOf } from '@herald/dapr';
import { errMessage, type Logger } from '@herald/service';
import type { LedgerClaim } from './dedup.js';
import type { ProviderPort } from './provider-port.js';

/** What to tell the queue about one message. */
export type Ack = 'ack' | 'retry';

export interface ChannelWorker {
  handle(body: unknown, traceparent?: string): Promise<Ack>;
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
  record(outcome: 'success' | 'failure'): Promise<void>;
}

export interface ChannelWorkerDeps {
  channel: Channel;
  provider: ProviderPort;
  /** Reports each outcome to the notification's actor. */
  sidecar: ActorPort;
  log: Logger;
  ledger?: SendLedgerPort;
  limiter?: RateLimiterPort;
  breaker?: BreakerPort;
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

/**
 * Takes one message from the channel's queue and reports its outcome to the notification's
 * actor. Never throws. In order:
 *
 * 1. Claim (notification id, attempt) in the shared ledger. A queue redelivery or a second copy
 *    of the dispatch (a publish retried by the sidecar, a send the actor re-issued on a
 *    redelivered event), on this replica or another, reports the remembered outcome instead of
 *    sending again; a copy that arrives while another is being sent waits for that one's
 *    outcome (handed back to the queue if it takes too long). One command before the send, one
 *    after. The crash window between the provider's answer and the write stays, as DESIGN.md
 *    says it does.
 * 2. Expired in the queue: not sent.
 * 3. The provider's breaker is open: not sent, reported `deferred` (the actor waits, no attempt
 *    used up).
 * 4. A token from the provider account's bucket, shared by every replica: waiting for it never
 *    drops the message; the queue's prefetch keeps a replica from hoarding work meanwhile.
 * 5. Send, tell the breaker how it went, remember the outcome, report it.
 */
export function createChannelWorker(deps: ChannelWorkerDeps): ChannelWorker {
  const now = deps.now ?? (() => new Date());
  const ledger = deps.ledger ?? localLedger(deps.rememberOutcomes ?? 10_000);
  const provider = deps.provider.name;

  async function attempt(message: ChannelDispatch): Promise<DeliveryOutcome> {
    if (message.expiresAt !== undefined && Date.parse(message.expiresAt) <= now().getTime()) {
      // A dispatch that waited in the queue past its expiry is not sent late (an OTP, a flash sale).
      return { kind: 'expired', provider };
    }
    const admission = deps.breaker ? await deps.breaker.admit() : ({ admitted: true } as const);
    if (!admission.admitted) {
      return { kind: 'deferred', provider, reason: 'provider circuit open', retryAfterMs: admission.retryAfterMs };
    }
    if (deps.limiter && !(await deps.limiter.acquire({ maxWaitMs: MAX_TOKEN_WAIT_MS, lane: message.priority }))) {
      return { kind: 'deferred', provider, reason: 'provider rate limit: no token in time', retryAfterMs: 1_000 };
    }
    let outcome: DeliveryOutcome;
    try {
      outcome = await deps.provider.send(message);
    } catch (err) {
      // A provider adapter that throws has a bug; the notification still deserves a retry.
      outcome = { kind: 'transient', provider, reason: `provider adapter error: ${errMessage(err)}` };
    }
    // Only the provider's own trouble counts against it: a bad address is not an outage.
    await deps.breaker?.record(outcome.kind === 'transient' ? 'failure' : 'success');
    return outcome;
  }

  const inFlightWait = deps.inFlightWait ?? { maxMs: 20_000, pollMs: 250 };
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));

  /** The outcome of this (id, attempt): remembered from an earlier delivery, another copy's, or made now. */
  async function outcomeOf(message: ChannelDispatch): Promise<DeliveryOutcome> {
    const { notificationId: id, attempt: n } = message;
    for (let waited = 0; ; waited += inFlightWait.pollMs) {
      const claim = await ledger.claim(id, n);
      if (claim.kind === 'done') return claim.outcome;
      if (claim.kind === 'claimed') {
        const outcome = await attempt(message);
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
      const parsed = ChannelDispatchSchema.safeParse(body);
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
      let outcome: DeliveryOutcome;
      try {
        outcome = await outcomeOf(message);
      } catch (err) {
        if (err instanceof StillInFlight) {
          deps.log.info({ notificationId: message.notificationId, attempt: message.attempt }, 'another copy is being sent; handed back');
          return 'retry';
        }
        // The ledger (Redis) failed: hand the message back. (Failing after a send, the
        // redelivery may send again: the crash window, widened by a Redis outage.)
        deps.log.warn({ notificationId: message.notificationId, attempt: message.attempt, err: errMessage(err) }, 'send ledger unavailable; will be redelivered');
        return 'retry';
      }
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
        await deps.sidecar.invokeActor(NOTIFICATION_ACTOR, message.notificationId, 'recordResult', result, { traceparent });
      } catch (err) {
        deps.log.warn({ notificationId: message.notificationId, attempt: message.attempt, err: errMessage(err) }, 'result report failed; redelivery will report it');
        return 'retry';
      }
      deps.log.debug({ notificationId: message.notificationId, attempt: message.attempt, outcome: outcome.kind }, 'delivered to provider');
      return 'ack';
    },
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
