import { z } from 'zod';
import { metricsEnvSchema } from './metrics.js';
import { tracingEnvSchema } from './tracing.js';

export class ConfigError extends Error {
  readonly code = 'invalid_config';
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/**
 * Parses an app's environment once at start. A missing or wrong value stops the app with a
 * message naming the variable.
 */
export function parseEnv<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv = process.env): z.infer<S> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const lines = result.error.issues.map((i) => `  ${i.path.join('.') || '(env)'}: ${i.message}`);
  throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
}

/** A TCP port given as an environment string. */
export const portSchema = z.coerce.number().int().min(1).max(65535);

/** Settings every Herald app reads: where its sidecar is, how to log. */
export const baseEnvSchema = z.object({
  DAPR_HTTP_PORT: portSchema.default(3500),
  DAPR_HOST: z.string().default('127.0.0.1'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  PUBSUB_NAME: z.string().default('pubsub'),
  /**
   * Dapr's API token (the same variable daprd reads): sent with every call to the sidecar,
   * which refuses calls without it. Unset: the sidecar takes calls from anything that reaches it.
   */
  DAPR_API_TOKEN: z.string().min(1).optional(),
  /** Dapr's app token (the same variable daprd reads): the dispatcher and the channel apps take requests only with it (requireAppToken). */
  APP_API_TOKEN: z.string().min(1).optional(),
  /** `dashes`: secrets are asked for as `KEY-ENCRYPTION-KEYS` rather than `KEY_ENCRYPTION_KEYS` (Azure Key Vault's names). */
  SECRET_NAME_STYLE: z.enum(['as-is', 'dashes']).default('as-is'),
}).extend(metricsEnvSchema.shape).extend(tracingEnvSchema.shape);

/** An on/off setting given as `true` or `false` (off when unset). */
export const envFlag = z.enum(['true', 'false']).default('false').transform((v) => v === 'true');

/**
 * How long a sent or ended notification is kept, in days (its status, timeline and place in its
 * customer's history): 90 by default, the audit trail the service must keep. The dispatcher
 * writes each notification's expiry with it and intake reads history back as far as it: both
 * must read the same variable.
 */
export const historyRetentionDaysSchema = z.coerce.number().int().min(1).max(400).default(90);

/**
 * A setting whose value is JSON (default `{}`), parsed and then checked by `schema`; a value that
 * is not JSON says `notJson` (e.g. what it should look like).
 */
export function jsonEnv<S extends z.ZodType>(schema: S, notJson = 'must be JSON') {
  return z
    .string()
    .default('{}')
    .transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: notJson });
        return z.NEVER;
      }
    })
    .pipe(schema);
}
