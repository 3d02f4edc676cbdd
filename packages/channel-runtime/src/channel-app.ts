import { hostname } from 'node:os';
import { z } from 'zod';
import { baseEnvSchema, createLogger, createMetricsRegistry, createTracing, type Logger, metricsRoute, parseEnv, portSchema } from '@herald/service';
import type { Channel } from '@herald/contracts';
import { createSidecar, optionalSecret } from '@herald/dapr';
import { createAppDataKeys, createInHandCounter, createRedis, dataKeysEnvSchema, keyRingAtStart, redisEnvSchema, redisKeys } from '@herald/stores';
import { startChannelServer } from './channel-server.js';
import { createChannelWorker, type RateLimiterPort } from './channel-worker.js';
import { createCircuitBreaker } from './circuit-breaker.js';
import { createSendLedger } from './dedup.js';
import { createDispatchOpener } from './dispatch-opener.js';
import { createChannelMetrics } from './metrics.js';
import type { ProviderPort } from './provider-port.js';
import { createTokenBucket } from './rate-limiter.js';
import { createSandboxProvider } from './sandbox-provider.js';

const channelEnvSchema = baseEnvSchema.extend(redisEnvSchema.shape).extend(dataKeysEnvSchema.shape).extend({
  APP_PORT: portSchema,
  APP_HOST: z.string().default('127.0.0.1'),
  SECRET_STORE: z.string().default('secretstore'),
  /** Prefixes the channel topics (tests and regions run isolated queues). */
  TOPIC_PREFIX: z.string().default(''),
  /** The provider account's limit, shared by every replica (0: none, e.g. for the sandbox). */
  PROVIDER_RATE_PER_SEC: z.coerce.number().nonnegative().default(0),
  /** Tokens an idle account may spend at once (default 2% of a second's worth, at least 1). */
  PROVIDER_BURST: z.coerce.number().int().positive().optional(),
  /** Tokens of the burst only critical may take (default half the burst: none below a burst of 2). */
  PROVIDER_CRITICAL_RESERVE: z.coerce.number().int().nonnegative().optional(),
  /** Names the account's bucket and breaker: replicas sending through one account share them. */
  PROVIDER_ACCOUNT: z.string().optional(),
  /** The provider's breaker: on for real providers, off for the sandbox unless set. */
  BREAKER: z.enum(['on', 'off']).optional(),
  BREAKER_OPEN_MS: z.coerce.number().int().positive().default(5_000),
});

/** What a channel's provider factory gets: its secrets (from the Dapr secret store) and its environment. */
export interface ProviderContext {
  secret: (name: string) => Promise<string | undefined>;
  env: NodeJS.ProcessEnv;
  log: Logger;
}
/** Builds the channel's real provider, or answers undefined when it is not configured (the sandbox runs). */
export type ProviderFactory = (ctx: ProviderContext) => Promise<ProviderPort | undefined>;

/**
 * Starts a channel app: the key ring that opens the sealed dispatches, its provider (the sandbox
 * unless the factory configures a real one), the shared send ledger, the provider account's
 * token bucket and breaker, the worker, and the server its sidecar delivers queue messages to.
 * Each apps/channel-* main calls this.
 */
