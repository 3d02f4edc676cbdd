// npm run bench: pushes notifications through the real stack (sandbox providers) and prints
// throughput, latency and what each notification cost in broker messages, state writes and
// CPU, read from Redis's, RabbitMQ's and the kernel's own counters.
//
//   npm run bench -- --count 10000 --concurrency 32
//   npm run bench -- --count 3000 --rate 100   (paced: latency at a sustainable load)
//   npm run bench -- --attach          (the system `npm start` runs, on its default ports)
import { rmSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Agent, setGlobalDispatcher } from 'undici';
import { Redis } from 'ioredis';
import type { NotificationView } from '@herald/shared';
import { cleanBrokers, reapOrphans, startStack, stateFileFor, stopStack, waitFor, type StackInfo } from '../harness/stack.js';
import { cpuMs, diff, percentile, pidsOf, rabbitMessagesReceived, redisCommandCalls } from './counters.js';

const { values: args } = parseArgs({
  options: {
    count: { type: 'string', default: '10000' },
    concurrency: { type: 'string', default: '32' },
    warmup: { type: 'string', default: '200' },
    /** Offered load in notifications/s; unset: as fast as `concurrency` allows. */
    rate: { type: 'string' },
    attach: { type: 'boolean', default: false },
    url: { type: 'string', default: 'http://127.0.0.1:3000' },
    key: { type: 'string', default: 'herald-local-dev-key' },
  },
});
const count = Number(args.count);
const concurrency = Number(args.concurrency);
const warmup = Number(args.warmup);
const rate = args.rate === undefined ? undefined : Number(args.rate);
if (rate !== undefined && !(rate > 0)) throw new Error('--rate must be a positive number');
if (!Number.isInteger(count) || count < 1) throw new Error('--count must be a positive whole number');
if (!Number.isInteger(concurrency) || concurrency < 1) throw new Error('--concurrency must be a positive whole number');

setGlobalDispatcher(new Agent({ connections: concurrency * 2, keepAliveTimeout: 60_000 }));

const channels = [
  { channel: 'email', to: { email: 'bench@example.com' }, content: { subject: 'Bench', text: 'Hello' } },
  { channel: 'sms', to: { phone: '+14155550100' }, content: { text: 'Hello' } },
  { channel: 'push', to: { deviceToken: 'bench-device-token-0123456789' }, content: { title: 'Bench', text: 'Hello' } },
];

let stack: StackInfo | undefined;
let intake: string;
let key: string;
let sandboxPorts: number[];
if (args.attach) {
  intake = args.url;
  key = args.key;
  sandboxPorts = [3002, 3003, 3004];
} else {
  process.stderr.write('starting a stack of its own (placement, scheduler, 5 sidecars, 5 apps)…\n');
  await reapOrphans();
  stack = await startStack({ portBase: Number(process.env.HERALD_BENCH_PORT_BASE ?? 22000), stateFile: stateFileFor() });
  intake = `http://127.0.0.1:${stack.apps.intake.app}`;
  key = Object.keys(stack.apiKeys)[0] ?? '';
  sandboxPorts = [stack.apps['channel-email'].app, stack.apps['channel-sms'].app, stack.apps['channel-push'].app];
}
const redis = new Redis({ host: '127.0.0.1', port: 6379 });
const auth = { authorization: `Bearer ${key}` };

async function sandboxTotal(): Promise<number> {
  let total = 0;
  for (const port of sandboxPorts) {
    const res = await fetch(`http://127.0.0.1:${port}/sandbox/messages`);
    total += ((await res.json()) as { total: number }).total;
  }
  return total;
}

async function sendOne(i: number): Promise<{ id: string; acceptMs: number }> {
  const body = JSON.stringify({ customerId: `bench-${i % 1000}`, ...channels[i % channels.length] });
  const t = performance.now();
  const res = await fetch(`${intake}/v1/notifications`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body });
  const json = (await res.json()) as { id?: string };
  if (res.status !== 202 || !json.id) throw new Error(`intake answered ${res.status}: ${JSON.stringify(json)}`);
  return { id: json.id, acceptMs: performance.now() - t };
}

/** Sends `n` notifications with `concurrency` in flight; returns ids and accept latencies. */
async function drive(n: number, offset: number, progress: boolean, perSecond?: number) {
  const results = new Array<{ id: string; acceptMs: number }>(n);
  let next = 0;
  let lastPrint = Date.now();
  const start = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(concurrency, n) }, async () => {
      while (next < n) {
        const i = next++;
        if (perSecond) {
          // Open-loop pacing: notification i is due at start + i/rate.
          const wait = start + (i * 1000) / perSecond - performance.now();
          if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        }
        results[i] = await sendOne(offset + i);
        if (progress && Date.now() - lastPrint > 2000) {
          lastPrint = Date.now();
          process.stderr.write(`  sent ${next}/${n}\n`);
        }
      }
    }),
  );
  return results;
}

async function waitDelivered(target: number, timeoutMs: number): Promise<void> {
  await waitFor(`${target} notifications at the sandbox providers`, async () => ((await sandboxTotal()) >= target ? true : undefined), timeoutMs, 50);
}

function stackPids(): Record<string, number[]> {
  const groups: Record<string, number[]> = { redis: pidsOf('redis-server'), rabbitmq: pidsOf('beam.smp') };
  if (stack) {
    for (const { name, pid } of stack.processes) groups[name.replace(/-daprd$/, ' daprd')] = [pid];
  } else {
    groups.daprd = pidsOf('daprd');
    groups.placement = pidsOf('placement');
    groups.scheduler = pidsOf('scheduler');
  }
  return groups;
}

