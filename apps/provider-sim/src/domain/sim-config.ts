import { z } from 'zod';

export const PROVIDERS = ['sendgrid', 'twilio', 'notificationhubs'] as const;
export type ProviderName = (typeof PROVIDERS)[number];

/** How one simulated provider behaves. */
export const providerBehaviourSchema = z.strictObject({
  /** Added before every answer of this provider. */
  latencyMs: z.number().int().min(0).max(60_000),
  /** Requests let through in any one-second window; 0 means unlimited. */
  ratePerSec: z.number().int().min(0),
  /** Share of requests (past auth and the rate limit) answered 500 or 503. */
  errorRate: z.number().min(0).max(1),
  /** Every request answered 503. */
  outage: z.boolean(),
});
export type ProviderBehaviour = z.infer<typeof providerBehaviourSchema>;

const behaviourPatchSchema = providerBehaviourSchema.partial();
export type ProviderBehaviourPatch = z.infer<typeof behaviourPatchSchema>;

/** Body of `PUT /_sim/config` (and of the SIM_CONFIG variable): fields left out keep their value. */
export const simConfigPatchSchema = z.strictObject({
  sendgrid: behaviourPatchSchema.optional(),
  twilio: behaviourPatchSchema.optional(),
  notificationhubs: behaviourPatchSchema.optional(),
});
export type SimConfigPatch = z.infer<typeof simConfigPatchSchema>;

export type SimConfig = Record<ProviderName, ProviderBehaviour>;

export const DEFAULT_BEHAVIOUR: ProviderBehaviour = { latencyMs: 0, ratePerSec: 0, errorRate: 0, outage: false };

export function defaultConfig(): SimConfig {
  return { sendgrid: { ...DEFAULT_BEHAVIOUR }, twilio: { ...DEFAULT_BEHAVIOUR }, notificationhubs: { ...DEFAULT_BEHAVIOUR } };
}

export function mergeConfig(config: SimConfig, patch: SimConfigPatch): SimConfig {
  const merged = { ...config };
  for (const provider of PROVIDERS) {
    const change = patch[provider];
    if (change) merged[provider] = mergeBehaviour(config[provider], change);
  }
  return merged;
}

function mergeBehaviour(behaviour: ProviderBehaviour, patch: ProviderBehaviourPatch): ProviderBehaviour {
  return {
    latencyMs: patch.latencyMs ?? behaviour.latencyMs,
    ratePerSec: patch.ratePerSec ?? behaviour.ratePerSec,
    errorRate: patch.errorRate ?? behaviour.errorRate,
    outage: patch.outage ?? behaviour.outage,
  };
}
