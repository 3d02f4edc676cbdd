import amqp from 'amqplib';
import { channelTopic } from '@herald/dapr';
import { createClient, loadStack } from '../harness/client.js';
import { uniqueCustomer } from '../harness/ids.js';
import { killInstance, startInstance, waitSidecarHealthy } from '../harness/stack.js';
import { SCENARIOS } from '../chaos/scenarios.js';

// Crashes under load, on the shared stack: what was accepted with 202 must all end settled,
// with nothing lost; duplicates are counted (at-least-once allows a few, never silently).
// The faults that need a stack of their own (its own Redis, two dispatchers) are in chaos.test.ts.
const stack = loadStack();
const api = createClient(stack);

// The scenarios of `npm run chaos`, small: a batch, the fault for a few seconds, recovery.
// 180 s to settle: a send the killed channel app had claimed is held until its claim in the
// send ledger expires (120 s), so no other replica sends it while it might be in flight.
const small = { count: 200, downSeconds: 3, settleSeconds: 180 };

describe('crash recovery', () => {
  it.each(['dispatcher-crash', 'dispatcher-sidecar-crash', 'channel-crash', 'scheduler-restart'])('%s: everything accepted settles, nothing is lost', async (name) => {
    const outcome = await SCENARIOS[name]!.run(stack, small);
    await waitSidecarHealthy(stack, 'dispatcher');
    // Reported, not asserted: a send the provider took just before a crash may go out twice.
    console.log(`${name}: ${JSON.stringify(outcome)}`);
    expect(outcome.tally.lost).toBe(0);
    expect(outcome.tally.byStatus).toEqual({ sent: outcome.tally.accepted });
    expect(outcome.tally.accepted).toBeGreaterThanOrEqual(small.count);
  }, 300_000);

  it('sends again, as the same attempt, a dispatch that was lost from its queue: the watchdog finds its deadline passed', async () => {
    // No consumer for the push queue while its message is taken out of it, as a broker losing it would.
    await killInstance(stack, 'channel-push-daprd');
    await killInstance(stack, 'channel-push');
    let restarted = false;
    try {
      const res = await api.send({ customerId: uniqueCustomer(), channel: 'push', priority: 'critical', to: { deviceToken: 'device-token-watchdog' }, content: { text: 'x' } });
      const id = (res.body as { id: string }).id;
      await api.waitForStatus(id, 'dispatched', 10_000);
      const conn = await amqp.connect('amqp://guest:guest@127.0.0.1:5672');
      try {
        const ch = await conn.createChannel();
        const purged = await ch.purgeQueue(`channel-push-${channelTopic('push', 'critical', stack.topicPrefix)}`);
        expect(purged.messageCount).toBeGreaterThanOrEqual(1);
        await ch.close();
      } finally {
        await conn.close();
      }
      // Together: the channel app waits for its sidecar before it listens.
      await Promise.all([startInstance(stack, 'channel-push'), startInstance(stack, 'channel-push-daprd')]);
      restarted = true;
      const view = await api.waitForStatus(id, 'sent', 30_000);
      expect(view.timeline.map((e) => `${e.status}/${e.attempt}`)).toEqual(['accepted/0', 'dispatched/1', 'dispatched/1', 'sent/1']);
      expect(view.timeline[2]?.reason).toContain('handed to its queue again');
    } finally {
      // The stack goes on for the next test with its push channel up, whatever happened above.
      if (!restarted) await Promise.all([startInstance(stack, 'channel-push'), startInstance(stack, 'channel-push-daprd')]);
      await waitSidecarHealthy(stack, 'channel-push');
    }
  }, 90_000);
});
