import { createLogger, createMetricsRegistry, createTracing, metricsRoute, requireAppToken, startHttpServer } from '@herald/service';
import { createActorHost, createActorStateCache, createGroupPublisher, createSidecar, createSidecarActorState, deadLetterTopic, laneTopic } from '@herald/dapr';
import { createAppDataKeys, createCustomerStore, createRedis, createWebhookEndpointStore, keyRingAtStart, redisKeys } from '@herald/stores';
import { createAcceptedHandler } from './adapters/accepted-subscription.js';
import { createLaneSubscriptions } from './adapters/bulk-subscription.js';
import { createDeadLetters } from './adapters/dead-letters.js';
import { createDeadlineList, createDispatchWatchdog } from './adapters/dispatch-watchdog.js';
import { createDispatcherMetrics } from './adapters/metrics.js';
import { createNotificationActor } from './adapters/notification-actor.js';
import { createCustomerReader } from './adapters/customer-reader.js';
import { createWebhookDeliverer } from './adapters/webhook-deliverer.js';
import { goDurationMs, loadConfig } from './config.js';
import { createLaneGate } from './domain/lane-gate.js';

const config = loadConfig();
const log = createLogger('dispatcher', config.LOG_LEVEL);
// Spans to ZIPKIN_ENDPOINT, named as the sidecar names this app; none when it is unset.
const tracing = await createTracing('dispatcher', config);
const sidecar = createSidecar(config.DAPR_HOST, config.DAPR_HTTP_PORT, { apiToken: config.DAPR_API_TOKEN, secretNames: config.SECRET_NAME_STYLE });
const redis = await createRedis(config.REDIS_URL);
const keys = redisKeys(config.KEY_PREFIX);

// Never without the keys: the webhook deliverer opens the metadata it sends with them.
await sidecar.waitUntilReady(60_000);
const ring = (await keyRingAtStart(sidecar, config.SECRET_STORE, log)) ?? process.exit(1);

const registry = createMetricsRegistry('dispatcher');
const metrics = createDispatcherMetrics(registry, { redis, keys, topicPrefix: config.TOPIC_PREFIX });

const webhooks = createWebhookDeliverer({
  metrics: metrics.webhooks,
  redis,
  keys,
  endpoints: createWebhookEndpointStore(sidecar),
  dataKeys: await createAppDataKeys({ state: sidecar, ring, redis, keys, cacheTtlMs: config.DATA_KEY_CACHE_TTL_MS }),
  log,
  allowPrivate: config.WEBHOOK_ALLOW_PRIVATE_NETWORKS,
  policy: { maxAttempts: config.WEBHOOK_MAX_ATTEMPTS, baseDelayMs: config.WEBHOOK_BASE_DELAY_MS },
});
const deadlines = createDeadlineList(redis, keys);
const notificationActor = createNotificationActor({
  sidecar,
  // One request at a time per channel queue: Dapr's RabbitMQ component publishes one message at a
  // time anyway (it holds its lock until each confirm: channel-queues.yaml), so more requests in
  // flight would only wait there; one in flight lets everything behind it leave together.
  dispatches: createGroupPublisher({ sidecar, maxInFlight: 1 }),
  log,
  topicPrefix: config.TOPIC_PREFIX,
  policy: { maxAttempts: config.RETRY_MAX_ATTEMPTS, baseDelayMs: config.RETRY_BASE_DELAY_MS, maxDelayMs: config.RETRY_MAX_DELAY_MS },
  dispatch: { timeoutMs: config.DISPATCH_TIMEOUT_MS, maxHandoffs: config.DISPATCH_MAX_HANDOFFS },
  deadlines,
  customers: createCustomerReader(createCustomerStore(sidecar), log),
  retentionSeconds: config.HISTORY_RETENTION_DAYS * 86_400,
  statusEvents: webhooks,
  metrics: metrics.actor,
  tracing,
});
const actorState = createActorStateCache(createSidecarActorState(config.DAPR_HOST, config.DAPR_HTTP_PORT, { apiToken: config.DAPR_API_TOKEN }), {
  idleMs: Math.min(config.ACTOR_CACHE_IDLE_MS, goDurationMs(config.ACTOR_IDLE_TIMEOUT) ?? 0),
  maxActors: config.ACTOR_CACHE_MAX,
});
const actorHost = createActorHost({
  actors: [notificationActor],
  cache: actorState,
  // When the actors move (a host joins or dies), each sidecar waits for their calls in progress
  // before it acknowledges placement's new table. Placement waits 8 s for every sidecar (its
  // disseminateTimeout) and resets a slower one's stream: with 30 s here, a survivor still waiting
  // on calls to a dead host was reset, and some actors stayed unreachable for minutes. A turn takes
  // well under a second (its bound is the resiliency actorCall timeout).
  config: { actorIdleTimeout: config.ACTOR_IDLE_TIMEOUT, actorScanInterval: '30s', drainOngoingCallTimeout: '5s', drainRebalancedActors: true },
  log,
});

const deadLetters = createDeadLetters({ sidecar, pubsubName: config.PUBSUB_NAME, topic: deadLetterTopic(config.TOPIC_PREFIX), redis, keys });
const handlerFor = (lane: 'critical' | 'bulk') => createAcceptedHandler({ sidecar, log, deadLetters, topic: laneTopic(lane, config.TOPIC_PREFIX), tracing });
const subscriptions = createLaneSubscriptions({
  pubsubName: config.PUBSUB_NAME,
  topicPrefix: config.TOPIC_PREFIX,
  batching: {
    critical: { maxMessagesCount: config.CRITICAL_BATCH_MAX, maxAwaitDurationMs: config.CRITICAL_BATCH_AWAIT_MS },
    bulk: { maxMessagesCount: config.BULK_BATCH_MAX, maxAwaitDurationMs: config.BULK_BATCH_AWAIT_MS },
  },
  handlers: { critical: handlerFor('critical'), bulk: handlerFor('bulk') },
  gate: createLaneGate({ critical: config.CRITICAL_CONCURRENCY, bulk: config.BULK_CONCURRENCY, bulkYieldAbove: config.BULK_YIELD_ABOVE }),
  log,
});

// A bulk delivery carries a whole batch of accepted notifications: room for the largest.
// Every route but the health check and /metrics (served first, with its own access settings) is
// for the sidecar alone: with an app token, nothing else is served.
const sidecarOnly = requireAppToken(config.APP_API_TOKEN, (path) => path === '/healthz');
const server = await startHttpServer({ host: config.APP_HOST, port: config.APP_PORT, routes: [metricsRoute(registry, config), sidecarOnly, actorHost, subscriptions], log, maxBodyBytes: 16 * 1024 * 1024 });
webhooks.start();
const watchdog = createDispatchWatchdog({ list: deadlines, sidecar, log, intervalMs: config.WATCHDOG_INTERVAL_MS });
watchdog.start();
log.info({ port: config.APP_PORT }, 'dispatcher ready');

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log.info({ signal }, 'dispatcher stopping');
    // Turns in progress finish before the process goes (an actor's turn answers its sidecar); a
    // connection kept open past 10 s does not hold the exit.
    const closed = new Promise<void>((resolve) => {
      server.close(() => resolve());
      setTimeout(resolve, 10_000).unref();
      server.closeIdleConnections();
    });
    void Promise.allSettled([closed, webhooks.stop(), watchdog.stop()]).then(() => tracing.shutdown()).finally(() => {
      redis.destroy();
      process.exit(0);
    });
  });
}
