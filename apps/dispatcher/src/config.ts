import { baseEnvSchema, envFlag, historyRetentionDaysSchema, parseEnv, portSchema } from '@herald/service';
import { dataKeysEnvSchema, redisEnvSchema } from '@herald/stores';
import { z } from 'zod';

const GO_DURATION_PART = /(\d+(?:\.\d+)?)(ms|h|m|s)/g;
const GO_DURATION_UNIT_MS = { h: 3_600_000, m: 60_000, s: 1_000, ms: 1 } as const;

/** Milliseconds of a Go duration as daprd reads it ("5m", "1h30m", "90s", "250ms"); undefined if it is not one. */
export function goDurationMs(text: string): number | undefined {
  if (!/^((\d+(\.\d+)?)(ms|h|m|s))+$/.test(text)) return undefined;
  let ms = 0;
  for (const [, amount, unit] of text.matchAll(GO_DURATION_PART)) ms += Number(amount) * GO_DURATION_UNIT_MS[unit as keyof typeof GO_DURATION_UNIT_MS];
  return ms;
}

const goDuration = z.string().refine((v) => goDurationMs(v) !== undefined, 'a Go duration such as 5m, 90s or 1h30m');
const count = (fallback: number, max: number) => z.coerce.number().int().min(1).max(max).default(fallback);

const schema = baseEnvSchema.extend(redisEnvSchema.shape).extend(dataKeysEnvSchema.shape).extend({
  APP_PORT: portSchema.default(3001),
  /** Where the app listens: its sidecar's side only, unless a pod's probes must reach it (0.0.0.0 on Kubernetes). */
  APP_HOST: z.string().default('127.0.0.1'),
  TOPIC_PREFIX: z.string().default(''),
  RETRY_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(5),
  RETRY_BASE_DELAY_MS: z.coerce.number().int().min(10).default(2_000),
  RETRY_MAX_DELAY_MS: z.coerce.number().int().min(10).default(300_000),
  /** Deactivate actors idle this long (Go duration), to bound memory at 50M notifications a day. */
  ACTOR_IDLE_TIMEOUT: goDuration.default('5m'),
  /**
   * How long the actor host keeps an active actor's state in memory after its last turn (never
   * longer than ACTOR_IDLE_TIMEOUT). Most notifications take their second turn (the channel's
   * result) within seconds; a later turn pays one state read. 0 turns the cache off.
   */
  ACTOR_CACHE_IDLE_MS: z.coerce.number().int().min(0).default(60_000),
  /** At most this many actors' state in memory; past it the least recently used is dropped. */
  ACTOR_CACHE_MAX: count(50_000, 10_000_000),
  /** Entries of one lane's delivery handed to actors at once (lane-gate.ts). */
  CRITICAL_CONCURRENCY: count(64, 10_000),
  BULK_CONCURRENCY: count(16, 10_000),
  /** Critical entries in flight above which bulk entries wait to start. */
  BULK_YIELD_ABOVE: z.coerce.number().int().min(0).default(4),
  /** Bulk subscription of each lane: messages per delivery, and how long the sidecar waits to fill one. */
  CRITICAL_BATCH_MAX: count(64, 1_000),
  CRITICAL_BATCH_AWAIT_MS: z.coerce.number().int().min(1).default(5),
  BULK_BATCH_MAX: count(100, 1_000),
  BULK_BATCH_AWAIT_MS: z.coerce.number().int().min(1).default(40),
  /**
   * A dispatch unanswered this long is handed to its queue again as the same attempt (then twice
   * as long each time, up to an hour); after DISPATCH_MAX_HANDOFFS unanswered hand-overs the
   * attempt is given up like any failed one (domain/dispatch-deadline.ts).
   */
  DISPATCH_TIMEOUT_MS: z.coerce.number().int().min(1_000).default(300_000),
  DISPATCH_MAX_HANDOFFS: count(6, 100),
  /** How often each replica's watchdog looks for passed deadlines. */
  WATCHDOG_INTERVAL_MS: z.coerce.number().int().min(100).default(5_000),
  HISTORY_RETENTION_DAYS: historyRetentionDaysSchema,
  /** The Dapr secret store holding the key ring (KEY_ENCRYPTION_KEYS) that unwraps the customers' data keys. */
  SECRET_STORE: z.string().min(1).default('secretstore'),
  /** Development only: let webhooks be delivered to loopback/private addresses. */
  WEBHOOK_ALLOW_PRIVATE_NETWORKS: envFlag,
  WEBHOOK_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(30).default(10),
  WEBHOOK_BASE_DELAY_MS: z.coerce.number().int().min(10).default(1_000),
});

export type DispatcherConfig = z.infer<typeof schema>;
export const loadConfig = (env: NodeJS.ProcessEnv = process.env): DispatcherConfig => parseEnv(schema, env);
