import { createProviderGate, type Gate, type ProviderGate } from './provider-gate.js';
import { createStatsRecorder, type ProviderStats, type PushStats, type StatsRecorder } from './provider-stats.js';
import { defaultConfig, mergeConfig, PROVIDERS, type ProviderName, type SimConfig, type SimConfigPatch } from './sim-config.js';

export interface SimStats {
  sendgrid: ProviderStats;
  twilio: ProviderStats;
  notificationhubs: PushStats;
}

/** The simulator's whole state: configuration, rate-limit windows and statistics per provider. */
export interface Simulator {
  config(): SimConfig;
  /** The latency to add to a provider's answers (read per request, so no copy of the config). */
  latencyMs(provider: ProviderName): number;
  /** Merges a partial configuration and answers the full one. */
  configure(patch: SimConfigPatch): SimConfig;
  gate(provider: ProviderName, now: number, random: () => number): Gate;
  /**
   * Counts a provider request answered `status`; `now` is when it was decided. `devices`: the push
   * devices it reached (Notification Hubs only), counted when it was accepted.
   */
  record(provider: ProviderName, status: number, now: number, devices?: number): void;
  stats(): SimStats;
  /** Clears statistics and rate-limit windows; the configuration stays. */
  reset(): void;
}

export function createSimulator(initial: SimConfigPatch = {}): Simulator {
  let config = mergeConfig(defaultConfig(), initial);
  const gates = perProvider<ProviderGate>(createProviderGate);
  const recorders = perProvider<StatsRecorder>(createStatsRecorder);
  let devices = 0;
  return {
    config: () => structuredClone(config),
    latencyMs: (provider) => config[provider].latencyMs,
    configure(patch) {
      config = mergeConfig(config, patch);
      return structuredClone(config);
    },
    gate: (provider, now, random) => gates[provider].decide(config[provider], now, random),
    record(provider, status, now, reached = 0) {
      recorders[provider].record(status, now);
      if (provider === 'notificationhubs' && status >= 200 && status < 300) devices += reached;
    },
    stats: () => ({
      sendgrid: recorders.sendgrid.view(),
      twilio: recorders.twilio.view(),
      notificationhubs: { ...recorders.notificationhubs.view(), devices },
    }),
    reset() {
      devices = 0;
      for (const provider of PROVIDERS) {
        recorders[provider].reset();
        gates[provider].clear();
      }
    },
  };
}

function perProvider<T>(make: (provider: ProviderName) => T): Record<ProviderName, T> {
  return { sendgrid: make('sendgrid'), twilio: make('twilio'), notificationhubs: make('notificationhubs') };
}
