import { useTestRedis } from '../../../test/support/test-redis.js';
import { createInHandCounter, doneBetween, IN_HAND_STALE_MS, readInHand } from './in-hand.js';

// Against the real Redis of the local stack, in a key namespace of its own.
const { redis, keys } = await useTestRedis();

/** Waits for the counter's flush to land (it writes at most every flushMs). */
async function settled(lane: 'bulk' | 'critical', expected: number): Promise<number> {
  const deadline = Date.now() + 5_000;
  let seen = -1;
  while (Date.now() < deadline) {
    seen = (await readInHand(redis, keys, lane, Date.now())).total;
    if (seen === expected) return seen;
    await new Promise((r) => setTimeout(r, 10));
  }
  return seen;
}

describe('dispatches in the channel apps\' hands', () => {
  it('adds up every replica per lane, and a stopped replica counts nothing', async () => {
    const a = createInHandCounter(redis, keys, { member: 'email/a', flushMs: 5 });
    const b = createInHandCounter(redis, keys, { member: 'sms/b', flushMs: 5 });
    for (let i = 0; i < 3; i++) a.begin('bulk');
    b.begin('bulk');
    b.begin('critical');
    expect(await settled('bulk', 4)).toBe(4);
    expect(await settled('critical', 1)).toBe(1);
    a.end('bulk', true);
    b.end('bulk', false);
    expect(await settled('bulk', 2)).toBe(2);
    // Finished: acknowledged only; a message handed back to the queue is not.
    expect((await readInHand(redis, keys, 'bulk', Date.now())).doneByMember).toEqual({ 'email/a': 1, 'sms/b': 0 });
    b.begin('bulk');
    expect(await settled('bulk', 3)).toBe(3);
    await b.stop();
    // Stopped: what it still finishes is written nowhere.
    b.end('bulk', true);
    await new Promise((r) => setTimeout(r, 50));
    expect(await settled('bulk', 2)).toBe(2);
    expect(await redis.hExists(keys.inHand('bulk'), 'sms/b')).toBe(0);
    expect(await settled('critical', 0)).toBe(0);
    await a.stop();
    expect(await redis.hLen(keys.inHand('bulk'))).toBe(0);
  });

  it('ignores a replica that stopped writing, and forgets one long gone', async () => {
    const now = Date.now();
    await redis.hSet(keys.inHand('bulk'), { live: `5:${now}:40`, silent: `7:${now - IN_HAND_STALE_MS - 1}:3`, gone: `9:${now - 2 * 3_600_000}:1` });
    expect(await readInHand(redis, keys, 'bulk', now)).toEqual({ total: 5, doneByMember: { live: 40 } });
    expect((await redis.hKeys(keys.inHand('bulk'))).sort()).toEqual(['live', 'silent']);
    await redis.del(keys.inHand('bulk'));
  });

  it('counts what each replica finished between readings, from the next reading for one new or restarted', () => {
    expect(doneBetween({ a: 10, b: 50 }, { a: 25, b: 4, c: 9 })).toBe(15);
    expect(doneBetween({}, { a: 3 })).toBe(0);
  });
});
