import { createHash } from 'node:crypto';
import type { Redis } from './client.js';

/** Runs a Lua script on a connection with its keys and arguments; resolves with the script's answer. */
export type RedisScript = (redis: Redis, keys: readonly string[], args: ReadonlyArray<string | number>) => Promise<unknown>;

/**
 * A Lua script run by its digest (EVALSHA): the source goes over the wire only when Redis does
 * not have it yet (first use, or after a restart emptied its script cache). Every one of
 * Herald's atomic Redis decisions (token bucket, breaker, history index, idempotency claim,
 * webhook queue) is one of these.
 */
export function redisScript(source: string): RedisScript {
  const sha = createHash('sha1').update(source).digest('hex');
  return async (redis, keys, args) => {
    // node-redis sends only strings; a number goes as JS prints it, as it did before.
    const options = { keys: [...keys], arguments: args.map(String) };
    try {
      return await redis.evalSha(sha, options);
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
      return redis.eval(source, options);
    }
  };
}
