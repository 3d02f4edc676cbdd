import { randomUUID } from 'node:crypto';
import type { ChannelDispatch, DeliveryOutcome } from '../contracts/events.js';
import type { ProviderPort } from './provider-port.js';

export interface SandboxRecord {
  at: string;
  providerMessageId: string;
  message: ChannelDispatch;
}

/**
 * The local default provider: needs no credentials, sends nothing, and records what it would
 * have sent (the most recent `capacity` messages, in memory) so a developer can look.
 */
export function createSandboxProvider(channel: string, capacity = 1_000, now: () => Date = () => new Date()) {
  const records: SandboxRecord[] = [];
  let total = 0;
  const provider: ProviderPort & { recent(): SandboxRecord[]; count(): number } = {
    name: `sandbox-${channel}`,
    async send(message): Promise<DeliveryOutcome> {
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
