import { randomUUID } from 'node:crypto';
import type { ChannelDispatch, DeliveryOutcome } from '@herald/contracts';
import type { ProviderPort } from './provider-port.js';
import { sandboxDirective } from './sandbox-directives.js';

export interface SandboxRecord {
  at: string;
  providerMessageId: string;
  message: ChannelDispatch;
}

/**
 * The local default provider: needs no credentials, sends nothing, and records what it would
 * have sent (the most recent `capacity` messages, in memory) so a developer can look. Some
 * recipients make it fail on purpose (sandbox-directives.ts).
 */
export function createSandboxProvider(channel: string, capacity = 1_000, now: () => Date = () => new Date()) {
  const records: SandboxRecord[] = [];
  let total = 0;
  const provider: ProviderPort & { recent(): SandboxRecord[]; count(): number } = {
    name: `sandbox-${channel}`,
    async send(message): Promise<DeliveryOutcome> {
      const directive = sandboxDirective(message.to);
      if (directive?.kind === 'permanent') {
        return { kind: 'permanent', provider: provider.name, reason: 'sandbox: recipient rejected (fail-permanent)' };
      }
      if (directive?.kind === 'transient' && message.attempt <= directive.attempts) {
        return { kind: 'transient', provider: provider.name, reason: `sandbox: temporary failure ${message.attempt} of ${directive.attempts}` };
      }
      const providerMessageId = `sbx_${randomUUID()}`;
      records.push({ at: now().toISOString(), providerMessageId, message });
      if (records.length > capacity) records.shift();
      total++;
      return { kind: 'sent', provider: provider.name, providerMessageId };
    },
    recent: () => [...records],
    count: () => total,
  };
  return provider;
}
