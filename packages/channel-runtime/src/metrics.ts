import type { Priority } from '@herald/contracts';
import { Counter, Histogram, LATENCY_BUCKETS, readGauge, type Registry } from '@herald/service';

// A channel app's metrics (README, "Metrics"): what it did with each queue message, its provider
// calls, its waits for the shared token bucket, and the shared breaker. Labels are the provider
// (sendgrid, twilio, notificationhubs, sandbox-<channel>), a lane or an outcome kind: all bounded.

export interface ChannelMetrics {
  /** One queue message settled: its outcome's kind, or `duplicate` (the ledger had its outcome). */
  message(outcome: string): void;
  /** One provider call, answered `outcome` (the outcome's kind) after `seconds`. */
  providerCall(outcome: string, seconds: number): void;
  /** One wait for a token: how long, and whether a token came in time. */
  tokenWait(lane: Priority, seconds: number, acquired: boolean): void;
  /** The breaker refused a send. */
  breakerRefused(): void;
  /** This replica's report moved the shared breaker. */
  breakerMoved(to: 'open' | 'closed'): void;
}

export const noChannelMetrics: ChannelMetrics = {
  message: () => undefined,
  providerCall: () => undefined,
  tokenWait: () => undefined,
  breakerRefused: () => undefined,
  breakerMoved: () => undefined,
};

const OUTCOME = /^[a-z][a-z_-]{0,30}$/;
const outcomeLabel = (kind: string) => (OUTCOME.test(kind) ? kind : 'other');

/** The breaker's state as a number: 0 closed, 1 half-open (letting a share through), 2 open. */
const BREAKER_STATES = { closed: 0, 'half-open': 1, open: 2 } as const;

export interface ChannelMetricsOptions {
  channel: string;
  provider: string;
  /** The shared breaker's state, read from Redis when Prometheus scrapes; absent, no breaker. */
  breakerState?: () => Promise<{ state: keyof typeof BREAKER_STATES; fraction: number }>;
}

export function createChannelMetrics(registry: Registry, opts: ChannelMetricsOptions): ChannelMetrics {
  const { channel, provider } = opts;
  const messages = new Counter({
    name: 'herald_channel_messages_total',
    help: 'Channel queue messages settled, by channel and outcome (sent, transient, permanent, deferred, expired, erased, undecryptable, duplicate)',
    labelNames: ['channel', 'outcome'],
    registers: [registry],
  });
  const calls = new Histogram({
    name: 'herald_provider_request_duration_seconds',
    help: "Provider calls by provider and outcome (sent, transient, permanent), and how long each took",
    labelNames: ['provider', 'outcome'],
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const waits = new Histogram({
    name: 'herald_rate_limit_wait_seconds',
    help: "Time a send waited for a token from the provider account's shared bucket, by provider and lane",
    labelNames: ['provider', 'lane'],
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const timeouts = new Counter({
    name: 'herald_rate_limit_timeouts_total',
    help: 'Sends handed back because no token came in time, by provider and lane',
    labelNames: ['provider', 'lane'],
    registers: [registry],
  });
  const refusals = new Counter({ name: 'herald_breaker_refusals_total', help: 'Sends the open (or half-open) breaker held back, by provider', labelNames: ['provider'], registers: [registry] });
  const moves = new Counter({
    name: 'herald_breaker_transitions_total',
    help: 'Times this replica moved the shared breaker, by provider and the state it moved to (open, closed)',
    labelNames: ['provider', 'to'],
    registers: [registry],
  });
  for (const outcome of ['sent', 'transient', 'permanent', 'deferred', 'duplicate']) messages.inc({ channel, outcome }, 0);
  for (const outcome of ['sent', 'transient', 'permanent']) calls.zero({ provider, outcome });
  for (const lane of ['critical', 'bulk']) timeouts.inc({ provider, lane }, 0);
  refusals.inc({ provider }, 0);
  for (const to of ['open', 'closed']) moves.inc({ provider, to }, 0);
  const breakerState = opts.breakerState;
  readGauge(
    registry,
    { name: 'herald_breaker_state', help: "The provider's shared breaker: 0 closed, 1 half-open, 2 open (always 0 without a breaker)", labelNames: ['provider'] },
    async (set) => set(breakerState ? BREAKER_STATES[(await breakerState()).state] : 0, { provider }),
  );

  return {
    message: (outcome) => messages.inc({ channel, outcome: outcomeLabel(outcome) }),
    providerCall: (outcome, seconds) => calls.observe({ provider, outcome: outcomeLabel(outcome) }, seconds),
    tokenWait(lane, seconds, acquired) {
      waits.observe({ provider, lane }, seconds);
      if (!acquired) timeouts.inc({ provider, lane });
    },
    breakerRefused: () => refusals.inc({ provider }),
    breakerMoved: (to) => moves.inc({ provider, to }),
  };
}
