import { createLogger, createMetricsRegistry, createTracing, errMessage, metricsRoute } from '@herald/service';
import { createSidecar, NOTIFICATION_ACTOR, optionalSecret, requiredSecret } from '@herald/dapr';
import {
  createCustomerStore,
  createAppDataKeys,
  createNotificationHistory,
  createPreferencesStore,
  createRedis,
  createWebhookEndpointStore,
  ensureStoreIndexes,
  keyRingAtStart,
  redisKeys,
} from '@herald/stores';
import { checkWebhookUrl } from '@herald/webhooks';
import { createAdmissionControl } from './adapters/admission-control.js';
import { createApiKeyStore, createAuthenticator } from './adapters/api-keys.js';
import { createBacklogMonitor } from './adapters/backlog-monitor.js';
import { createCustomerHomes, type CustomerHomes } from './adapters/customer-homes.js';
import { createErasureService } from './adapters/erasure.js';
import { createIntakeServer } from './adapters/http-app.js';
import { createIdempotencyStore } from './adapters/idempotency-store.js';
import { createLanePublisher } from './adapters/lane-publisher.js';
import { createIntakeMetrics } from './adapters/metrics.js';
import { createNotificationIds, processLocalIdKey } from './adapters/notification-ids.js';
import { createProviderCallbackRouter } from './adapters/provider-callbacks.js';
import { createQuotaCounter } from './adapters/quota-counter.js';
import { thresholdsFor } from './domain/admission.js';

import { loadConfig } from './config.js';

const config = loadConfig();
const log = createLogger('intake', config.LOG_LEVEL);
// Spans to ZIPKIN_ENDPOINT, named as the sidecar names this app; none when it is unset.
const tracing = await createTracing('intake', config);
const sidecar = createSidecar(config.DAPR_HOST, config.DAPR_HTTP_PORT, { apiToken: config.DAPR_API_TOKEN, secretNames: config.SECRET_NAME_STYLE });
const redis = await createRedis(config.REDIS_URL);
const keys = redisKeys(config.KEY_PREFIX);

// API keys, the key ring and provider verification keys come from the secret store (locally:
// the environment secret store), never the repo.
await sidecar.waitUntilReady(60_000);
const ring = (await keyRingAtStart(sidecar, config.SECRET_STORE, log)) ?? process.exit(1);
// Kept for minutes; an erasure anywhere makes every process drop the key within seconds.
const dataKeys = await createAppDataKeys({ state: sidecar, ring, redis, keys, cacheTtlMs: config.DATA_KEY_CACHE_TTL_MS });
const customers = createCustomerStore(sidecar);
// Keys made through the API are read from the records store, each tenant's at most every
// API_KEY_CACHE_MS: a revoked key stops working on every replica within that.
const apiKeys = createApiKeyStore(sidecar);
const authenticator = createAuthenticator({
  configured: await requiredSecret(sidecar, config.SECRET_STORE, config.API_KEYS_SECRET),
  store: apiKeys,
  cacheMs: config.API_KEY_CACHE_MS,
});

async function regionHomes(region: string): Promise<CustomerHomes> {
  const key = await requiredSecret(sidecar, config.SECRET_STORE, config.HOME_DIRECTORY_KEY_SECRET);
  if (Buffer.byteLength(key) < 16) throw new Error(`secret ${config.HOME_DIRECTORY_KEY_SECRET} must be at least 16 bytes`);
  const made = createCustomerHomes({ state: sidecar, region, regions: config.REGIONS, key: Buffer.from(key), store: config.HOMES_STORE });
  // A lost or replaced directory is said at start; intake serves meanwhile, and claims no one until it is right.
  await made.verifyDirectory().catch((err: unknown) => log.error({ err: errMessage(err) }, 'customer directory not verified: no new customer is accepted until it is'));
  log.info({ region, regions: Object.keys(config.REGIONS) }, 'serving one region of several');
  return made;
}

// One region of several: where each customer lives, from the directory the regions share.
const homes = config.REGION ? await regionHomes(config.REGION) : undefined;
const sendgridPublicKey = await optionalSecret(sidecar, config.SECRET_STORE, 'SENDGRID_WEBHOOK_PUBLIC_KEY');
const twilioAuthToken = await optionalSecret(sidecar, config.SECRET_STORE, 'TWILIO_AUTH_TOKEN');
const idKey = await optionalSecret(sidecar, config.SECRET_STORE, config.NOTIFICATION_ID_KEY_SECRET);
if (!idKey) log.warn(`no secret ${config.NOTIFICATION_ID_KEY_SECRET}: ids are recognised by this replica only, and not after its restart`);
const ids = createNotificationIds(idKey ? Buffer.from(idKey) : processLocalIdKey());
if (config.WEBHOOK_ALLOW_PRIVATE_NETWORKS) log.warn('webhooks may point at private and loopback addresses (development setting)');
const historySql = { binding: config.HISTORY_SQL_BINDING, table: config.STATE_TABLE };
// In the background: on a new table it takes milliseconds, and intake serves meanwhile either way.
void ensureStoreIndexes(sidecar, { ...historySql, recordsTable: config.RECORDS_TABLE, log });
const history = createNotificationHistory(sidecar, { ...historySql, retentionDays: config.HISTORY_RETENTION_DAYS });
const preferences = createPreferencesStore(sidecar);
// An erasure's record, its audit record, is kept as long as the notifications it erased would have been.
const erasures = createErasureService({
  sidecar, dataKeys, customers, preferences, history, log,
  retentionSeconds: config.HISTORY_RETENTION_DAYS * 86_400,
  sql: { binding: config.HISTORY_SQL_BINDING, recordsTable: config.RECORDS_TABLE },
});