export async function runChannelApp(channel: Channel, defaultPort: number, makeProvider?: ProviderFactory): Promise<void> {
  const config = parseEnv(channelEnvSchema.extend({ APP_PORT: portSchema.default(defaultPort) }));
  const log = createLogger(`channel-${channel}`, config.LOG_LEVEL);
  // Spans to ZIPKIN_ENDPOINT, named as the sidecar names this app; none when it is unset.
  const tracing = await createTracing(`channel-${channel}`, config);
  const sidecar = createSidecar(config.DAPR_HOST, config.DAPR_HTTP_PORT, { apiToken: config.DAPR_API_TOKEN, secretNames: config.SECRET_NAME_STYLE });
  await sidecar.waitUntilReady(60_000);
  const ring = (await keyRingAtStart(sidecar, config.SECRET_STORE, log)) ?? process.exit(1);
  const real = await makeProvider?.({ secret: (name) => optionalSecret(sidecar, config.SECRET_STORE, name), env: process.env, log });
  const sandbox = createSandboxProvider(channel);
  const provider = real ?? sandbox;
  if (!real) log.warn({ provider: sandbox.name }, 'no provider credentials in the secret store: running the sandbox (records, sends nothing)');

  const redis = await createRedis(config.REDIS_URL);
  const keys = redisKeys(config.KEY_PREFIX);
  // The customers' data keys (component `datakeys`), unwrapped under the ring and kept in memory
  // until an erasure's announcement (or the cache TTL) makes this process forget them.
  const opener = createDispatchOpener(await createAppDataKeys({ state: sidecar, ring, redis, keys, cacheTtlMs: config.DATA_KEY_CACHE_TTL_MS }));
  const account = config.PROVIDER_ACCOUNT ?? provider.name;
  // A small burst by default: a full bucket of one second's tokens would let an idle account
  // send twice its limit in the first second, and providers count per second.
  const burst = config.PROVIDER_BURST ?? Math.max(1, Math.floor(config.PROVIDER_RATE_PER_SEC * 0.02));
  const criticalReserve = config.PROVIDER_CRITICAL_RESERVE ?? Math.floor(burst / 2);
  const limiter: RateLimiterPort | undefined =
    config.PROVIDER_RATE_PER_SEC > 0
      ? createTokenBucket(redis, keys, { name: account, ratePerSec: config.PROVIDER_RATE_PER_SEC, burst, criticalReserve })
      : undefined;
  if (real && !limiter) log.warn({ provider: provider.name }, 'no PROVIDER_RATE_PER_SEC: sending without a rate limit');
  const breaker =
    (config.BREAKER ?? (real ? 'on' : 'off')) === 'on' ? createCircuitBreaker(redis, keys, { name: account, openMs: config.BREAKER_OPEN_MS }) : undefined;
  const registry = createMetricsRegistry(`channel-${channel}`);
  const metrics = createChannelMetrics(registry, { channel, provider: provider.name, ...(breaker ? { breakerState: () => breaker.state() } : {}) });

  const worker = createChannelWorker({
    channel,
    provider,
    opener,
    sidecar,
    log,
    ledger: createSendLedger(redis, keys),
    ...(limiter ? { limiter } : {}),
    ...(breaker ? { breaker } : {}),
    metrics,
    tracing,
  });
  // `/sandbox/count` is what a poller (the bench, every 250 ms while it waits) asks for: the
  // full record is up to 1,000 messages of JSON, and serialising it on every poll cost the
  // channel apps more than their own work in a bench run (docs/performance.md, "The local stack
  // and the bench").
  const routes = real
    ? {}
    : { '/sandbox/messages': () => ({ total: sandbox.count(), recent: sandbox.recent() }), '/sandbox/count': () => ({ total: sandbox.count() }) };
  const inHand = createInHandCounter(redis, keys, { member: `channel-${channel}/${hostname()}/${process.pid}` });
  const server = await startChannelServer({
    host: config.APP_HOST,
    port: config.APP_PORT,
    channel,
    topicPrefix: config.TOPIC_PREFIX,
    worker,
    inHand,
    log,
    routes,
    appToken: config.APP_API_TOKEN,
    metricsRoute: metricsRoute(registry, config),
  });
  log.info({ port: config.APP_PORT, provider: provider.name, kekVersions: ring.versions, ratePerSec: config.PROVIDER_RATE_PER_SEC, breaker: breaker !== undefined }, `channel-${channel} ready`);

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      log.info({ signal }, 'stopping');
      // Leaving: its counts go now, not once the last connection has closed (which may be never).
      const counted = inHand.stop();
      server.close(() => {
        void Promise.allSettled([counted, tracing.shutdown()]).finally(() => {
          redis.destroy();
          process.exit(0);
        });
      });
      setTimeout(() => process.exit(0), 5_000).unref();
    });
  }
}

/**
 * The key ring, or the end of the process: without its keys a channel can open no dispatch, and
 * it never sends anything it could not open. The message names the missing or wrong secret.
 */
