import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SidecarError } from './sidecar-error.js';
import { createActorStateCache, createSidecarActorState, type ActorStateStore } from './actor-state.js';

/** An in-memory actor state store that counts what the cache asks of it. */
function fakeStore() {
  const data = new Map<string, unknown>();
  const calls = { get: 0, save: 0 };
  let failSaves = false;
  const store: ActorStateStore = {
    async get(type, id, key) {
      calls.get++;
      return data.get(`${type}/${id}/${key}`);
    },
    async save(type, id, key, value) {
      calls.save++;
      if (failSaves) throw new Error('state store unavailable');
      data.set(`${type}/${id}/${key}`, value);
    },
  };
  return { store, data, calls, failSaves: (on: boolean) => (failSaves = on) };
}

describe('actor state cache', () => {
  let clock = 0;
  const now = () => clock;
  beforeEach(() => (clock = 1_000));

  it('reads a fresh actor once (absent), then serves its reads and writes from memory', async () => {
    const { store, calls, data } = fakeStore();
    const cache = createActorStateCache(store, { idleMs: 60_000, maxActors: 10, now });
    const state = cache.handle('A', 'n1');
    expect(await state.get('k')).toBeUndefined();
    expect(await state.get('k')).toBeUndefined();
    await state.set('k', { v: 1 });
    expect(await state.get('k')).toEqual({ v: 1 });
    expect(calls).toEqual({ get: 1, save: 1 });
    expect(data.get('A/n1/k')).toEqual({ v: 1 });
    // Another handle of the same actor (its next turn) shares the cache.
    expect(await cache.handle('A', 'n1').get('k')).toEqual({ v: 1 });
    expect(calls.get).toBe(1);
  });

  it('reads the store again after a deactivation, forget() or a failed save', async () => {
    const { store, calls, failSaves } = fakeStore();
    const cache = createActorStateCache(store, { idleMs: 60_000, maxActors: 10, now });
    const state = cache.handle('A', 'n1');
    await state.get('k');
    cache.evict('A', 'n1');
    await state.get('k');
    expect(calls.get).toBe(2);

    state.forget();
    await state.get('k');
    expect(calls.get).toBe(3);

    failSaves(true);
    await expect(state.set('k', 'doubtful')).rejects.toThrow('unavailable');
    failSaves(false);
    expect(await state.get('k')).toBeUndefined();
    expect(calls.get).toBe(4);
  });

  it('does not bring back an entry dropped during a turn when that turn then saves', async () => {
    const { store, calls } = fakeStore();
    const cache = createActorStateCache(store, { idleMs: 60_000, maxActors: 10, now });
    const state = cache.handle('A', 'n1');
    await state.get('k');
    cache.evict('A', 'n1');
    await state.set('k', 2);
    expect(cache.size()).toBe(0);
    expect(await state.get('k')).toBe(2);
    expect(calls.get).toBe(2);
  });

  it('drops an entry idle for idleMs, and the least recently used past maxActors', async () => {
    const { store, calls } = fakeStore();
    const cache = createActorStateCache(store, { idleMs: 1_000, maxActors: 2, now });
    await cache.handle('A', 'n1').get('k');
    clock += 1_000;
    await cache.handle('A', 'n1').get('k');
    expect(calls.get).toBe(2);

    await cache.handle('A', 'n2').get('k');
    await cache.handle('A', 'n1').get('k'); // n1 is now the most recently used
    await cache.handle('A', 'n3').get('k');
    expect(cache.size()).toBe(2);
    const before = calls.get;
    await cache.handle('A', 'n1').get('k');
    await cache.handle('A', 'n3').get('k');
    expect(calls.get).toBe(before);
    await cache.handle('A', 'n2').get('k');
    expect(calls.get).toBe(before + 1);
  });
});

describe('sidecar actor state', () => {
  let server: Server;
  let port: number;
  const seen: Array<{ method: string; url: string; body: string }> = [];
  const stored = new Map<string, string>();

  beforeAll(async () => {
    // A stand-in for daprd's actor state API.
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen.push({ method: req.method ?? '', url: req.url ?? '', body });
        if (req.url?.includes('broken')) return void res.writeHead(500).end('{"errorCode":"ERR_ACTOR_STATE_GET","message":"boom"}');
        if (req.method === 'GET') {
          const value = stored.get(req.url ?? '');
          return void (value === undefined ? res.writeHead(204).end() : res.writeHead(200).end(value));
        }
        const [op] = JSON.parse(body) as Array<{ request: { key: string; value: unknown } }>;
        stored.set(`${req.url}/${op!.request.key}`, JSON.stringify(op!.request.value));
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise((r) => server.close(r)));

  it('reads 204 as absent, saves with an upsert transaction, and reads the value back', async () => {
    const state = createSidecarActorState('127.0.0.1', port);
    expect(await state.get('NotificationActor', 'ntf_1', 'notification')).toBeUndefined();
    await state.save('NotificationActor', 'ntf_1', 'notification', { status: 'dispatched' });
    expect(await state.get('NotificationActor', 'ntf_1', 'notification')).toEqual({ status: 'dispatched' });
    expect(seen.map((s) => `${s.method} ${s.url}`)).toEqual([
      'GET /v1.0/actors/NotificationActor/ntf_1/state/notification',
      'POST /v1.0/actors/NotificationActor/ntf_1/state',
      'GET /v1.0/actors/NotificationActor/ntf_1/state/notification',
    ]);
    expect(JSON.parse(seen[1]!.body)).toEqual([{ operation: 'upsert', request: { key: 'notification', value: { status: 'dispatched' } } }]);
  });

  it('asks the store to forget the key after ttlInSeconds when the save says so', async () => {
    const state = createSidecarActorState('127.0.0.1', port);
    await state.save('NotificationActor', 'ntf_2', 'notification', { status: 'sent' }, { ttlSeconds: 2_592_000 });
    expect(JSON.parse(seen.at(-1)!.body)).toEqual([
      { operation: 'upsert', request: { key: 'notification', value: { status: 'sent' }, metadata: { ttlInSeconds: '2592000' } } },
    ]);
  });

  it("rejects with the sidecar's error code", async () => {
    const state = createSidecarActorState('127.0.0.1', port);
    const err = await state.get('NotificationActor', 'broken', 'notification').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SidecarError);
    expect((err as SidecarError).code).toBe('ERR_ACTOR_STATE_GET');
  });
});
