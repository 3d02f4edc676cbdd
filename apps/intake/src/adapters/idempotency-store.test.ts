import { useTestStateStore } from '../../../../test/support/test-state.js';
import { createIdempotencyStore } from './idempotency-store.js';

// Against a real daprd serving the local state store component, on a database of this file's own.
const { sidecar, sql } = await useTestStateStore();
const id = (n: number): string => `ntf_${String(n).padStart(26, '0')}`;

describe('idempotency records in the store of record', () => {
  it('lets exactly one of many racing claims be new; the others learn whether their body was the same', async () => {
    const replicas = [createIdempotencyStore(sidecar, { ttlSeconds: 86_400 }), createIdempotencyStore(sidecar, { ttlSeconds: 86_400 })];
    const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => replicas[i % 2]!.claim('t', id(1), i < 6 ? 'fp-a' : 'fp-b')));
    expect(answers.filter((a) => a === 'new')).toHaveLength(1);
    const winner = answers.indexOf('new') < 6 ? 'fp-a' : 'fp-b';
    answers.forEach((a, i) => {
      if (a !== 'new') expect(a).toBe((i < 6 ? 'fp-a' : 'fp-b') === winner ? 'same' : 'conflict');
    });
  });

  it('keeps a claim for the TTL in the store (its expiry is set), and knows when it was made', async () => {
    const store = createIdempotencyStore(sidecar, { ttlSeconds: 86_400, now: () => 1_764_633_600_000 });
    expect(await store.claim('t', id(2), 'fp')).toBe('new');
    expect(await store.claimedAt('t', id(2))).toBe(1_764_633_600_000);
    expect(await store.claimedAt('t-other', id(2))).toBeUndefined();
    const [[seconds]] = sql(`SELECT round(extract(epoch FROM expiredate - now())) FROM records WHERE key = 'idem|t|${id(2)}'`) as [[string]];
    expect(Number(seconds)).toBeGreaterThan(86_390);
    expect(Number(seconds)).toBeLessThanOrEqual(86_400);
  });

  it('releases only its own claim, so the key can be claimed again', async () => {
    const store = createIdempotencyStore(sidecar, { ttlSeconds: 86_400 });
    expect(await store.claim('t', id(3), 'fp-1')).toBe('new');
    await store.release('t', id(3), 'fp-other');
    expect(await store.claim('t', id(3), 'fp-2')).toBe('conflict');
    await store.release('t', id(3), 'fp-1');
    expect(await store.claim('t', id(3), 'fp-2')).toBe('new');
  });
});
