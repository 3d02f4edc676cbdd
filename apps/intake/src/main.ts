import { createLogger, createSidecar } from '@herald/shared';
import { createAuthenticator } from './adapters/api-keys.js';
import { createIntakeApp } from './adapters/http-app.js';
import { loadConfig } from './config.js';

const config = loadConfig();
const log = createLogger('intake', config.LOG_LEVEL);
const sidecar = createSidecar(config.DAPR_HOST, config.DAPR_HTTP_PORT);

// API keys come from the secret store (locally: the environment secret store), never the repo.
await sidecar.waitUntilReady(60_000);
const secret = await sidecar.getSecret(config.SECRET_STORE, config.API_KEYS_SECRET);
const keysJson = secret[config.API_KEYS_SECRET];
if (!keysJson) throw new Error(`secret ${config.API_KEYS_SECRET} not found in secret store ${config.SECRET_STORE}`);
const authenticate = createAuthenticator(keysJson);

const app = createIntakeApp({
  sidecar,
  authenticate,
  log,
  pubsubName: config.PUBSUB_NAME,
  topicPrefix: config.TOPIC_PREFIX,
  bodyLimitBytes: config.BODY_LIMIT_BYTES,
});
const server = app.listen(config.APP_PORT, config.APP_HOST, () => log.info({ port: config.APP_PORT }, 'intake ready'));
server.keepAliveTimeout = 65_000;

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log.info({ signal }, 'intake stopping');
    server.close(() => process.exit(0));
    setTimeout(() => process.exit(0), 5_000).unref();
  });
}
