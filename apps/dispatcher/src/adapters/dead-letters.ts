import type { PublishPort } from '@herald/dapr';
import type { Redis, RedisKeys } from '@herald/stores';
import type { DeadLetters } from './accepted-subscription.js';

/**
 * Dead letters go to their own pub/sub topic (where an operator's tooling can read or replay
 * them) with the reason and the original payload, and are counted per source topic in Redis,
 * so the count is one number across every dispatcher replica.
 */
export function createDeadLetters(deps: { sidecar: PublishPort; pubsubName: string; topic: string; redis: Redis; keys: RedisKeys; now?: () => Date }): DeadLetters {
  const now = deps.now ?? (() => new Date());
  return {
    async park(sourceTopic, reason, data) {
      const field = `dead_letters:${sourceTopic}`;
      // Counted first, so whoever sees the dead letter also sees it counted; taken back if it
      // could not be parked (the event is then redelivered and counted again).
      await deps.redis.hIncrBy(deps.keys.stats(), field, 1);
      try {
        await deps.sidecar.publish(deps.pubsubName, deps.topic, { schemaVersion: 1, sourceTopic, reason, deadLetteredAt: now().toISOString(), data });
      } catch (err) {
        await deps.redis.hIncrBy(deps.keys.stats(), field, -1).catch(() => undefined);
        throw err;
      }
    },
  };
}
