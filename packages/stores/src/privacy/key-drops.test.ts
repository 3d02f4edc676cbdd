import { createRedis } from '../client.js';
import { useTestRedis } from '../../../../test/support/test-redis.js';
import { waitFor } from '../../../../test/harness/stack.js';
import { createKeyDrops, KEY_DROP_SKEW_MS, type KeyDrops, type KeyDropsOptions } from './key-drops.js';

// Announcements of destroyed data keys over the real Redis of the tests, on a channel of this
// file's own. Each "process" is a KeyDrops of its own, as each app has one.
const { redis, keys, connect } = await useTestRedis();
const BOUND_MS = 400;

const made: KeyDrops[] = [];
afterEach(async () => {
  await Promise.all(made.splice(0).map((d) => d.close()));
});

/** A process's announcements, with what it heard. */
async function processOf(opts: Partial<KeyDropsOptions> = {}) {
  const drops = await createKeyDrops({ redis: opts.redis ?? (await connect()), channel: keys.keyDrops(), boundMs: BOUND_MS, ...opts });
  made.push(drops);
  const heard: string[] = [];
  let resumes = 0;
  drops.onDrop((owner) => heard.push(owner));
  drops.onResume(() => void resumes++);
  return { drops, heard, resumes: () => resumes };
}

const untilLive = (d: KeyDrops, what: string) => waitFor(what, async () => (d.live() ? true : undefined), 5_000, 5);

describe('announcing destroyed data keys', () => {
  it('is trusted once its own heartbeat came back, and every process hears every announcement', async () => {
    const a = await processOf();
    const b = await processOf();
    await untilLive(a.drops, 'a to hear its heartbeat');
    await untilLive(b.drops, 'b to hear its heartbeat');
    expect(a.resumes()).toBe(1);

    expect(await a.drops.announce('tenant-1|cust-1')).toBe(true);
    await waitFor('both to hear it', async () => (a.heard.length === 1 && b.heard.length === 1 ? true : undefined), 5_000, 5);
    expect(a.heard).toEqual(['tenant-1|cust-1']);
    expect(b.heard).toEqual(['tenant-1|cust-1']);
    // Heartbeats are not announcements.
    expect(a.drops.forgottenWithinMs).toBe(BOUND_MS + KEY_DROP_SKEW_MS);
  });

  it('is not trusted once its heartbeat is older than the bound, and starts over empty when one comes back', async () => {
    let skew = 0;
    const a = await processOf({ now: () => Date.now() + skew });
    await untilLive(a.drops, 'a to hear its heartbeat');
    // Nothing heard for longer than the bound (its clock moves on, its last heartbeat stays).
    skew = 10 * BOUND_MS;
    expect(a.drops.live()).toBe(false);
    await untilLive(a.drops, 'a heartbeat of the new time');
    expect(a.resumes()).toBe(2);
  });

  it('is not trusted from the moment its subscription drops until a heartbeat returns on the new one', async () => {
    const own = await connect();
    const a = await processOf({ redis: own });
    await untilLive(a.drops, 'a to hear its heartbeat');
    const lapsed = new Promise<void>((resolve) => {
      const check = setInterval(() => {
        if (!a.drops.live()) {
          clearInterval(check);
          resolve();
        }
      }, 1);
    });
    // Every subscriber connection of this Redis is dropped (only these tests subscribe): node-redis
    // connects again and subscribes again by itself.
    await redis.sendCommand(['CLIENT', 'KILL', 'TYPE', 'pubsub']);
    await lapsed;
    await untilLive(a.drops, 'the subscription back');
    expect(a.resumes()).toBe(2);
    // And it hears announcements again.
    expect(await a.drops.announce('tenant-1|cust-2')).toBe(true);
    await waitFor('the announcement heard', async () => (a.heard.includes('tenant-1|cust-2') ? true : undefined), 5_000, 5);
  });

  it('says so when Redis did not take an announcement', async () => {
    // A connection of its own, not the harness's (which closes those it made after the tests).
    const own = await createRedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
    const a = await processOf({ redis: own });
    own.destroy();
    expect(await a.drops.announce('tenant-1|cust-3')).toBe(false);
    await waitFor('not trusted', async () => (a.drops.live() ? undefined : true), 5_000, 5);
  });
});
