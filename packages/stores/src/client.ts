import { createClient, type RedisClientType } from 'redis';
import { z } from 'zod';

// Herald's operational Redis data (rate-limit buckets, breakers, the send ledger, admission
// counters, dispatch deadlines, the webhook delivery queue) is reached directly, not through
// Dapr: it is short-lived, rebuilt by itself, and lives on sorted sets, hashes and scripts the
// state API has no words for. Nothing of record is here (docs/data.md). Every key starts with
// `KEY_PREFIX`, so a test run or a region keeps its own namespace.

export const redisEnvSchema = z.object({
  /** The local default is the Redis `npm start` runs for Herald (scripts/start.sh). */
  REDIS_URL: z.string().url().default('redis://127.0.0.1:6380'),
  KEY_PREFIX: z.string().default(''),
});

export type Redis = RedisClientType;

/** How long a process waits for its first connection before giving up (and failing its start). */
const FIRST_CONNECT_MS = 30_000;

/** Resolves once connected; rejects when Redis has not answered within FIRST_CONNECT_MS. */
export async function createRedis(url: string): Promise<Redis> {
  const startedAt = Date.now();
  let connected = false;
  const client: Redis = createClient({
    url,
    // While the connection is down, commands fail at once (ClientOfflineError) rather than
    // queueing until it is back, which may be never: callers treat an error as "unavailable,
    // retry" and have deadlines of their own. Commands sent before the drop fail with it too.
    disableOfflineQueue: true,
    socket: {
      // Once connected, reconnect for as long as it takes (a client that stopped trying would be
      // a live process that can never work again), backing off to one attempt every 2 s with
      // jitter so replicas do not all knock at once. A start without Redis gives up instead, so
      // the process exits and is restarted, like one whose sidecar never answers.
      reconnectStrategy: (retries, cause) =>
        !connected && Date.now() - startedAt > FIRST_CONNECT_MS ? cause : Math.min(50 * 2 ** retries, 2_000) + Math.floor(Math.random() * 200),
    },
  });
  // Without a listener an 'error' event (each failed reconnect) would crash the process; the
  // loss itself shows in the commands that fail meanwhile, which their callers log.
  client.on('error', () => undefined);
  await client.connect();
  connected = true;
  return client;
}
