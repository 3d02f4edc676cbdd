// `npm run bench:seal`: what sealing a notification's personal data costs in CPU, apart from
// the stack (whose CPU per notification moves by more than this from one run to the next). For
// the bench's own mix of requests, each with two metadata values, it times what intake does
// (seal the recipient, the content and the metadata under the customer's data key) and what a
// channel app does (open its dispatch), over many rounds, with the data key already in hand:
// finding the key is a cache hit in the steady state, and a sidecar read otherwise (the bench
// counts those as sidecar requests). It also prints how much larger the sealed forms are, which
// every store and broker on the way carries.
import { parseArgs } from 'node:util';
import { NotificationRequestSchema, type SealedDispatch } from '@herald/contracts';
import { newDataKey, openDispatch, sealRequest } from '@herald/stores';
import { CHANNELS } from './load.js';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '20000' } }, strict: true });
const rounds = Number(values.rounds);
if (!Number.isInteger(rounds) || rounds < 100) throw new Error(`--rounds: a whole number, at least 100 (got ${values.rounds})`);

const key = newDataKey();
const tenantId = 'tenant-bench';
const requests = CHANNELS.map((mix, i) =>
  NotificationRequestSchema.parse({ customerId: `bench-${i}`, priority: 'bulk', metadata: { orderId: `A-${100_000 + i}`, campaign: 'winter' }, ...mix }),
);
const dispatchOf = (i: number): SealedDispatch => {
  const req = requests[i % requests.length]!;
  const sealed = sealRequest(key, tenantId, req);
  return {
    schemaVersion: 2, notificationId: 'ntf_00000000000000000000000000', tenantId, customerId: req.customerId,
    attempt: 1, channel: req.channel ?? 'email', priority: req.priority, to: sealed.to, content: sealed.content,
  };
};

/** CPU-µs per call of `work`, over `rounds` calls after a warm-up of a tenth as many. */
function cpuMicros(work: (i: number) => unknown): number {
  for (let i = 0; i < rounds / 10; i++) work(i);
  const before = process.cpuUsage();
  for (let i = 0; i < rounds; i++) work(i);
  const used = process.cpuUsage(before);
  return (used.user + used.system) / rounds;
}

const dispatches = Array.from({ length: requests.length }, (_, i) => dispatchOf(i));
const seal = cpuMicros((i) => sealRequest(key, tenantId, requests[i % requests.length]!));
const open = cpuMicros((i) => openDispatch(key, dispatches[i % dispatches.length]!));
const plainBytes = requests.reduce((s, r) => s + JSON.stringify(r).length, 0) / requests.length;
const sealedBytes = requests.reduce((s, r) => s + JSON.stringify(sealRequest(key, tenantId, r)).length, 0) / requests.length;

console.log(`sealing, over ${rounds} rounds of the bench's mix (email, sms, push; two metadata values each):`);
console.log(`  intake seals a request          ${seal.toFixed(1)} CPU-µs`);
console.log(`  a channel app opens a dispatch  ${open.toFixed(1)} CPU-µs`);
console.log(`  per notification               ${((seal + open) / 1000).toFixed(3)} CPU-ms`);
console.log(`  request as JSON                 ${plainBytes.toFixed(0)} B plain, ${sealedBytes.toFixed(0)} B sealed (+${(sealedBytes - plainBytes).toFixed(0)} B)`);
