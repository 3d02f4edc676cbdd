import { createGroupPublisher } from './group-publisher.js';
import type { BulkPublishEntry, RequestOptions } from './sidecar.js';

/** A sidecar whose bulk publishes complete when the test says. */
function pausedSidecar() {
  const calls: Array<{ pubsub: string; topic: string; entries: readonly BulkPublishEntry[]; opts?: RequestOptions | undefined; finish: (failed?: Map<string, string>) => void }> = [];
  return {
    calls,
    publishBulk: (pubsub: string, topic: string, entries: readonly BulkPublishEntry[], opts?: RequestOptions) =>
      new Promise<Map<string, string>>((resolve) => {
        calls.push({ pubsub, topic, entries, opts, finish: (failed) => resolve(failed ?? new Map()) });
      }),
  };
}

const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('group publisher', () => {
  it('sends what is published in one tick together, per topic, each entry with its own metadata', async () => {
    const sidecar = pausedSidecar();
    const publisher = createGroupPublisher({ sidecar });
    const answers = [
      publisher.publish('queues', 'sms', { n: 1 }, { priority: '1' }),
      publisher.publish('queues', 'email', { n: 2 }),
      publisher.publish('queues', 'sms', { n: 3 }, { priority: '9' }),
      publisher.publish('other', 'sms', { n: 4 }),
    ];
    await flush();
    expect(sidecar.calls.map((c) => ({ pubsub: c.pubsub, topic: c.topic, entries: c.entries }))).toEqual([
      { pubsub: 'queues', topic: 'sms', entries: [{ entryId: '0', event: { n: 1 }, metadata: { priority: '1' } }, { entryId: '1', event: { n: 3 }, metadata: { priority: '9' } }] },
      { pubsub: 'queues', topic: 'email', entries: [{ entryId: '0', event: { n: 2 } }] },
      { pubsub: 'other', topic: 'sms', entries: [{ entryId: '0', event: { n: 4 } }] },
    ]);
    sidecar.calls[0]?.finish(new Map([['1', 'queue full']]));
    for (const call of sidecar.calls.slice(1)) call.finish();
    expect(await Promise.all(answers)).toEqual([undefined, undefined, 'queue full', undefined]);
  });

  it('holds a topic at maxInFlight requests and sends what waited in one request as soon as one returns', async () => {
    const sidecar = pausedSidecar();
    const publisher = createGroupPublisher({ sidecar, maxInFlight: 1 });
    const first = publisher.publish('q', 't', 1);
    await flush();
    const later = [publisher.publish('q', 't', 2), publisher.publish('q', 't', 3)];
    await flush();
    expect(sidecar.calls).toHaveLength(1);
    sidecar.calls[0]?.finish();
    expect(await first).toBeUndefined();
    await flush();
    expect(sidecar.calls[1]?.entries.map((e) => e.event)).toEqual([2, 3]);
    sidecar.calls[1]?.finish();
    expect(await Promise.all(later)).toEqual([undefined, undefined]);
  });

  it("puts each event's trace in its own envelope, and a lone event's in the request's header too", async () => {
    const sidecar = pausedSidecar();
    const publisher = createGroupPublisher({ sidecar });
    const a = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const b = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const together = [publisher.publish('q', 't', 1, { priority: '1' }, a), publisher.publish('q', 't', 2, undefined, b), publisher.publish('q', 't', 3)];
    await flush();
    expect(sidecar.calls[0]?.entries.map((e) => e.metadata)).toEqual([{ priority: '1', 'cloudevent.traceparent': a }, { 'cloudevent.traceparent': b }, undefined]);
    // Many traces in one request: its header would name only one of them.
    expect(sidecar.calls[0]?.opts).toBeUndefined();
    sidecar.calls[0]?.finish();
    await Promise.all(together);
    const alone = publisher.publish('q', 't', 4, undefined, a);
    await flush();
    expect(sidecar.calls[1]?.opts).toEqual({ traceparent: a });
    sidecar.calls[1]?.finish();
    expect(await alone).toBeUndefined();
  });
});
