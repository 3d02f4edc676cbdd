import { CommunicationProtocolEnum, DaprServer, LogLevel } from '@dapr/dapr';
import {
  createHistoryIndex,
  createLogger,
  createPreferencesStore,
  createRedis,
  createSidecar,
  deadLetterTopic,
  laneTopic,
  PrioritySchema,
  redisKeys,
} from '@herald/shared';
import { createAcceptedHandler } from './adapters/accepted-subscription.js';
import { createDeadLetters } from './adapters/dead-letters.js';
import { createNotificationActor } from './adapters/notification-actor.js';
import { createPreferencesReader } from './adapters/preferences-reader.js';
import { createWebhookDeliverer } from './adapters/webhook-deliverer.js';
import { loadConfig } from './config.js';

const config = loadConfig();
const log = createLogger('dispatcher', config.LOG_LEVEL);
const sidecar = createSidecar(config.DAPR_HOST, config.DAPR_HTTP_PORT);
const redis = createRedis(config.REDIS_URL);
const keys = redisKeys(config.KEY_PREFIX);

const server = new DaprServer({
  serverHost: '127.0.0.1',
  serverPort: String(config.APP_PORT),
  communicationProtocol: CommunicationProtocolEnum.HTTP,
  clientOptions: {
    daprHost: config.DAPR_HOST,
    daprPort: String(config.DAPR_HTTP_PORT),
    communicationProtocol: CommunicationProtocolEnum.HTTP,
    actor: { actorIdleTimeout: config.ACTOR_IDLE_TIMEOUT, actorScanInterval: '30s' },
  },
  logger: { level: LogLevel.Warn },
});

const webhooks = createWebhookDeliverer({
  redis,
  keys,
  log,
  allowPrivate: config.WEBHOOK_ALLOW_PRIVATE_NETWORKS,
  policy: { maxAttempts: config.WEBHOOK_MAX_ATTEMPTS, baseDelayMs: config.WEBHOOK_BASE_DELAY_MS },
});
await server.actor.registerActor(
  createNotificationActor({
    sidecar,
    log,
    policy: { maxAttempts: config.RETRY_MAX_ATTEMPTS, baseDelayMs: config.RETRY_BASE_DELAY_MS, maxDelayMs: config.RETRY_MAX_DELAY_MS },
    preferences: createPreferencesReader(createPreferencesStore(redis, keys), log),
    history: createHistoryIndex(redis, keys, config.HISTORY_RETENTION_DAYS),
    statusEvents: webhooks,
  }),
);
await server.actor.init();

const deadLetters = createDeadLetters({ sidecar, pubsubName: config.PUBSUB_NAME, topic: deadLetterTopic(config.TOPIC_PREFIX), redis, keys });
for (const lane of PrioritySchema.options) {
  const topic = laneTopic(lane, config.TOPIC_PREFIX);
  await server.pubsub.subscribe(config.PUBSUB_NAME, topic, createAcceptedHandler({ sidecar, log, deadLetters, topic }), `events/${lane}`);
}

await server.start();
webhooks.start();
log.info({ port: config.APP_PORT }, 'dispatcher ready');

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log.info({ signal }, 'dispatcher stopping');
    void Promise.allSettled([webhooks.stop(), server.stop()]).finally(() => {
      redis.disconnect();
      process.exit(0);
    });
  });
}
