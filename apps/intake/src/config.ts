import { baseEnvSchema, envFlag, historyRetentionDaysSchema, parseEnv, portSchema, redisEnvSchema } from '@herald/shared';
import { z } from 'zod';

const schema = baseEnvSchema.extend(redisEnvSchema.shape).extend({
  APP_PORT: portSchema.default(3000),
  APP_HOST: z.string().default('127.0.0.1'),
  TOPIC_PREFIX: z.string().default(''),
  SECRET_STORE: z.string().default('secretstore'),
  /** Name of the secret that holds `{"<api key>": "<tenant id>"}`. */
  API_KEYS_SECRET: z.string().default('API_KEYS'),
  BODY_LIMIT_BYTES: z.coerce.number().int().positive().default(64 * 1024),
  /** How long an Idempotency-Key is remembered: at least a day, so a client's retries the next morning still match. */
  IDEMPOTENCY_TTL_SECONDS: z.coerce.number().int().min(86_400).default(86_400),
  HISTORY_RETENTION_DAYS: historyRetentionDaysSchema,
  /** Development only: let webhooks point at loopback/private addresses. */
  WEBHOOK_ALLOW_PRIVATE_NETWORKS: envFlag,
  /** How providers reach intake (Twilio signs the URL it calls). */
  PUBLIC_BASE_URL: z.string().url().default('http://127.0.0.1:3000'),
});

export type IntakeConfig = z.infer<typeof schema>;
export const loadConfig = (env: NodeJS.ProcessEnv = process.env): IntakeConfig => parseEnv(schema, env);
