import { rmSync } from 'node:fs';
import { clusterRun, type ClusterOutcome } from '../chaos/cluster.js';
import { cleanBrokers, startStack, stateFileFor, stopStack, type StackInfo } from '../harness/stack.js';

// Herald as a small cluster on this machine (StackOptions.hosts, test/harness/hosts.ts): the
// control plane, Redis, intake and the provider simulator on the machine, and two app hosts, each
// a network namespace of its own with the dispatcher and the three channel apps. Under a steady
// load both hosts take notification actors; then host 2 is killed whole (kill -9 of every process
// in it) mid-load, the load going on, and every notification accepted before, during and after
// must settle: nothing lost. Duplicates and the takeover times are reported. Needs root (the
// namespaces): without it the stack refuses to start, saying so, and the test fails.
//
// Beside the load, scheduled sends (`sendAt` 8 s ahead): those of host 2 fall due after the kill,
// so a survivor must fire their reminders. One that falls due while placement still routes the
// dead host's actors to it (its dissemination timeout, up to ~8 s) fails, and the scheduler gives
// it up: the watchdog, which watches every waiting notification a minute past its wake-up time,
// then sends it (the state machine's watchdogAt).
const load = { ratePerSec: 40, seconds: 45, killHost: 2, killAfterSeconds: 20, settleSeconds: 150, scheduleAheadSeconds: 8 };

let stack: StackInfo | undefined;
let passed = false;

beforeAll(async () => {
  stack = await startStack({
    portBase: 28_000,
    hosts: 2,
    simulator: true,
    // Another stack of this process (the shared one has the plain state file): reaped with it if the run dies.
    stateFile: stateFileFor(process.pid, 'multi-host'),
    // The dispatch deadline's safety net within the test's time (an unanswered dispatch is handed over again after 10 s).
    appEnv: { DISPATCH_TIMEOUT_MS: '10000', WATCHDOG_INTERVAL_MS: '1000' },
    // A lane message held by the dead host's dispatcher sidecar is claimed again after seconds, not a minute.
    // A few PostgreSQL connections per component: the server allows 100, and the suite's own stack
    // holds about 45 of them while this runs (its pools keep what they opened).
    componentSettings: { processingTimeout: '8s', redeliverInterval: '2s', maxConns: '4' },
  });
}, 120_000);

afterAll(async () => {
  if (!stack) return;
  try {
    await stopStack(stack, { keepLogs: !passed });
    if (!passed) console.log(`multi-host: the stack's logs are kept in ${stack.dir}/logs`);
  } finally {
    await cleanBrokers(stack);
    if (stack.stateFile) rmSync(stack.stateFile, { force: true });
  }
}, 60_000);

describe('two app hosts', () => {
  it('spread the actors over both, and lose nothing when one is killed whole mid-load', async () => {
    const started = Date.now();
    const outcome: ClusterOutcome = await clusterRun(stack!, load);
    console.log(`multi-host (${((Date.now() - started) / 1000).toFixed(0)} s): ${JSON.stringify(outcome)}`);
    // Both hosts had actors (host 2's read just before it was killed).
    expect(outcome.hosts.h1?.activeActors).toBeGreaterThan(0);
    expect(outcome.hosts.h2?.activeActors).toBeGreaterThan(0);
    // The load went on through the kill: intake kept accepting.
    expect(outcome.accepted).toBeGreaterThanOrEqual(outcome.offered * 0.9);
    // Everything accepted, before, during and after the kill, settled.
    expect(outcome.tally.lost).toBe(0);
    expect(Object.values(outcome.tally.byStatus).reduce((a, b) => a + b, 0)).toBe(outcome.accepted);
    // Placement let the dead host go, and the survivor took its actors over.
    expect(outcome.takeover?.placementSeconds).toBeDefined();
    expect(outcome.hosts.h2?.placedAfterKill).toBe(0);
    // An actor host 2 had answered again (from a survivor).
    expect(outcome.takeover?.answerSeconds).toBeDefined();
    passed = true;
  }, 300_000);
});
