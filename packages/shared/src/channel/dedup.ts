import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { DeliveryOutcomeSchema, type DeliveryOutcome } from '../contracts/events.js';
import type { RedisKeys } from '../redis/keys.js';

// Which sends have happened, by (notification id, attempt), shared by every replica of a
// channel app. The queue redelivers a message whose result report failed, to any replica;
// that replica finds the outcome here and reports it again instead of sending twice.
//
// A send is claimed before the provider call with a short-lived in-flight marker (SET NX), so
// a redelivery that arrives while the first replica is still sending waits instead of sending
// too. If that replica dies mid-send the marker expires after `inFlightMs` and the message can
// be sent again: at-least-once, with the duplicate window narrowed to that crash.

export interface SendLedgerOptions {
  /** How long an outcome is remembered: longer than the queue keeps redelivering. Default 1 day. */
  ttlSeconds?: number;
  /** How long a claim holds without a finish: longer than a provider call can take. Default 60 s. */
  inFlightMs?: number;
}

export type LedgerEntry = { kind: 'new' } | { kind: 'done'; outcome: DeliveryOutcome } | { kind: 'in-flight' };

export interface SendLedger {
  /**
   * The outcome remembered for (notification, attempt), if any: one read, no claim. What the
   * channel worker uses on its hot path (see channel-worker.ts for why a claim is not needed).
   */
  recall(notificationId: string, attempt: number): Promise<DeliveryOutcome | undefined>;
  /** Claims the send, or says it is done (with its outcome) or under way elsewhere. */
  begin(notificationId: string, attempt: number): Promise<LedgerEntry>;
  /** Remembers the outcome of a send this replica claimed. */
  finish(notificationId: string, attempt: number, outcome: DeliveryOutcome): Promise<void>;
  /** Gives a claim back without an outcome (nothing was sent), so a redelivery can send. */
  abandon(notificationId: string, attempt: number): Promise<void>;
}

/** A stored outcome that does not parse: written by a newer version, or corrupted. */
export class SendLedgerError extends Error {
  readonly code = 'unreadable-outcome';
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

const IN_FLIGHT = 'in-flight:';

// KEYS: entry. ARGV: marker, inFlightMs. Returns nil when claimed, else what is there.
const BEGIN = `
local found = redis.call('GET', KEYS[1])
if found then return found end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return false`;

// KEYS: entry. ARGV: marker. Only our own claim: not a finished outcome, not another
// replica's claim taken after ours expired.
const ABANDON = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

type BeginCommand = (key: string, marker: string, inFlightMs: number) => Promise<string | null>;
type AbandonCommand = (key: string, marker: string) => Promise<number>;

export function createSendLedger(redis: Redis, keys: RedisKeys, opts: SendLedgerOptions = {}): SendLedger {
  const ttlSeconds = opts.ttlSeconds ?? 86_400;
  const inFlightMs = opts.inFlightMs ?? 60_000;
  // This ledger's claims carry its own mark, so it gives back only what it took.
  const marker = `${IN_FLIGHT}${randomUUID()}`;
  redis.defineCommand('heraldLedgerBegin', { numberOfKeys: 1, lua: BEGIN });
  redis.defineCommand('heraldLedgerAbandon', { numberOfKeys: 1, lua: ABANDON });
  const commands = redis as unknown as { heraldLedgerBegin: BeginCommand; heraldLedgerAbandon: AbandonCommand };

  return {
    async begin(notificationId, attempt) {
      const found = await commands.heraldLedgerBegin(keys.sendLedger(notificationId, attempt), marker, inFlightMs);
      if (found === null) return { kind: 'new' };
      if (found.startsWith(IN_FLIGHT)) return { kind: 'in-flight' };
      return { kind: 'done', outcome: parseOutcome(found, notificationId, attempt) };
    },

    async recall(notificationId, attempt) {
      const found = await redis.get(keys.sendLedger(notificationId, attempt));
      return found === null || found.startsWith(IN_FLIGHT) ? undefined : parseOutcome(found, notificationId, attempt);
    },

    async finish(notificationId, attempt, outcome) {
      // Unconditional: even if our claim expired meanwhile, what happened is worth keeping.
      await redis.set(keys.sendLedger(notificationId, attempt), JSON.stringify(outcome), 'EX', ttlSeconds);
    },

    async abandon(notificationId, attempt) {
      await commands.heraldLedgerAbandon(keys.sendLedger(notificationId, attempt), marker);
    },
  };
}

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
