import { randomUUID } from 'node:crypto';
import type { DeliveryOutcome } from '@herald/contracts';
import { useTestRedis } from '../../../test/support/test-redis.js';
import { createSendLedger, SendLedgerError } from './dedup.js';

// Against the real Redis of the local stack, in a key namespace of its own.
const { redis, keys, connect } = await useTestRedis();
const otherReplica = await connect();

const sent: DeliveryOutcome = { kind: 'sent', provider: 'sandbox', providerMessageId: 'msg-1' };
const id = (): string => `ntf_${randomUUID()}`;

describe('send ledger', () => {
  const mine = createSendLedger(redis, keys);
  const theirs = createSendLedger(otherReplica, keys, { claimTtlSeconds: 1 });

  it('lets one replica claim an attempt; the other sees it in flight, then its outcome, kept for the long TTL', async () => {
    const n = id();
    const [a, b] = await Promise.all([mine.claim(n, 1), theirs.claim(n, 1)]);
    expect([a.kind, b.kind].sort()).toEqual(['claimed', 'in-flight']);
    expect(await redis.ttl(keys.sendLedger(n, 1))).toBeLessThanOrEqual(120);
    await mine.finish(n, 1, sent);
    await expect(theirs.claim(n, 1)).resolves.toEqual({ kind: 'done', outcome: sent });
    expect(await redis.ttl(keys.sendLedger(n, 1))).toBeGreaterThan(86_000);
  });

  it('keeps attempts apart: a retry of the same notification is a new send', async () => {
    const n = id();
    await mine.claim(n, 1);
    await mine.finish(n, 1, { kind: 'transient', provider: 'sandbox', reason: '503', retryAfterMs: 2000 });
    await expect(theirs.claim(n, 2)).resolves.toEqual({ kind: 'claimed' });
    await expect(mine.claim(n, 1)).resolves.toEqual({ kind: 'done', outcome: { kind: 'transient', provider: 'sandbox', reason: '503', retryAfterMs: 2000 } });
  });

  it('frees a released claim for the next copy, and a dead holder\'s claim when its TTL ends', async () => {
    const n = id();
    await mine.claim(n, 1);
    await mine.release(n, 1);
    await expect(theirs.claim(n, 1)).resolves.toEqual({ kind: 'claimed' });
    // `theirs` claims for one second and never finishes, as a replica that died mid-send.
    await expect(mine.claim(n, 1)).resolves.toEqual({ kind: 'in-flight' });
    const deadline = Date.now() + 5_000;
    let claim = await mine.claim(n, 1);
    while (claim.kind === 'in-flight' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      claim = await mine.claim(n, 1);
    }
    expect(claim).toEqual({ kind: 'claimed' });
  });

  it('refuses to guess when a stored outcome does not parse', async () => {
    const n = id();
    await redis.set(keys.sendLedger(n, 1), JSON.stringify({ kind: 'teleported', provider: 'x' }));
    await expect(mine.claim(n, 1)).rejects.toThrow(SendLedgerError);
    await redis.set(keys.sendLedger(n, 2), '{not json');
    await expect(mine.claim(n, 2)).rejects.toMatchObject({ name: 'SendLedgerError', code: 'unreadable-outcome' });
  });
});
