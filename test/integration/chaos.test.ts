import { cleanBrokers, startStack, stopStack, type StackInfo } from '../harness/stack.js';
import { SCENARIOS } from '../chaos/scenarios.js';

// The fault scenarios of `npm run chaos` that need a stack of their own, small: a Redis of
// their own with append-only persistence (killed and started again), two dispatchers (one
// killed for good). Each asserts that nothing accepted with 202 is lost.
const small = { count: 200, downSeconds: 4, settleSeconds: 120 };

describe.each(['redis-restart', 'dispatcher-replica-crash'])('%s', (name) => {
  const scenario = SCENARIOS[name]!;
  let stack: StackInfo | undefined;

  beforeAll(async () => {
    await scenario.around?.start();
    const own = scenario.around?.stackOptions;
    stack = await startStack({
      portBase: 26000,
      ...scenario.stack,
      ...own,
      // A lane message held by a sidecar that died is claimed again after seconds, not a minute.
      componentSettings: { processingTimeout: '8s', redeliverInterval: '2s', ...own?.componentSettings },
    });
  }, 120_000);

  afterAll(async () => {
    if (stack) {
      await stopStack(stack);
      await cleanBrokers(stack);
    }
    await scenario.around?.stop();
  }, 60_000);

  it('settles everything accepted, loses nothing', async () => {
    const outcome = await scenario.run(stack!, small);
    console.log(`${name}: ${JSON.stringify(outcome)}`);
    expect(outcome.tally.lost).toBe(0);
    expect(outcome.tally.byStatus).toEqual({ sent: outcome.tally.accepted });
  }, 240_000);
});
