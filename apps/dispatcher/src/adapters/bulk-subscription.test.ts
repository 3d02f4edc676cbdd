import type { NotificationAccepted } from '@herald/contracts';
import { createLogger, type HttpRequest, type HttpResponse } from '@herald/service';
import { SidecarError, type ActorPort } from '@herald/dapr';
import { newDataKey, seal } from '@herald/stores';
import { createLaneGate } from '../domain/lane-gate.js';
import { createAcceptedHandler, type DeadLetters, type EntryHandler } from './accepted-subscription.js';
import { createLaneSubscriptions, laneSubscriptions, payloadOf } from './bulk-subscription.js';

const log = createLogger('test', 'silent');
const batching = { critical: { maxMessagesCount: 64, maxAwaitDurationMs: 5 }, bulk: { maxMessagesCount: 100, maxAwaitDurationMs: 40 } };
const key = newDataKey();
const sealed = (text: string) => seal(key, { tenantId: 'tenant-a', customerId: 'c-1' }, text);
const sealedRequest = { customerId: 'c-1', channel: 'sms', priority: 'bulk', to: { phone: sealed('+14155550100') }, content: sealed('{"text":"Hi"}') } as const;
const accepted = (id: string, over: Partial<NotificationAccepted> = {}): NotificationAccepted => ({
  schemaVersion: 2,
  id,
  tenantId: 'tenant-a',
  acceptedAt: '2026-11-25T09:59:59.000Z',
  request: sealedRequest,
  ...over,
});
/** A CloudEvent as the sidecar puts it into a bulk delivery. */
const entry = (entryId: string, data: unknown, traceparent?: string) => ({
  entryId,
  event: { specversion: '1.0', id: `ce-${entryId}`, type: 'com.dapr.event.sent', datacontenttype: 'application/json', data, ...(traceparent ? { traceparent } : {}) },
  metadata: {},
  contentType: 'application/cloudevents+json',
});
/** A well-formed notification id ending in `tag`. */
const nid = (tag: string) => `ntf_${tag.padStart(26, '0')}`;
const TRACE_A = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
const TRACE_B = '00-11111111111111111111111111111111-2222222222222222-01';

/** What daprd answers when the actor host refused a turn for good (its body inside daprd's message). */
const refusedByActor = () =>
  new SidecarError('actor', 500, JSON.stringify({ errorCode: 'ERR_ACTOR_INVOKE_METHOD', message: 'error from actor service: (500) {"error":"Cannot read properties of undefined","heraldRefused":true}' }));

function fakeSidecar(failFor: Set<string>, refuseFor: Set<string> = new Set()) {
  const calls: Array<{ id: string; method: string; body: unknown; traceparent: string | undefined }> = [];
  const sidecar: ActorPort = {
    async invokeActor(_type, id, method, body, opts) {
      calls.push({ id, method, body, traceparent: opts?.traceparent });
      if (failFor.has(id)) throw new Error('actor unavailable');
      if (refuseFor.has(id)) throw refusedByActor();
      return { status: 'dispatched' };
    },
  };
  return { sidecar, calls };
}

function fakeDeadLetters(fail = false) {
  const parked: Array<{ topic: string; reason: string; data: unknown }> = [];
  const deadLetters: DeadLetters = {
    async park(topic, reason, data) {
      if (fail) throw new Error('pubsub down');
      parked.push({ topic, reason, data });
    },
  };
  return { deadLetters, parked };
}

/** A request as the server hands it to a route, with `body` as its JSON. */
const request = (method: string, path: string, body: unknown): HttpRequest => ({
  method,
  url: path,
  path,
  headers: {},
  body: async () => Buffer.from(JSON.stringify(body) ?? ''),
  json: async () => body,
});

async function post(route: ReturnType<typeof createLaneSubscriptions>, path: string, body: unknown): Promise<HttpResponse> {
  const handled = route(request('POST', path, body));
  if (!handled) throw new Error(`no route for ${path}`);
  return handled;
}

