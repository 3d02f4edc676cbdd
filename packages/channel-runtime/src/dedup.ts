import { DeliveryOutcomeSchema, type DeliveryOutcome } from '@herald/contracts';
import type { Redis, RedisKeys } from '@herald/stores';

// Which sends have happened, or are happening, by (notification id, attempt), shared by every
// replica of a channel app. One key per attempt holds either a claim (a copy of the dispatch is
// being sent by some replica now) or the outcome of the send.
//
// Why a claim: the channel queues deliver in parallel (prefetch 64-128 per replica), so two copies
// of one attempt (a publish the sidecar retried, a send the actor re-issued on a redelivered event)
// can be handled at the same moment; a read-then-send let both through (docs/performance.md,
// "The channel queues"). The claim costs no extra command: `SET key claim NX GET` is the read
// and the claim at once, and `finish` overwrites the claim with the outcome.
//
// A crash between the provider's answer and `finish` still sends twice once the claim expires:
// at least once, as docs/design.md ("Delivery guarantees", the crash window) and
// docs/reliability.md ("What Herald does not promise") say.

export interface SendLedgerOptions {
  /** How long an outcome is remembered: longer than the queue keeps redelivering. Default 1 day. */
  ttlSeconds?: number;
  /**
   * How long a claim holds without an outcome: longer than a send can take (the wait for a
   * token, the breaker, the provider's timeout), so a live sender never loses it. Default 120 s.
   */
  claimTtlSeconds?: number;
}

/** What claiming an attempt found. */
export type LedgerClaim =
  /** Nobody had it: the caller sends, then calls `finish` or `release`. */
  | { kind: 'claimed' }
  /** Sent before: the remembered outcome. */
  | { kind: 'done'; outcome: DeliveryOutcome }
  /** Another copy is being sent right now. */
  | { kind: 'in-flight' };

export interface SendLedger {
  /** Claims (notification, attempt) for a send, or tells what is known of it: one command. */
  claim(notificationId: string, attempt: number): Promise<LedgerClaim>;
  /** Remembers the outcome of a send (replacing the claim). */
  finish(notificationId: string, attempt: number, outcome: DeliveryOutcome): Promise<void>;
  /** Gives up a claim without an outcome: nothing was tried, a later copy must try. */
  release(notificationId: string, attempt: number): Promise<void>;
}

/** A stored outcome that does not parse: written by a newer version, or corrupted. */
export class SendLedgerError extends Error {
  readonly code = 'unreadable-outcome';
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** Marks a claim; an outcome is always JSON, so it never starts with this. */
export const CLAIM_MARK = 'claim:';

export function createSendLedger(redis: Redis, keys: RedisKeys, opts: SendLedgerOptions = {}): SendLedger {
  const ttlSeconds = opts.ttlSeconds ?? 86_400;
  const claimTtlSeconds = opts.claimTtlSeconds ?? 120;
  return {
    async claim(notificationId, attempt) {
      // NX with GET (Redis 7.0+): sets only if absent, and answers what was there.
      const found = await redis.set(keys.sendLedger(notificationId, attempt), `${CLAIM_MARK}${Date.now()}`, { expiration: { type: 'EX', value: claimTtlSeconds }, condition: 'NX', GET: true });
      return claimOf(found, notificationId, attempt);
    },
    async finish(notificationId, attempt, outcome) {
      await redis.set(keys.sendLedger(notificationId, attempt), JSON.stringify(outcome), { expiration: { type: 'EX', value: ttlSeconds } });
    },
    async release(notificationId, attempt) {
      // Only the holder calls this, within its claim's TTL, so the key is still its claim.
      await redis.del(keys.sendLedger(notificationId, attempt));
    },
  };
}

/** Reads what a claim found: nothing, a claim, or an outcome (refusing to guess at one that does not parse). */
export function claimOf(found: string | null, notificationId: string, attempt: number): LedgerClaim {
  if (found === null) return { kind: 'claimed' };
  if (found.startsWith(CLAIM_MARK)) return { kind: 'in-flight' };
  return { kind: 'done', outcome: parseOutcome(found, notificationId, attempt) };
}

/** Refuses to guess: an outcome it cannot read throws, so the message is handed back, not sent again. */
function parseOutcome(found: string, notificationId: string, attempt: number): DeliveryOutcome {
  let json: unknown;
  try {
    json = JSON.parse(found);
  } catch {
    throw new SendLedgerError(`stored outcome of ${notificationId}/${attempt} is not JSON`);
  }
  const parsed = DeliveryOutcomeSchema.safeParse(json);
  if (!parsed.success) throw new SendLedgerError(`stored outcome of ${notificationId}/${attempt} does not parse: ${parsed.error.message}`);
  return parsed.data;
}
