import type { NotificationAccepted } from '@herald/contracts';
import type { BulkPublishEntry } from '@herald/dapr';
import { createLanePublisher } from './lane-publisher.js';

/** What the publisher passes on as it is: the shape of a sealed value, not one that opens. */
const SEALED = `s1.AAAAAAAAAAA.${'A'.repeat(40)}`;

const event = (n: number, priority: 'critical' | 'bulk' = 'bulk'): NotificationAccepted => ({
  schemaVersion: 2,
  id: `ntf_${String(n).padStart(26, '0')}`,
  tenantId: 't',
  acceptedAt: '2026-11-25T00:00:00.000Z',
  request: { customerId: 'c', channel: 'sms', to: { phone: SEALED }, content: SEALED, priority },
});

/** A sidecar whose bulk publishes complete when the test says. */
function pausedSidecar() {
  const calls: Array<{ topic: string; entries: readonly BulkPublishEntry[]; finish: (failed?: Map<string, string>) => void; fail: (err: Error) => void }> = [];
  return {
    calls,
    publishBulk: (_pubsub: string, topic: string, entries: readonly BulkPublishEntry[]) =>
      new Promise<Map<string, string>>((resolve, reject) => {
        calls.push({ topic, entries, finish: (failed) => resolve(failed ?? new Map()), fail: reject });
      }),
  };
}

/** Lets the publisher's end-of-tick flush run. */
const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('lane publisher', () => {
  it('publishes at once while few are in flight, and groups what waits behind them', async () => {
    const sidecar = pausedSidecar();
    const publisher = createLanePublisher({ sidecar, pubsubName: 'pubsub', topicPrefix: 'p-', maxInFlight: 1 });
    const first = publisher.publish([event(1)]);
    await flush();
    expect(sidecar.calls).toHaveLength(1);
    const waiting = [publisher.publish([event(2)]), publisher.publish([event(3)]), publisher.publish([event(4)])];
    await flush();
    expect(sidecar.calls).toHaveLength(1);
    sidecar.calls[0]?.finish();
    expect(await first).toEqual([undefined]);
    expect(sidecar.calls).toHaveLength(2);
    expect(sidecar.calls[1]?.entries.map((e) => (e.event as NotificationAccepted).id)).toEqual([event(2).id, event(3).id, event(4).id]);
    sidecar.calls[1]?.finish();
    expect(await Promise.all(waiting)).toEqual([[undefined], [undefined], [undefined]]);
  });

  it('keeps lanes apart: a busy bulk lane does not hold back critical', async () => {
    const sidecar = pausedSidecar();
    const publisher = createLanePublisher({ sidecar, pubsubName: 'pubsub', topicPrefix: '', maxInFlight: 1 });
    void publisher.publish([event(1)]);
    await flush();
    void publisher.publish([event(2)]);
    void publisher.publish([event(3, 'critical')]);
    await flush();
    expect(sidecar.calls.map((c) => c.topic)).toEqual(['notifications-bulk', 'notifications-critical']);
  });

  it('answers each event with its own failure, and a failed call fails all of its events', async () => {
    const sidecar = pausedSidecar();
    const publisher = createLanePublisher({ sidecar, pubsubName: 'pubsub', topicPrefix: '', maxInFlight: 1 });
    const blocker = publisher.publish([event(1)]);
    await flush();
    const batch = publisher.publish([event(2), event(3)]);
    sidecar.calls[0]?.fail(new Error('sidecar down'));
    expect(await blocker).toEqual(['sidecar down']);
    sidecar.calls[1]?.finish(new Map([['1', 'stream full']]));
    expect(await batch).toEqual([undefined, 'stream full']);
  });

  it('caps a bulk publish at maxBatch entries', async () => {
    const sidecar = pausedSidecar();
    const publisher = createLanePublisher({ sidecar, pubsubName: 'pubsub', topicPrefix: '', maxInFlight: 2, maxBatch: 3 });
    void publisher.publish(Array.from({ length: 5 }, (_, i) => event(i)));
    await flush();
    expect(sidecar.calls.map((c) => c.entries.length)).toEqual([3, 2]);
  });
});
