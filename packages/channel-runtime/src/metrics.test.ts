import { pino } from 'pino';
import type { DeliveryOutcome, SealedDispatch } from '@herald/contracts';
import type { ActorPort } from '@herald/dapr';
import { Registry } from '@herald/service';
import { newDataKey, seal } from '@herald/stores';
import { createChannelWorker, type BreakerPort, type RateLimiterPort } from './channel-worker.js';
import { createDispatchOpener } from './dispatch-opener.js';
import { createChannelMetrics } from './metrics.js';

const log = pino({ level: 'silent' });
const key = newDataKey();
const owner = { tenantId: 'acme', customerId: 'cus_1' };
const dispatch = (attempt: number): SealedDispatch => ({
  schemaVersion: 2,
  notificationId: 'ntf_01jd0000000000000000000000',
  ...owner,
  attempt,
  channel: 'sms',
  priority: 'critical',
  to: { phone: seal(key, owner, '+14155550100') },
  content: seal(key, owner, JSON.stringify({ text: 'hello' })),
});
const opener = createDispatchOpener({ forOpening: async () => key });
const sidecar: ActorPort = { invokeActor: async () => ({ status: 'sent' }) };

function setup(answers: DeliveryOutcome['kind'][], breakerMoves: Array<'open' | 'closed' | undefined> = []) {
  const registry = new Registry();
  let breakerState: 'closed' | 'half-open' | 'open' = 'closed';
  const metrics = createChannelMetrics(registry, { channel: 'sms', provider: 'twilio', breakerState: async () => ({ state: breakerState, fraction: 1 }) });
  let admitted = 0;
  const breaker: BreakerPort = {
    admit: async () => (admitted++ < 2 ? { admitted: true } : { admitted: false, retryAfterMs: 1000 }),
    record: async () => breakerMoves.shift(),
  };
  let tokens = 1;
  const limiter: RateLimiterPort = { acquire: async () => tokens-- > 0 };
  const provider = { name: 'twilio', send: async (): Promise<DeliveryOutcome> => ({ kind: answers.shift() ?? 'sent', provider: 'twilio', reason: 'x' }) as DeliveryOutcome };
  const worker = createChannelWorker({ channel: 'sms', provider, opener, sidecar, log, breaker, limiter, metrics });
  return { registry, worker, setBreaker: (s: typeof breakerState) => (breakerState = s), giveToken: () => (tokens = 1) };
}

describe('channel metrics', () => {
  it('counts messages by outcome, provider calls, token waits and breaker moves', async () => {
    const { registry, worker, setBreaker, giveToken } = setup(['transient'], ['open']);
    await worker.handle(dispatch(1));
    // The same attempt again: the ledger has its outcome.
    await worker.handle(dispatch(1));
    // No token in time: handed back, deferred.
    await worker.handle(dispatch(2));
    giveToken();
    // The breaker now refuses.
    await worker.handle(dispatch(3));
    setBreaker('open');
    const text = await registry.metrics();
    expect(text).toContain('herald_channel_messages_total{channel="sms",outcome="transient"} 1');
    expect(text).toContain('herald_channel_messages_total{channel="sms",outcome="duplicate"} 1');
    expect(text).toContain('herald_channel_messages_total{channel="sms",outcome="deferred"} 2');
    expect(text).toContain('herald_provider_request_duration_seconds_count{provider="twilio",outcome="transient"} 1');
    expect(text).toContain('herald_rate_limit_wait_seconds_count{provider="twilio",lane="critical"} 2');
    expect(text).toContain('herald_rate_limit_timeouts_total{provider="twilio",lane="critical"} 1');
    expect(text).toContain('herald_breaker_refusals_total{provider="twilio"} 1');
    expect(text).toContain('herald_breaker_transitions_total{provider="twilio",to="open"} 1');
    expect(text).toContain('herald_breaker_state{provider="twilio"} 2');
  });
});
