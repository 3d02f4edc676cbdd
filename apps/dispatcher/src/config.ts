import { baseEnvSchema, envFlag, historyRetentionDaysSchema, parseEnv, portSchema, redisEnvSchema } from '@herald/shared';
import { z } from 'zod';

const schema = baseEnvSchema.extend(redisEnvSchema.shape).extend({
  APP_PORT: portSchema.default(3001),
  TOPIC_PREFIX: z.string().default(''),
  RETRY_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(5),
  RETRY_BASE_DELAY_MS: z.coerce.number().int().min(10).default(2_000),
  RETRY_MAX_DELAY_MS: z.coerce.number().int().min(10).default(300_000),
  /** Deactivate actors idle this long (Go duration), to bound memory at 50M notifications a day. */
  ACTOR_IDLE_TIMEOUT: z.string().default('5m'),
  HISTORY_RETENTION_DAYS: historyRetentionDaysSchema,
  /** Development only: let webhooks be delivered to loopback/private addresses. */
  WEBHOOK_ALLOW_PRIVATE_NETWORKS: envFlag,
  WEBHOOK_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(30).default(10),
  WEBHOOK_BASE_DELAY_MS: z.coerce.number().int().min(10).default(1_000),
});

export type DispatcherConfig = z.infer<typeof schema>;
export const loadConfig = (env: NodeJS.ProcessEnv = process.env): DispatcherConfig => parseEnv(schema, env);
