import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger, startHttpServer } from '@herald/service';
import { createActorHost, type ActorDefinition, type ReminderFired } from './actor-host.js';
import { createActorStateCache, type ActorStateStore } from './actor-state.js';

const log = createLogger('test', 'silent');

describe('actor host', () => {
  let server: Server;
  let base: string;
  const reads: string[] = [];
  const store = new Map<string, unknown>();
  const reminders: Array<{ id: string; fired: ReminderFired }> = [];

  // A counter actor: enough to see routing, bodies, results, reminders and the state cache.
  const counter: ActorDefinition = {
    type: 'Counter',
    methods: {
      async add(turn, body) {
        const by = (body as { by: number }).by;
        const total = ((await turn.state.get<number>('total')) ?? 0) + by;
        await turn.state.set('total', total);
        return { total };
      },
      async peek(turn) {
        return (await turn.state.get<number>('total')) ?? null;
      },
      async fail() {
        throw new Error('turn failed');
      },
      async bug() {
        return (undefined as unknown as { x: number }).x;
      },
    },
    reminders: {
      async wake(turn, fired) {
        reminders.push({ id: turn.id, fired });
      },
    },
  };
  const fakeSidecar: ActorStateStore = {
    async get(type, id, key) {
      reads.push(`${type}/${id}/${key}`);
      return store.get(`${type}/${id}/${key}`);
    },
    async save(type, id, key, value) {
      store.set(`${type}/${id}/${key}`, value);
    },
  };

  beforeAll(async () => {
    const cache = createActorStateCache(fakeSidecar, { idleMs: 60_000, maxActors: 100 });
    const host = createActorHost({
      actors: [counter],
      cache,
      config: { actorIdleTimeout: '5m', actorScanInterval: '30s', drainOngoingCallTimeout: '30s', drainRebalancedActors: true },
      log,
    });
    server = await startHttpServer({ host: '127.0.0.1', port: 0, routes: [host], log });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((r) => server.close(r)));
  beforeEach(() => {
    reads.length = 0;
    reminders.length = 0;
  });

  const put = (path: string, body?: unknown) =>
    fetch(base + path, { method: 'PUT', headers: { 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });

  it('tells daprd which actor types it hosts and how to run them', async () => {
    const res = await fetch(`${base}/dapr/config`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      entities: ['Counter'],
      actorIdleTimeout: '5m',
      actorScanInterval: '30s',
      drainOngoingCallTimeout: '30s',
      drainRebalancedActors: true,
      reentrancy: { enabled: false },
    });
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  });

  it("runs a method with the caller's body and answers its result as JSON", async () => {
    const res = await put('/actors/Counter/c1/method/add', { by: 2 });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ total: 2 });
    expect(await (await put('/actors/Counter/c1/method/add', { by: 3 })).json()).toEqual({ total: 5 });
    // One read for the activation; the second turn came from memory.
    expect(reads).toEqual(['Counter/c1/total']);
  });

  it('answers null (not an empty body) for a method that found nothing', async () => {
    const res = await put('/actors/Counter/never/method/peek');
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('null');
  });

  it('drops the cached state on deactivation, so the next activation reads the store', async () => {
    await put('/actors/Counter/c2/method/add', { by: 1 });
    store.set('Counter/c2/total', 41); // written by the actor's next host while it lived there
    const del = await fetch(`${base}/actors/Counter/c2`, { method: 'DELETE' });
    expect(del.status).toBe(200);
    expect(await (await put('/actors/Counter/c2/method/add', { by: 1 })).json()).toEqual({ total: 42 });
    expect(reads).toEqual(['Counter/c2/total', 'Counter/c2/total']);
  });

  it('hands a fired reminder its name and body', async () => {
    const res = await put('/actors/Counter/c3/method/remind/wake', { data: '{"at":"2026-11-25T10:00:00Z"}', dueTime: '1500ms', period: '' });
    expect(res.status).toBe(200);
    expect(reminders).toEqual([{ id: 'c3', fired: { data: '{"at":"2026-11-25T10:00:00Z"}', dueTime: '1500ms', period: '' } }]);
  });

  it('acknowledges a reminder it does not know, and refuses timers', async () => {
    expect((await put('/actors/Counter/c3/method/remind/old', {})).status).toBe(200);
    expect(reminders).toEqual([]);
    expect((await put('/actors/Counter/c3/method/timer/tick', {})).status).toBe(404);
  });

  it('answers 404 for an unknown type or method (daprd reads it as permanent), 500 for a failed turn', async () => {
    expect((await put('/actors/Nobody/x/method/add', { by: 1 })).status).toBe(404);
    expect((await put('/actors/Counter/x/method/nope')).status).toBe(404);
    expect((await put('/actors/Counter/x/method/constructor')).status).toBe(404);
    const failed = await put('/actors/Counter/x/method/fail');
    expect(failed.status).toBe(500);
    expect(await failed.json()).toEqual({ error: 'turn failed' });
    // A turn that would fail the same way every time says so (actor-refusal.ts).
    const bug = await put('/actors/Counter/x/method/bug');
    expect(bug.status).toBe(500);
    expect(await bug.json()).toMatchObject({ heraldRefused: true });
  });

  it('decodes actor ids and refuses a body that is not JSON', async () => {
    await put('/actors/Counter/a%20b/method/add', { by: 1 });
    expect(reads).toEqual(['Counter/a b/total']);
    const bad = await fetch(`${base}/actors/Counter/x/method/add`, { method: 'PUT', body: '{not json' });
    expect(bad.status).toBe(400);
    expect((await fetch(`${base}/elsewhere`)).status).toBe(404);
  });
});
