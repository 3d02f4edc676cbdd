import { baseEnvSchema, jsonEnv, parseEnv } from '@herald/service';
import { z } from 'zod';
import { simConfigPatchSchema } from './domain/sim-config.js';

const schema = baseEnvSchema.pick({ LOG_LEVEL: true }).extend({
  /** 0 picks a free port. */
  PORT: z.coerce.number().int().min(0).max(65535).default(3010),
  HOST: z.string().min(1).default('127.0.0.1'),
  /** Optional starting behaviour, the same JSON as `PUT /_sim/config`. */
  SIM_CONFIG: jsonEnv(simConfigPatchSchema, 'must be JSON, as the body of PUT /_sim/config'),
});

export type ProviderSimConfig = z.infer<typeof schema>;
export const loadConfig = (env: NodeJS.ProcessEnv = process.env): ProviderSimConfig => parseEnv(schema, env);
