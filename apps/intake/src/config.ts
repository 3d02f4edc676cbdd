import { baseEnvSchema, envFlag, historyRetentionDaysSchema, jsonEnv, parseEnv, portSchema } from '@herald/service';
import { dataKeysEnvSchema, redisEnvSchema, TABLE_NAME_PATTERN } from '@herald/stores';
import { z } from 'zod';

const criticalReserveSchema = z.coerce.number().min(0).max(0.5);
const tableNameSchema = z.string().regex(TABLE_NAME_PATTERN, 'a plain table name, optionally schema.table');

const schema = baseEnvSchema.extend(redisEnvSchema.shape).extend(dataKeysEnvSchema.shape).extend({
  APP_PORT: portSchema.default(3000),
  APP_HOST: z.string().default('127.0.0.1'),
  TOPIC_PREFIX: z.string().default(''),
  SECRET_STORE: z.string().default('secretstore'),
  /** Name of the secret that holds the configured API keys: `{"<api key>": "<tenant id>"}` (api-keys.ts). */
  API_KEYS_SECRET: z.string().default('API_KEYS'),
  /** How long a tenant's API keys are used as read: a revoked key stops working on every replica within this. */
  API_KEY_CACHE_MS: z.coerce.number().int().nonnegative().default(5_000),
  BODY_LIMIT_BYTES: z.coerce.number().int().positive().default(64 * 1024),
  /** A customer profile's body (`PUT`/`PATCH /v1/customers/<id>`, a device): a few fields and at most ten devices. */
  PROFILE_BODY_LIMIT_BYTES: z.coerce.number().int().positive().default(16 * 1024),
  /** A batch carries up to 1,000 notifications. */
  BATCH_BODY_LIMIT_BYTES: z.coerce.number().int().positive().default(8 * 1024 * 1024),
  /** Where the channel queues are (intake reads their depth for admission control). */
  AMQP_URL: z.string().default('amqp://guest:guest@127.0.0.1:5672'),
  /** The dispatcher's app id: Dapr names its consumer group on the lane streams after it. */
  DISPATCHER_APP_ID: z.string().default('dispatcher'),
  /**
   * Admission control: a lane sheds new notifications (429 + Retry-After) once this many wait in
   * it (stream + dispatcher + channel queues), and admits again below 80% of it. Bulk sheds early
   * (its senders can wait); critical only when the system would otherwise drown.
   */
  ADMISSION_BULK_SHED_AT: z.coerce.number().int().positive().default(20_000),
  ADMISSION_CRITICAL_SHED_AT: z.coerce.number().int().positive().default(200_000),
  /**
   * Bulk also sheds once its backlog would take longer than this to drain at the fastest rate
   * the lane has drained lately (0: off), but never below ADMISSION_MIN_SHED_AT waiting.
   */
  ADMISSION_BULK_MAX_WAIT_SECONDS: z.coerce.number().int().nonnegative().default(120),
  ADMISSION_MIN_SHED_AT: z.coerce.number().int().positive().default(1_000),
  /** How often the lanes' backlog is read. */
  ADMISSION_POLL_MS: z.coerce.number().int().positive().default(500),
  /** Every tenant's quota unless TENANT_QUOTAS names it. */
  TENANT_REQUESTS_PER_SECOND: z.coerce.number().int().positive().default(2_000),
  TENANT_NOTIFICATIONS_PER_DAY: z.coerce.number().int().positive().default(100_000_000),
  /**
   * Share of both limits that requests carrying any bulk notification may not use: kept for
   * critical ones, so a tenant's own campaign at its limit still lets its password resets in.
   */
  TENANT_CRITICAL_RESERVE: criticalReserveSchema.default(0.1),
  /**
   * Per-tenant quotas as JSON:
   * `{"<tenant>": {"requestsPerSecond": 50, "notificationsPerDay": 100000, "criticalReserve": 0.2, "class": "enterprise"}}`.
   */
  TENANT_QUOTAS: jsonEnv(
    z.record(
      z.string().min(1),
      z
        .object({
          requestsPerSecond: z.number().int().positive().optional(),
          notificationsPerDay: z.number().int().positive().optional(),
          criticalReserve: criticalReserveSchema.optional(),
          /** The tenant's class in the metrics (`herald_notifications_accepted_total`); `standard` unless set. */
          class: z.string().regex(/^[a-z][a-z0-9_-]{0,31}$/, 'a class name: lower-case letters, digits, - and _').optional(),
        })
        .strict(),
    ),
  ),
  /** How often tenant counts are shared with the other intake replicas. */
  QUOTA_SYNC_MS: z.coerce.number().int().positive().default(200),
  /**
   * The secret that marks the ids intake mints (at least 16 bytes; every intake replica the
   * same), so a status request in the moments after the `202` is answered `accepted`.
   */
  NOTIFICATION_ID_KEY_SECRET: z.string().default('NOTIFICATION_ID_KEY'),
  /** How long after its `202` a notification not yet taken up by the dispatcher is answered `accepted`. */
  PENDING_VISIBLE_SECONDS: z.coerce.number().int().positive().default(900),
  /** How long a cancel waits for a notification accepted moments ago to be taken up. */
  PENDING_CANCEL_WAIT_MS: z.coerce.number().int().nonnegative().default(3_000),
  /** How long an Idempotency-Key is remembered: at least a day, so a client's retries the next morning still match. */
  IDEMPOTENCY_TTL_SECONDS: z.coerce.number().int().min(86_400).default(86_400),
  HISTORY_RETENTION_DAYS: historyRetentionDaysSchema,
  /** The SQL binding on the store of record's database (statestore-sql.yaml): history pages and their index. */
  HISTORY_SQL_BINDING: z.string().default('statestore-sql'),
  /** The actors' state component's table (statestore.yaml's `tableName`, `state` unless set). */
  STATE_TABLE: tableNameSchema.default('state'),
  /** The records component's table (records.yaml's `tableName`). */
  RECORDS_TABLE: tableNameSchema.default('records'),
  /** Development only: let webhooks point at loopback/private addresses. */
  WEBHOOK_ALLOW_PRIVATE_NETWORKS: envFlag,
  /** How providers reach intake (Twilio signs the URL it calls). */
  PUBLIC_BASE_URL: z.string().url().default('http://127.0.0.1:3000'),
  /**
   * This stack's region (`us`, `eu`), when Herald runs as several regions: each customer then
   * lives in one, and the others answer `421 wrong_region` (customer-homes.ts). Unset: one region,
   * every customer here.
   */
  REGION: z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, 'a region name: lower-case letters, digits, dashes').optional(),
  /** Every region's public base URL by name (`{"us": "https://…", "eu": "https://…"}`): where a 421 sends the caller. */
  REGIONS: jsonEnv(z.record(z.string(), z.string().url())),
  /** The directory of customers' homes, shared by the regions (the `homes` component). */
  HOMES_STORE: z.string().default('homes'),
  /** The secret the directory's keys are made with: the same in every region, at least 16 bytes. */
  HOME_DIRECTORY_KEY_SECRET: z.string().default('HOME_DIRECTORY_KEY'),
}).refine((c) => c.REGION === undefined || Object.hasOwn(c.REGIONS, c.REGION), { message: 'REGIONS must name REGION (with its base URL)', path: ['REGIONS'] });

export type IntakeConfig = z.infer<typeof schema>;
export const loadConfig = (env: NodeJS.ProcessEnv = process.env): IntakeConfig => parseEnv(schema, env);
