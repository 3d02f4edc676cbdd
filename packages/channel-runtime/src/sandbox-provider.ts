import { randomUUID } from 'node:crypto';
import type { ChannelDispatch, DeliveryOutcome } from '@herald/contracts';
import type { ProviderPort } from './provider-port.js';
import { combinePlatformOutcomes, devicesByPlatform } from './push-devices.js';
import { sandboxDirective, type SandboxDirective } from './sandbox-directives.js';

export interface SandboxRecord {
  at: string;
  providerMessageId: string;
  message: ChannelDispatch;
}

/**
 * The local default provider: needs no credentials, sends nothing, and records what it would
 * have sent (the most recent `capacity` messages, in memory only, for a developer to look at).
 * Some recipients make it fail on purpose (sandbox-directives.ts). A push to a profile's devices
 * is answered the way Notification Hubs' is: once per platform, the answers combined
 * (push-devices.ts), so one platform can be made to fail beside the other.
 */
export function createSandboxProvider(channel: string, capacity = 1_000, now: () => Date = () => new Date()) {
  const records: SandboxRecord[] = [];
  let total = 0;

  function answer(directive: SandboxDirective, attempt: number): DeliveryOutcome {
    if (directive?.kind === 'permanent') {
      return { kind: 'permanent', provider: provider.name, reason: 'sandbox: recipient rejected (fail-permanent)' };
    }
    if (directive?.kind === 'transient' && attempt <= directive.attempts) {
      return { kind: 'transient', provider: provider.name, reason: `sandbox: temporary failure ${attempt} of ${directive.attempts}` };
    }
    return { kind: 'sent', provider: provider.name, providerMessageId: `sbx_${randomUUID()}` };
  }

  function outcomeOf(message: ChannelDispatch): DeliveryOutcome {
    const { email, phone, deviceToken, devices } = message.to;
    // A request's own device token wins over the profile's devices, as with Notification Hubs.
    if (deviceToken !== undefined || devices === undefined || devices.length === 0) return answer(sandboxDirective({ email, phone, deviceToken }), message.attempt);
    const perPlatform = [...devicesByPlatform(devices)].map(([platform, tokens]) => ({
      platform,
      outcome: answer(sandboxDirective({ devices: tokens.map((token) => ({ platform, token })) }), message.attempt),
    }));
    return combinePlatformOutcomes(provider.name, perPlatform);
  }

  const provider: ProviderPort & { recent(): SandboxRecord[]; count(): number } = {
    name: `sandbox-${channel}`,
    async send(message): Promise<DeliveryOutcome> {
      const outcome = outcomeOf(message);
      if (outcome.kind !== 'sent') return outcome;
      records.push({ at: now().toISOString(), providerMessageId: outcome.providerMessageId, message });
      if (records.length > capacity) records.shift();
      total++;
      return outcome;
    },
    recent: () => [...records],
    count: () => total,
  };
  return provider;
}
