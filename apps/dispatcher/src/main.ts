import { CommunicationProtocolEnum, DaprServer, LogLevel } from '@dapr/dapr';
import { createLogger, createSidecar, laneTopic, PrioritySchema } from '@herald/shared';
import { createAcceptedHandler } from './adapters/accepted-subscription.js';
import { createNotificationActor } from './adapters/notification-actor.js';
import { loadConfig } from './config.js';

const config = loadConfig();
const log = createLogger('dispatcher', config.LOG_LEVEL);
const sidecar = createSidecar(config.DAPR_HOST, config.DAPR_HTTP_PORT);

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

const policy = {
  maxAttempts: config.RETRY_MAX_ATTEMPTS,
  baseDelayMs: config.RETRY_BASE_DELAY_MS,
  maxDelayMs: config.RETRY_MAX_DELAY_MS,
};
await server.actor.registerActor(createNotificationActor({ sidecar, log, policy }));
await server.actor.init();

const onAccepted = createAcceptedHandler({ sidecar, log });
for (const lane of PrioritySchema.options) {
  await server.pubsub.subscribe(config.PUBSUB_NAME, laneTopic(lane, config.TOPIC_PREFIX), onAccepted, `events/${lane}`);
}

await server.start();
log.info({ port: config.APP_PORT }, 'dispatcher ready');

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log.info({ signal }, 'dispatcher stopping');
    void server.stop().finally(() => process.exit(0));
  });
}
