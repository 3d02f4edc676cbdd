import { randomUUID } from 'node:crypto';
import { createLogger } from '@herald/service';
import { createRedis, redisKeys } from '@herald/stores';
import { createDeadlineList, createDispatchWatchdog } from './dispatch-watchdog.js';

// Against the real Redis of the local stack, in a key namespace of its own removed afterwards.
const keys = redisKeys(`test-${randomUUID()}:`);
const redis = await createRedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
const log = createLogger('test', 'silent');
afterAll(async () => {
  await redis.del([keys.deadlines(), keys.waits()]);
  redis.destroy();
});
beforeEach(() => redis.del([keys.deadlines(), keys.waits()]));

function actors(fail: Set<string> = new Set()) {
  const calls: string[] = [];
  return {
    calls,
    sidecar: {
      async invokeActor(_type: string, id: string, method: string) {
        calls.push(`${id}:${method}`);
        if (fail.has(id)) throw new Error('actor call failed');
        return { status: 'sent' };
      },
    },
  };
}

describe('dispatch watchdog', () => {
  it('calls the actor of every passed deadline once, and leaves the rest for later', async () => {
    const list = createDeadlineList(redis, keys);
    await list.watch('ntf_a', 1_000);
    await list.watch('ntf_b', 2_000);
    await list.watch('ntf_c', 9_000);
    const a = actors();
    const dog = createDispatchWatchdog({ list, sidecar: a.sidecar, log, intervalMs: 1_000, now: () => 5_000 });
    expect(await dog.sweep()).toBe(2);
    expect(a.calls.sort()).toEqual(['ntf_a:overdue', 'ntf_b:overdue']);
    // Leased, not removed: only the actor's decision takes an entry off (or a later lease end brings it back).
    expect(await dog.sweep()).toBe(0);
    expect(await redis.zScore(keys.deadlines(), 'ntf_a')).toBe(65_000);
  });

  it('keeps waits and dispatches on lists of their own, moves an entry between them, and watches both', async () => {
    const list = createDeadlineList(redis, keys);
    await list.watch('ntf_wait', 1_000, 'wait');
    await list.watch('ntf_moved', 2_000, 'wait');
    // Its backoff ended and it was dispatched: off the waits, on the dispatches.
    await list.watch('ntf_moved', 3_000, 'dispatch', 'wait');
    await list.watch('ntf_later', 9_000, 'dispatch');
    expect(await redis.zRange(keys.waits(), 0, -1)).toEqual(['ntf_wait']);
    expect(await redis.zRange(keys.deadlines(), 0, -1)).toEqual(['ntf_moved', 'ntf_later']);
    const a = actors();
    expect(await createDispatchWatchdog({ list, sidecar: a.sidecar, log, intervalMs: 1_000, now: () => 5_000 }).sweep()).toBe(2);
    expect(a.calls.sort()).toEqual(['ntf_moved:overdue', 'ntf_wait:overdue']);
    // Taken off its own list, or off both when the list is not known.
    await list.unwatch('ntf_wait', 'wait');
    await list.unwatch('ntf_later');
    expect(await redis.zCard(keys.waits())).toBe(0);
    expect(await redis.zRange(keys.deadlines(), 0, -1)).toEqual(['ntf_moved']);
  });

  it('comes back to an entry whose actor call failed once its lease ends, on any replica', async () => {
    const list = createDeadlineList(redis, keys);
    await list.watch('ntf_x', 1_000);
    const failing = actors(new Set(['ntf_x']));
    let now = 5_000;
    await createDispatchWatchdog({ list, sidecar: failing.sidecar, log, intervalMs: 1_000, leaseMs: 10_000, now: () => now }).sweep();
    const other = actors();
    const replica = createDispatchWatchdog({ list, sidecar: other.sidecar, log, intervalMs: 1_000, leaseMs: 10_000, now: () => now });
    expect(await replica.sweep()).toBe(0);
    now = 15_001;
    expect(await replica.sweep()).toBe(1);
    expect(other.calls).toEqual(['ntf_x:overdue']);
  });

  it('works through more passed deadlines than one look takes', async () => {
    const list = createDeadlineList(redis, keys);
    for (let i = 0; i < 25; i++) await list.watch(`ntf_${i}`, i);
    const a = actors();
    expect(await createDispatchWatchdog({ list, sidecar: a.sidecar, log, intervalMs: 1_000, batch: 10, concurrency: 3, now: () => 100 }).sweep()).toBe(25);
    expect(new Set(a.calls).size).toBe(25);
  });

  it('an unwatched notification is not called', async () => {
    const list = createDeadlineList(redis, keys);
    await list.watch('ntf_gone', 1_000);
    await list.unwatch('ntf_gone');
    const a = actors();
    expect(await createDispatchWatchdog({ list, sidecar: a.sidecar, log, intervalMs: 1_000, now: () => 5_000 }).sweep()).toBe(0);
  });
});
