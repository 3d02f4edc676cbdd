import { baseEnvSchema, parseEnv, portSchema } from '@herald/shared';
import { z } from 'zod';

const schema = baseEnvSchema.extend({
  APP_PORT: portSchema.default(3000),
  APP_HOST: z.string().default('127.0.0.1'),
  TOPIC_PREFIX: z.string().default(''),
  SECRET_STORE: z.string().default('secretstore'),
  /** Name of the secret that holds `{"<api key>": "<tenant id>"}`. */
  API_KEYS_SECRET: z.string().default('API_KEYS'),
  BODY_LIMIT_BYTES: z.coerce.number().int().positive().default(64 * 1024),
});

export type IntakeConfig = z.infer<typeof schema>;
export const loadConfig = (env: NodeJS.ProcessEnv = process.env): IntakeConfig => parseEnv(schema, env);