const monitor = createBacklogMonitor({
  redis,
  keys,
  amqpUrl: config.AMQP_URL,
  topicPrefix: config.TOPIC_PREFIX,
  consumerGroup: config.DISPATCHER_APP_ID,
  intervalMs: config.ADMISSION_POLL_MS,
  log,
});
const quotas = createQuotaCounter({ redis, keys, syncMs: config.QUOTA_SYNC_MS, log });
const admission = createAdmissionControl({
  monitor,
  quotas,
  thresholds: { bulk: thresholdsFor(config.ADMISSION_BULK_SHED_AT), critical: thresholdsFor(config.ADMISSION_CRITICAL_SHED_AT) },
  waitLimits: { bulk: { seconds: config.ADMISSION_BULK_MAX_WAIT_SECONDS, floor: config.ADMISSION_MIN_SHED_AT } },
  quotaOf: (tenantId) => ({
    requestsPerSecond: config.TENANT_QUOTAS[tenantId]?.requestsPerSecond ?? config.TENANT_REQUESTS_PER_SECOND,
    notificationsPerDay: config.TENANT_QUOTAS[tenantId]?.notificationsPerDay ?? config.TENANT_NOTIFICATIONS_PER_DAY,
    criticalReserve: config.TENANT_QUOTAS[tenantId]?.criticalReserve ?? config.TENANT_CRITICAL_RESERVE,
  }),
});
monitor.start();
quotas.start();
// Listen once the first reading says which channel queues exist (a dispatch to a queue that is
// not declared yet is dropped by the broker), or after 10 s without one: admission then goes on
// the readings as they come.
await Promise.race([monitor.firstReading(), new Promise((resolve) => setTimeout(resolve, 10_000).unref())]);

const registry = createMetricsRegistry('intake');
const metrics = createIntakeMetrics(registry, {
  tenantClassOf: (tenantId) => config.TENANT_QUOTAS[tenantId]?.class ?? 'standard',
  backlog: () => monitor.snapshot(),
});

const server = createIntakeServer({
  metrics,
  tracing,
  metricsRoute: metricsRoute(registry, config),
  sidecar,
  authenticator,
  apiKeys,
  log,
  bodyLimitBytes: config.BODY_LIMIT_BYTES,
  batchBodyLimitBytes: config.BATCH_BODY_LIMIT_BYTES,
  profileBodyLimitBytes: config.PROFILE_BODY_LIMIT_BYTES,
  publisher: createLanePublisher({ sidecar, pubsubName: config.PUBSUB_NAME, topicPrefix: config.TOPIC_PREFIX }),
  admission,
  idempotency: createIdempotencyStore(sidecar, { ttlSeconds: config.IDEMPOTENCY_TTL_SECONDS }),
  ids,
  pendingVisibleMs: config.PENDING_VISIBLE_SECONDS * 1000,
  pendingCancelWaitMs: config.PENDING_CANCEL_WAIT_MS,
  history,
  preferences,
  dataKeys,
  customers,
  homes,
  erasures,
  webhookEndpoints: createWebhookEndpointStore(sidecar, {
    // The deliverer's health record and dead deliveries of a removed endpoint go with it.
    onRemoved: async (endpointId) => void (await redis.del([keys.webhookHealth(endpointId), keys.webhookDead(endpointId)])),
  }),
  checkWebhookUrl: (url) => checkWebhookUrl(url, { allowPrivate: config.WEBHOOK_ALLOW_PRIVATE_NETWORKS }),
  providerCallbacks: createProviderCallbackRouter({
    sendgridPublicKey,
    twilioAuthToken,
    publicBaseUrl: config.PUBLIC_BASE_URL,
    record: async (event) => {
      await sidecar.invokeActor(NOTIFICATION_ACTOR, event.notificationId, 'providerEvent', event);
    },
    log,
  }),
});
server.listen(config.APP_PORT, config.APP_HOST, () => log.info({ port: config.APP_PORT }, 'intake ready'));
// Erasures a stopped intake left running go on, in the background: intake serves meanwhile.
erasures.resume().catch((err: unknown) => log.error({ err: errMessage(err) }, 'resuming erasures failed'));

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log.info({ signal }, 'intake stopping');
    server.close(() => {
      void Promise.allSettled([monitor.stop(), quotas.stop(), erasures.stop(), tracing.shutdown()]).finally(() => {
        redis.destroy();
        process.exit(0);
      });
    });
    setTimeout(() => process.exit(0), 5_000).unref();
  });
}
