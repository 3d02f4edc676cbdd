import type { AddressInfo } from 'node:net';
import { createLogger } from '@herald/service';
import { channelSubscriptions, isLoopback, startChannelServer } from './channel-server.js';
import type { Ack, ChannelWorker } from './channel-worker.js';

describe('channel server', () => {
  it('subscribes to its channel\'s queue in each lane, with RabbitMQ priorities', () => {
    expect(channelSubscriptions('sms', 'p-')).toEqual([
      { pubsubname: 'channels-critical', topic: 'p-sms-critical', route: '/queues/critical', metadata: { maxPriority: '2' } },
      { pubsubname: 'channels-bulk', topic: 'p-sms-bulk', route: '/queues/bulk', metadata: { maxPriority: '2' } },
    ]);
  });

  it('hands the CloudEvent\'s data and trace to the worker and settles the message by its answer', async () => {
    const seen: Array<{ body: unknown; traceparent: string | undefined }> = [];
    let answer: Ack = 'ack';
    const worker: ChannelWorker = {
      handle: async (body, traceparent) => {
        seen.push({ body, traceparent });
        return answer;
      },
      stats: () => ({ undecryptable: 0, erased: 0 }),
    };
    const server = await startChannelServer({ host: '127.0.0.1', port: 0, channel: 'email', topicPrefix: '', worker, log: createLogger('test', 'silent') });
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const subscribe = await fetch(`${base}/dapr/subscribe`);
      expect(((await subscribe.json()) as unknown[]).length).toBe(2);
      const deliver = (body: string) => fetch(`${base}/queues/bulk`, { method: 'POST', headers: { 'content-type': 'application/cloudevents+json' }, body });
      const event = JSON.stringify({ specversion: '1.0', id: '1', type: 'com.dapr.event.sent', data: { notificationId: 'x' }, traceparent: '00-abc-def-01' });
      expect(await (await deliver(event)).json()).toEqual({ status: 'SUCCESS' });
      expect(seen).toEqual([{ body: { notificationId: 'x' }, traceparent: '00-abc-def-01' }]);
      answer = 'retry';
      expect(await (await deliver(event)).json()).toEqual({ status: 'RETRY' });
      // Unreadable: redelivering would fail the same way, so it is acknowledged (and logged).
      expect(await (await deliver('{not json')).json()).toEqual({ status: 'SUCCESS' });
    } finally {
      server.close();
    }
  });

  it('counts each lane\'s messages while the worker holds them, settled or not', async () => {
    let release: () => void = () => undefined;
    const held = new Promise<void>((r) => (release = r));
    const worker: ChannelWorker = { handle: async () => held.then(() => 'ack' as const), stats: () => ({ undecryptable: 0, erased: 0 }) };
    const counts: Array<[string, number, boolean?]> = [];
    const inHand = { begin: (lane: string) => counts.push([lane, 1]), end: (lane: string, done: boolean) => counts.push([lane, -1, done]) };
    const server = await startChannelServer({ host: '127.0.0.1', port: 0, channel: 'sms', topicPrefix: '', worker, inHand, log: createLogger('test', 'silent') });
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const event = JSON.stringify({ data: { notificationId: 'x' } });
      const answers = [fetch(`${base}/queues/critical`, { method: 'POST', body: event }), fetch(`${base}/queues/bulk`, { method: 'POST', body: '{not json' })];
      const deadline = Date.now() + 5_000;
      while (counts.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      // The unreadable one is settled at once; the readable one is still held.
      expect(counts.slice().sort()).toEqual([['bulk', -1, true], ['bulk', 1], ['critical', 1]]);
      release();
      await Promise.all(answers);
      expect(counts.at(-1)).toEqual(['critical', -1, true]);
    } finally {
      server.close();
    }
  });

  it('answers the worker\'s counts at GET /stats', async () => {
    const worker: ChannelWorker = { handle: async () => 'ack', stats: () => ({ undecryptable: 2, erased: 5 }) };
    const server = await startChannelServer({ host: '127.0.0.1', port: 0, channel: 'push', topicPrefix: '', worker, log: createLogger('test', 'silent') });
    try {
      const answer = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/stats`);
      expect(answer.status).toBe(200);
      expect(await answer.json()).toEqual({ undecryptable: 2, erased: 5 });
    } finally {
      server.close();
    }
  });

  it("serves the sandbox's record with the app token or to a caller on this machine, and its count to anyone", async () => {
    const worker: ChannelWorker = { handle: async () => 'ack', stats: () => ({ undecryptable: 0, erased: 0 }) };
    const server = await startChannelServer({
      host: '127.0.0.1', port: 0, channel: 'sms', topicPrefix: '', worker, log: createLogger('test', 'silent'), appToken: 'app-token-0123456789',
      routes: { '/sandbox/messages': () => ({ total: 1, recent: [{ to: '+14155550100' }] }), '/sandbox/count': () => ({ total: 1 }) },
    });
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      // This test calls from loopback: the record answers without the token, the queues do not.
      expect((await fetch(`${base}/sandbox/messages`)).status).toBe(200);
      expect((await fetch(`${base}/sandbox/messages`, { headers: { 'dapr-api-token': 'app-token-0123456789' } })).status).toBe(200);
      expect((await fetch(`${base}/sandbox/count`)).status).toBe(200);
      expect((await fetch(`${base}/queues/bulk`, { method: 'POST', body: '{}' })).status).toBe(401);
    } finally {
      server.close();
    }
    // From any other address, only the token opens the record.
    for (const address of ['127.0.0.1', '127.5.0.9', '::1', '::ffff:127.0.0.1']) expect(isLoopback(address)).toBe(true);
    for (const address of ['10.0.0.5', '192.168.1.2', '::ffff:10.0.0.5', 'fe80::1', undefined]) expect(isLoopback(address)).toBe(false);
  });
});
