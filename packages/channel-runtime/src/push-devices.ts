import type { Device, DeliveryOutcome, Platform } from '@herald/contracts';

/*
 * A customer's profile can hold several devices, on both platforms. Each platform takes its own
 * native payload, so a push goes out as one provider call per platform, and the calls' outcomes
 * come back together as one. The Notification Hubs adapter and the sandbox both do this, the
 * same way.
 */

/** The device tokens of each platform, in the order the platforms first appear, each token once. */
export function devicesByPlatform(devices: readonly Device[]): Map<Platform, string[]> {
  const groups = new Map<Platform, string[]>();
  for (const { platform, token } of devices) {
    const tokens = groups.get(platform) ?? [];
    if (!tokens.includes(token)) tokens.push(token);
    groups.set(platform, tokens);
  }
  return groups;
}

export interface PlatformOutcome {
  platform: Platform;
  outcome: DeliveryOutcome;
}

/**
 * One outcome for a push that went out as one call per platform:
 *
 * - `sent` when any platform's call was accepted, with each accepted call's id in
 *   `providerMessageId` (`apns:<id>,fcmv1:<id>`). A platform that failed beside it is not
 *   retried: a retry would push a second time to every device that already got it.
 * - `transient` when none was accepted and any failure may pass: a retry tries every platform
 *   again (none got the push), after the longest wait any of them asked for.
 * - `permanent` when every platform refused for good.
 *
 * The reasons of the failures are kept together, each after its platform.
 */
export function combinePlatformOutcomes(provider: string, results: readonly PlatformOutcome[]): DeliveryOutcome {
  const sent = results.flatMap(({ platform, outcome }) => (outcome.kind === 'sent' ? [`${platform}:${outcome.providerMessageId}`] : []));
  if (sent.length > 0) return { kind: 'sent', provider, providerMessageId: sent.join(',') };
  const reason = results.map(({ platform, outcome }) => `${platform}: ${'reason' in outcome ? outcome.reason : outcome.kind}`).join('; ');
  if (results.length > 0 && results.every(({ outcome }) => outcome.kind === 'permanent')) return { kind: 'permanent', provider, reason };
  const waits = results.flatMap(({ outcome }) => (outcome.kind === 'transient' && outcome.retryAfterMs !== undefined ? [outcome.retryAfterMs] : []));
  return { kind: 'transient', provider, reason, ...(waits.length > 0 ? { retryAfterMs: Math.max(...waits) } : {}) };
}
