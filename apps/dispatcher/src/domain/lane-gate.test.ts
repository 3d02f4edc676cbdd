import { createLaneGate } from './lane-gate.js';

/** Lets every settled promise's callbacks run. */
const settle = () => new Promise<void>((r) => setImmediate(r));

describe('lane gate', () => {
  it('starts each lane up to its own limit and the next one when a slot frees', async () => {
    const gate = createLaneGate({ critical: 2, bulk: 2, bulkYieldAbove: 5 });
    const started: string[] = [];
    const releases: Array<() => void> = [];
    for (const name of ['b1', 'b2', 'b3']) {
      void gate.acquire('bulk').then((release) => {
        started.push(name);
        releases.push(release);
      });
    }
    await settle();
    expect(started).toEqual(['b1', 'b2']);
    expect(gate.snapshot()).toEqual({ inFlight: { critical: 0, bulk: 2 }, waiting: { critical: 0, bulk: 1 } });
    releases[0]!();
    await settle();
    expect(started).toEqual(['b1', 'b2', 'b3']);
  });

  it('holds bulk back while a critical entry waits, and serves the critical one first', async () => {
    const gate = createLaneGate({ critical: 1, bulk: 4, bulkYieldAbove: 1 });
    const order: string[] = [];
    const c1 = await gate.acquire('critical');
    const c2 = gate.acquire('critical').then((release) => (order.push('c2'), release));
    const b1 = gate.acquire('bulk').then((release) => (order.push('b1'), release));
    await settle();
    expect(order).toEqual([]);
    c1();
    await settle();
    // c2 took the freed slot; b1 may run beside one critical entry (bulkYieldAbove: 1).
    expect(order).toEqual(['c2', 'b1']);
    (await c2)();
    (await b1)();
    expect(gate.snapshot().inFlight).toEqual({ critical: 0, bulk: 0 });
  });

  it('lets bulk start only while critical work in flight is at most its share', async () => {
    const gate = createLaneGate({ critical: 8, bulk: 8, bulkYieldAbove: 2 });
    const critical = await Promise.all([gate.acquire('critical'), gate.acquire('critical'), gate.acquire('critical')]);
    let bulkStarted = false;
    const bulk = gate.acquire('bulk').then((release) => ((bulkStarted = true), release));
    await settle();
    expect(bulkStarted).toBe(false);
    critical[0]();
    await settle();
    expect(bulkStarted).toBe(true);
    (await bulk)();
    critical.slice(1).forEach((release) => release());
  });

  it('never lets critical wait for bulk', async () => {
    const gate = createLaneGate({ critical: 2, bulk: 2, bulkYieldAbove: 0 });
    await Promise.all([gate.acquire('bulk'), gate.acquire('bulk')]);
    let started = false;
    void gate.acquire('critical').then(() => (started = true));
    await settle();
    expect(started).toBe(true);
  });

  it('frees the slot once however often release is called, and when work throws', async () => {
    const gate = createLaneGate({ critical: 1, bulk: 1, bulkYieldAbove: 0 });
    const release = await gate.acquire('bulk');
    release();
    release();
    expect(gate.snapshot().inFlight.bulk).toBe(0);
    await expect(gate.run('critical', async () => Promise.reject(new Error('turn failed')))).rejects.toThrow('turn failed');
    expect(gate.snapshot().inFlight.critical).toBe(0);
    await expect(gate.run('bulk', async () => 'done')).resolves.toBe('done');
  });

  it('refuses limits that would stop a lane for good', () => {
    expect(() => createLaneGate({ critical: 0, bulk: 1, bulkYieldAbove: 0 })).toThrow('critical');
    expect(() => createLaneGate({ critical: 1, bulk: 1.5, bulkYieldAbove: 0 })).toThrow('bulk');
  });
});
