import { randomUUID } from 'node:crypto';
import type { DeliveryOutcome } from '../contracts/events.js';
import { createRedis } from '../redis/client.js';
import { redisKeys } from '../redis/keys.js';
import { createSendLedger, SendLedgerError } from './dedup.js';

// Against the real Redis of the local stack, in a key namespace of its own.
const prefix = `test-${randomUUID()}:`;
const keys = redisKeys(prefix);
const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const redis = createRedis(url);
const otherReplica = createRedis(url);

afterAll(async () => {
  const leftovers = await redis.keys(`${prefix}*`);
  if (leftovers.length > 0) await redis.del(...leftovers);
  await Promise.all([redis.quit(), otherReplica.quit()]);
});

const sent: DeliveryOutcome = { kind: 'sent', provider: 'sandbox', providerMessageId: 'msg-1' };
const id = (): string => `ntf_${randomUUID()}`;

describe('send ledger', () => {
  const mine = createSendLedger(redis, keys);
  const theirs = createSendLedger(otherReplica, keys);

  it('recalls an outcome with one read, on any replica, remembered for the long TTL', async () => {
    const n = id();
    await expect(theirs.recall(n, 1)).resolves.toBeUndefined();
    await mine.finish(n, 1, sent);
    await expect(theirs.recall(n, 1)).resolves.toEqual(sent);
    expect(await redis.ttl(keys.sendLedger(n, 1))).toBeGreaterThan(86_000);
  });

  it('keeps attempts apart: a retry of the same notification is a new send', async () => {
    const n = id();
    await mine.finish(n, 1, { kind: 'transient', provider: 'sandbox', reason: '503', retryAfterMs: 2000 });
    await expect(theirs.recall(n, 2)).resolves.toBeUndefined();
    await expect(mine.recall(n, 1)).resolves.toEqual({ kind: 'transient', provider: 'sandbox', reason: '503', retryAfterMs: 2000 });
  });

  it('refuses to guess when a stored outcome does not parse', async () => {
    const n = id();
    await redis.set(keys.sendLedger(n, 1), JSON.stringify({ kind: 'teleported', provider: 'x' }));
    await expect(mine.recall(n, 1)).rejects.toThrow(SendLedgerError);
    await redis.set(keys.sendLedger(n, 2), '{not json');
    await expect(mine.recall(n, 2)).rejects.toMatchObject({ name: 'SendLedgerError', code: 'unreadable-outcome' });
  });
});
