import type { PublishPort } from '@herald/dapr';
import { redisKeys, type Redis } from '@herald/stores';
import { createDeadLetters } from './dead-letters.js';

function setup(publishFails: boolean) {
  const counts = new Map<string, number>();
  const redis = {
    async hIncrBy(key: string, field: string, by: number) {
      counts.set(`${key} ${field}`, (counts.get(`${key} ${field}`) ?? 0) + by);
      return counts.get(`${key} ${field}`);
    },
  } as unknown as Redis;
  const published: unknown[] = [];
  const sidecar: PublishPort = {
    async publish(_pubsub, _topic, data) {
      if (publishFails) throw new Error('pubsub down');
      published.push(data);
    },
  };
  const keys = redisKeys('run1:');
  const deadLetters = createDeadLetters({ sidecar, pubsubName: 'pubsub', topic: 'dead-letter', redis, keys, now: () => new Date('2026-11-25T10:00:00Z') });
  return { deadLetters, counts, published, statsKey: keys.stats() };
}

describe('dead letters', () => {
  it('parks the payload with its reason and counts it per source topic', async () => {
    const s = setup(false);
    await s.deadLetters.park('notifications-bulk', 'id: not a notification id', { not: 'a notification' });
    expect(s.published).toEqual([
      { schemaVersion: 1, sourceTopic: 'notifications-bulk', reason: 'id: not a notification id', deadLetteredAt: '2026-11-25T10:00:00.000Z', data: { not: 'a notification' } },
    ]);
    expect(s.counts.get(`${s.statsKey} dead_letters:notifications-bulk`)).toBe(1);
  });

  it('takes the count back and fails when the dead letter could not be published', async () => {
    const s = setup(true);
    await expect(s.deadLetters.park('notifications-bulk', 'unreadable', {})).rejects.toThrow('pubsub down');
    expect(s.counts.get(`${s.statsKey} dead_letters:notifications-bulk`)).toBe(0);
  });
});
