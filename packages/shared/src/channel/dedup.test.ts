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

  it('claims a new send once; another replica sees it in flight, then done with its outcome', async () => {
    const n = id();
    await expect(mine.begin(n, 1)).resolves.toEqual({ kind: 'new' });
    await expect(theirs.begin(n, 1)).resolves.toEqual({ kind: 'in-flight' });
    await expect(mine.begin(n, 1)).resolves.toEqual({ kind: 'in-flight' });
    await mine.finish(n, 1, sent);
    await expect(theirs.begin(n, 1)).resolves.toEqual({ kind: 'done', outcome: sent });
    // Remembered for the long TTL, not the in-flight one.
    expect(await redis.ttl(keys.sendLedger(n, 1))).toBeGreaterThan(86_000);
  });

  it('recalls a remembered outcome with one read, on any replica, and nothing for an unknown or in-flight send', async () => {
    const n = id();
    await expect(theirs.recall(n, 1)).resolves.toBeUndefined();
    await mine.begin(n, 1);
    await expect(theirs.recall(n, 1)).resolves.toBeUndefined();
    await mine.finish(n, 1, sent);
    await expect(theirs.recall(n, 1)).resolves.toEqual(sent);
  });

  it('keeps attempts apart: a retry of the same notification is a new send', async () => {
    const n = id();
    await mine.begin(n, 1);
    await mine.finish(n, 1, { kind: 'transient', provider: 'sandbox', reason: '503', retryAfterMs: 2000 });
    await expect(theirs.begin(n, 2)).resolves.toEqual({ kind: 'new' });
    await expect(mine.begin(n, 1)).resolves.toEqual({
      kind: 'done',
      outcome: { kind: 'transient', provider: 'sandbox', reason: '503', retryAfterMs: 2000 },
    });
  });

  it('abandon frees the claim for a redelivery, and never erases an outcome', async () => {
    const n = id();
    await mine.begin(n, 1);
    await mine.abandon(n, 1);
    await expect(theirs.begin(n, 1)).resolves.toEqual({ kind: 'new' });
    // Not theirs to give back: my abandon leaves their claim in place.
    await mine.abandon(n, 1);
    await expect(mine.begin(n, 1)).resolves.toEqual({ kind: 'in-flight' });
    await theirs.finish(n, 1, sent);
    await theirs.abandon(n, 1);
    await expect(mine.begin(n, 1)).resolves.toEqual({ kind: 'done', outcome: sent });
  });

  it('lets a claim lapse after inFlightMs, so a replica that died mid-send does not block it', async () => {
    const quick = createSendLedger(redis, keys, { inFlightMs: 150 });
    const n = id();
    const started = Date.now();
    await expect(quick.begin(n, 1)).resolves.toEqual({ kind: 'new' });
    const pttl = await redis.pttl(keys.sendLedger(n, 1));
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(150);
    const deadline = started + 5000;
    let entry = await theirs.begin(n, 1);
    while (entry.kind === 'in-flight' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      entry = await theirs.begin(n, 1);
    }
    expect(entry).toEqual({ kind: 'new' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('refuses to guess when a stored outcome does not parse', async () => {
    const n = id();
    await redis.set(keys.sendLedger(n, 1), JSON.stringify({ kind: 'teleported', provider: 'x' }));
    await expect(mine.begin(n, 1)).rejects.toThrow(SendLedgerError);
    await redis.set(keys.sendLedger(n, 2), '{not json');
    await expect(mine.begin(n, 2)).rejects.toMatchObject({ name: 'SendLedgerError', code: 'unreadable-outcome' });
  });
});