function cpuSnapshot(groups: Record<string, number[]>): Record<string, number> {
  return Object.fromEntries(Object.entries(groups).map(([name, pids]) => [name, pids.reduce((s, p) => s + (cpuMs(p) ?? 0), 0)]));
}

try {
  // Warm up: actor placement tables, connections, JIT. Not measured.
  const base0 = await sandboxTotal();
  await drive(warmup, 0, false);
  await waitDelivered(base0 + warmup, 60_000);

  const pids = stackPids();
  const base = await sandboxTotal();
  const redisBefore = await redisCommandCalls(redis);
  const rabbitBefore = rabbitMessagesReceived();
  const cpuBefore = cpuSnapshot(pids);
  process.stderr.write(`sending ${count} notifications, ${concurrency} in flight${rate ? `, offered at ${rate}/s` : ''}…\n`);
  const t0 = performance.now();
  const sent = await drive(count, warmup, true, rate);
  const acceptSeconds = (performance.now() - t0) / 1000;
  await waitDelivered(base + count, 120_000 + count * 20);
  const totalSeconds = (performance.now() - t0) / 1000;
  const cpuAfter = cpuSnapshot(pids);
  const rabbitAfter = rabbitMessagesReceived();
  const redisDelta = diff(await redisCommandCalls(redis), redisBefore);

  // Latency accept→sent from each notification's own timeline (read after the measurement).
  const sentLatency: number[] = [];
  let notSent = 0;
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < sent.length) {
        const { id } = sent[next++]!;
        const res = await fetch(`${intake}/v1/notifications/${id}`, { headers: auth });
        const view = (await res.json()) as NotificationView;
        const accepted = view.timeline?.find((e) => e.status === 'accepted');
        const done = view.timeline?.find((e) => e.status === 'sent');
        if (accepted && done) sentLatency.push(Date.parse(done.at) - Date.parse(accepted.at));
        else notSent++;
      }
    }),
  );
  // The status reads above are not part of the measured costs (counters were read before).

  const accept = sent.map((s) => s.acceptMs).sort((a, b) => a - b);
  sentLatency.sort((a, b) => a - b);
  const brokerMessages = (redisDelta.xadd ?? 0) + (rabbitAfter !== undefined && rabbitBefore !== undefined ? rabbitAfter - rabbitBefore : NaN);
  const stateWrites = (redisDelta.eval ?? 0) + (redisDelta.evalsha ?? 0);
  const cpuDelta = diff(cpuAfter, cpuBefore);
  const cpuTotal = Object.values(cpuDelta).reduce((a, b) => a + b, 0);

  const f = (n: number, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : 'n/a');
  const rows: Array<[string, string]> = [
    ['notifications', String(count)],
    ['concurrency (requests in flight)', String(concurrency)],
    ['offered rate (/s)', rate ? String(rate) : 'unpaced'],
    ['accepted/s', f(count / acceptSeconds, 0)],
    ['end-to-end completed/s', f(count / totalSeconds, 0)],
    ['accept latency p50 / p95 / p99 (ms)', `${f(percentile(accept, 50))} / ${f(percentile(accept, 95))} / ${f(percentile(accept, 99))}`],
    ['accept→sent p50 / p95 / p99 (ms)', `${f(percentile(sentLatency, 50), 0)} / ${f(percentile(sentLatency, 95), 0)} / ${f(percentile(sentLatency, 99), 0)}`],
    ['not sent (lost)', String(notSent)],
    ['broker messages / notification', `${f(brokerMessages / count, 2)}  (Redis XADD ${redisDelta.xadd ?? 0}, RabbitMQ received ${rabbitAfter !== undefined && rabbitBefore !== undefined ? rabbitAfter - rabbitBefore : 'n/a'})`],
    // EVAL: Dapr's state-store writes (the actor's saves); EVALSHA: Herald's own write scripts
    // (the history index; the webhook queue's claims, only when a delivery is due).
    ['state writes / notification', `${f(stateWrites / count, 2)}  (Redis write scripts: Dapr state EVAL ${redisDelta.eval ?? 0}, Herald EVALSHA ${redisDelta.evalsha ?? 0})`],
    // Outside the notification's state, and said apart: the channels' send ledger (one SET per
    // send, DESIGN's de-duplication by notification and attempt).
    ['send-ledger writes / notification', `${f((redisDelta.set ?? 0) / count, 2)}  (Redis SET ${redisDelta.set ?? 0})`],
    ['CPU-ms / notification, all processes', f(cpuTotal / count, 2)],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  console.log(`\nHerald benchmark (${args.attach ? 'attached to ' + intake : 'own stack'}, sandbox providers)`);
  for (const [k, v] of rows) console.log(`  ${k.padEnd(width)}  ${v}`);
  console.log('\n  CPU-ms / notification by process:');
  for (const [name, ms] of Object.entries(cpuDelta).sort((a, b) => b[1] - a[1])) console.log(`    ${name.padEnd(24)} ${f(ms / count, 3)}`);
  console.log('\n  Redis commands / notification:');
  for (const [cmd, n] of Object.entries(redisDelta).sort((a, b) => b[1] - a[1])) console.log(`    ${cmd.padEnd(24)} ${f(n / count, 2)}`);
  if (notSent > 0) process.exitCode = 1;
} finally {
  redis.disconnect();
  if (stack) {
    await stopStack(stack);
    rmSync(stateFileFor(), { force: true });
    const r = new Redis({ host: '127.0.0.1', port: 6379 });
    await cleanBrokers(stack, r);
    r.disconnect();
  }
}
