import type { Redis } from 'ioredis';
import { DeliveryOutcomeSchema, type DeliveryOutcome } from '../contracts/events.js';
import type { RedisKeys } from '../redis/keys.js';

// Which sends have happened, by (notification id, attempt), shared by every replica of a
// channel app. A second copy of a dispatch (a queue redelivery, a publish the sidecar retried,
// a send the actor re-issued) finds the outcome here, on any replica, and is reported instead
// of sent again. There is no claim before the send: RabbitMQ hands a message to one consumer
// at a time, so two copies rarely race, and a claim would be a second write per send (see
// channel-worker.ts). A crash between the provider's answer and `finish` can still send twice:
// at-least-once, as DESIGN.md says.

export interface SendLedgerOptions {
  /** How long an outcome is remembered: longer than the queue keeps redelivering. Default 1 day. */
  ttlSeconds?: number;
}

export interface SendLedger {
  /** The outcome remembered for (notification, attempt), if any: one read. */
  recall(notificationId: string, attempt: number): Promise<DeliveryOutcome | undefined>;
  /** Remembers the outcome of a send. */
  finish(notificationId: string, attempt: number, outcome: DeliveryOutcome): Promise<void>;
}

/** A stored outcome that does not parse: written by a newer version, or corrupted. */
export class SendLedgerError extends Error {
  readonly code = 'unreadable-outcome';
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

export function createSendLedger(redis: Redis, keys: RedisKeys, opts: SendLedgerOptions = {}): SendLedger {
  const ttlSeconds = opts.ttlSeconds ?? 86_400;
  return {
    async recall(notificationId, attempt) {
      const found = await redis.get(keys.sendLedger(notificationId, attempt));
      return found === null ? undefined : parseOutcome(found, notificationId, attempt);
    },
    async finish(notificationId, attempt, outcome) {
      await redis.set(keys.sendLedger(notificationId, attempt), JSON.stringify(outcome), 'EX', ttlSeconds);
    },
  };
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