describe('lane subscriptions', () => {
  it('subscribes to both lane topics in bulk, each on its own component and with its own batching', () => {
    expect(laneSubscriptions({ pubsubName: 'pubsub', topicPrefix: 'run1-', batching })).toEqual([
      { pubsubname: 'pubsub-critical', topic: 'run1-notifications-critical', route: '/events/critical', bulkSubscribe: { enabled: true, maxMessagesCount: 64, maxAwaitDurationMs: 5 } },
      { pubsubname: 'pubsub', topic: 'run1-notifications-bulk', route: '/events/bulk', bulkSubscribe: { enabled: true, maxMessagesCount: 100, maxAwaitDurationMs: 40 } },
    ]);
  });

  function setup(opts: { failFor?: string[]; refuseFor?: string[]; deadLetterFails?: boolean } = {}) {
    const { sidecar, calls } = fakeSidecar(new Set(opts.failFor ?? []), new Set(opts.refuseFor ?? []));
    const { deadLetters, parked } = fakeDeadLetters(opts.deadLetterFails);
    const handler = (topic: string) => createAcceptedHandler({ sidecar, log, deadLetters, topic });
    const route = createLaneSubscriptions({
      pubsubName: 'pubsub',
      topicPrefix: '',
      batching,
      handlers: { critical: handler('notifications-critical'), bulk: handler('notifications-bulk') },
      gate: createLaneGate({ critical: 4, bulk: 2, bulkYieldAbove: 1 }),
      log,
    });
    return { route, calls, parked };
  }

  it('settles each entry on its own: SUCCESS, RETRY for a failed actor call, dead-lettered and acknowledged when unreadable', async () => {
    const { route, calls, parked } = setup({ failFor: [nid('2')] });
    const res = await post(route, '/events/bulk', {
      id: 'b1',
      topic: 'notifications-bulk',
      pubsubname: 'pubsub',
      type: 'com.dapr.event.sent.bulk',
      metadata: {},
      entries: [entry('e1', accepted(nid('1'))), entry('e2', accepted(nid('2'))), entry('e3', { not: 'a notification' })],
    });
    expect(res).toEqual({
      status: 200,
      json: { statuses: [{ entryId: 'e1', status: 'SUCCESS' }, { entryId: 'e2', status: 'RETRY' }, { entryId: 'e3', status: 'SUCCESS' }] },
    });
    expect(calls.map((c) => `${c.id}:${c.method}`).sort()).toEqual([`${nid('1')}:accept`, `${nid('2')}:accept`]);
    expect(parked).toHaveLength(1);
    expect(parked[0]).toMatchObject({ topic: 'notifications-bulk', data: { not: 'a notification' } });
    expect(parked[0]!.reason).toContain('id');
  });

  it('parks an entry the actor refuses for good, so a held lane never waits on it forever; one it merely failed is retried', async () => {
    const { route, parked } = setup({ failFor: [nid('1')], refuseFor: [nid('2')] });
    const res = await post(route, '/events/bulk', { entries: [entry('e1', accepted(nid('1'))), entry('e2', accepted(nid('2')))] });
    expect(res.json).toEqual({ statuses: [{ entryId: 'e1', status: 'RETRY' }, { entryId: 'e2', status: 'SUCCESS' }] });
    expect(parked).toEqual([expect.objectContaining({ topic: 'notifications-bulk', data: accepted(nid('2')) })]);
    expect(parked[0]!.reason).toContain("the notification's actor refused it");
  });

  it('parks an event of version 1, whose recipient and content are in the clear, without handing it to an actor', async () => {
    const { route, calls, parked } = setup();
    const v1 = { ...accepted(nid('1')), schemaVersion: 1, request: { ...sealedRequest, to: { phone: '+14155550100' }, content: { text: 'Hi' } } };
    const res = await post(route, '/events/critical', { entries: [entry('e1', v1)] });
    expect(res.json).toEqual({ statuses: [{ entryId: 'e1', status: 'SUCCESS' }] });
    expect(calls).toEqual([]);
    expect(parked).toHaveLength(1);
    expect(parked[0]!.reason).toContain('schemaVersion');
  });

  it('retries an unreadable entry when it cannot be dead-lettered', async () => {
    const { route } = setup({ deadLetterFails: true });
    const res = await post(route, '/events/critical', { entries: [entry('e1', 'garbage')] });
    expect(res.json).toEqual({ statuses: [{ entryId: 'e1', status: 'RETRY' }] });
  });

  it("continues the trace carried in the event, else the CloudEvent's", async () => {
    const { route, calls } = setup();
    await post(route, '/events/critical', {
      entries: [entry('e1', accepted(nid('a'), { traceparent: TRACE_A }), TRACE_B), entry('e2', accepted(nid('b')), TRACE_B)],
    });
    const byId = Object.fromEntries(calls.map((c) => [c.id, c]));
    expect(byId[nid('a')]).toMatchObject({ traceparent: TRACE_A, body: { traceparent: TRACE_A } });
    expect(byId[nid('b')]).toMatchObject({ traceparent: TRACE_B, body: { traceparent: TRACE_B } });
  });

  it('refuses a request that is not a bulk delivery, and leaves other paths alone', async () => {
    const { route } = setup();
    expect((await post(route, '/events/bulk', { data: accepted(nid('1')) })).status).toBe(400);
    expect(route(request('POST', '/events/other', {}))).toBeUndefined();
    expect(await route(request('GET', '/dapr/subscribe', undefined))).toMatchObject({ status: 200 });
  });

  it('answers RETRY for an entry whose handler throws, and hands entries through the lane gate', async () => {
    let inFlight = 0;
    let most = 0;
    const slow: EntryHandler = async (data) => {
      if (data === 'bug') throw new Error('bug');
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise((r) => setTimeout(r, 5));
      inFlight--;
      return 'SUCCESS';
    };
    const route = createLaneSubscriptions({
      pubsubName: 'pubsub',
      topicPrefix: '',
      batching,
      handlers: { critical: slow, bulk: slow },
      gate: createLaneGate({ critical: 4, bulk: 2, bulkYieldAbove: 0 }),
      log,
    });
    const res = await post(route, '/events/bulk', { entries: [entry('x', 'bug'), ...Array.from({ length: 6 }, (_, i) => entry(`e${i}`, i))] });
    const statuses = (res.json as { statuses: Array<{ entryId: string; status: string }> }).statuses;
    expect(statuses[0]).toEqual({ entryId: 'x', status: 'RETRY' });
    expect(statuses.slice(1).every((s) => s.status === 'SUCCESS')).toBe(true);
    expect(most).toBe(2);
  });
});

describe('payloadOf', () => {
  it('reads a CloudEvent, its base64 data, and a raw payload', () => {
    expect(payloadOf({ event: { data: { a: 1 }, traceparent: TRACE_A } })).toEqual({ data: { a: 1 }, traceparent: TRACE_A });
    expect(payloadOf({ event: { data_base64: Buffer.from('{"a":2}').toString('base64') } })).toEqual({ data: { a: 2 }, traceparent: undefined });
    expect(payloadOf({ event: Buffer.from('plain text').toString('base64') })).toEqual({ data: 'plain text', traceparent: undefined });
  });
});
