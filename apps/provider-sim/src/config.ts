import { baseEnvSchema, parseEnv } from '@herald/shared';
import { z } from 'zod';
import { simConfigPatchSchema } from './domain/sim-config.js';

const schema = baseEnvSchema.pick({ LOG_LEVEL: true }).extend({
  /** 0 picks a free port. */
  PORT: z.coerce.number().int().min(0).max(65535).default(3010),
  HOST: z.string().min(1).default('127.0.0.1'),
  /** Optional starting behaviour, the same JSON as `PUT /_sim/config`. */
  SIM_CONFIG: z
    .string()
    .default('{}')
    .transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be JSON, as the body of PUT /_sim/config' });
        return z.NEVER;
      }
    })
    .pipe(simConfigPatchSchema),
});

export type ProviderSimConfig = z.infer<typeof schema>;
export const loadConfig = (env: NodeJS.ProcessEnv = process.env): ProviderSimConfig => parseEnv(schema, env);
