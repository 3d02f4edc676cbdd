import { cleanBrokers, startStack, stopStack, type StackInfo } from '../harness/stack.js';
import { SCENARIOS, stackOptionsFor } from '../chaos/scenarios.js';

// The fault scenarios of `npm run chaos` that need a stack of their own, small: its Redis, or a
// PostgreSQL or RabbitMQ of the scenario's own, killed and started again; the provider simulator
// (an outage, a rate limit). Each asserts that nothing accepted with 202 is lost; the provider
// scenarios also that the provider never saw more than its limit.
const small = { count: 200, downSeconds: 4, settleSeconds: 120 };

// dispatcher-replica-crash runs by hand (`npm run chaos -- dispatcher-replica-crash`), not here:
// in two of its last four runs, killing one of two dispatchers stalled every actor call (the
// survivor's and intake's) for minutes after placement's dissemination timed out at the kill,
// once for longer than the test waits (docs/reliability.md).
describe.each(['redis-restart', 'postgres-restart', 'rabbitmq-restart', 'provider-outage', 'provider-rate-limit'])('%s', (name) => {
  const scenario = SCENARIOS[name]!;
  let stack: StackInfo | undefined;
  let passed = false;

  beforeAll(async () => {
    await scenario.around?.start();
    stack = await startStack(stackOptionsFor(scenario, {
      portBase: 26000,
      // The dispatch deadline's safety net within the test's time: an unanswered dispatch is
      // handed over again after 10 s (the scenario reports how many were).
      appEnv: { DISPATCH_TIMEOUT_MS: '10000', WATCHDOG_INTERVAL_MS: '1000' },
      // A lane message held by a sidecar that died is claimed again after seconds, not a minute.
      componentSettings: { processingTimeout: '8s', redeliverInterval: '2s' },
    }));
  }, 120_000);

  afterAll(async () => {
    if (stack) {
      // A failed run keeps the stack's logs for whoever looks into it.
      await stopStack(stack, { keepLogs: !passed });
      if (!passed) console.log(`${name}: the stack's logs are kept in ${stack.dir}/logs`);
      await cleanBrokers(stack);
    }
    await scenario.around?.stop();
  }, 60_000);

  it('settles everything accepted, loses nothing', async () => {
    const outcome = await scenario.run(stack!, small);
    console.log(`${name}: ${JSON.stringify(outcome)}`);
    expect(outcome.tally.lost).toBe(0);
    expect(outcome.tally.byStatus).toEqual({ sent: outcome.tally.accepted });
    // A notification accepted earlier is never unknown, whatever is down: 503 at worst.
    expect(outcome.notes['while down: status read 404']).toBeUndefined();
    expect(Object.keys(outcome.notes).some((k) => k.startsWith('while down: status read'))).toBe(true);
    if (name === 'provider-rate-limit') expect(outcome.notes['provider: answered 429']).toBe(0);
    passed = true;
  }, 240_000);
});
