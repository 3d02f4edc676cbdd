// `npm run bench:hop`: what one sidecar round trip costs on this machine, with Herald's own
// configuration (tracing, resiliency, metrics) and actor host. It calls an already active
// NotificationActor (`view` of an id that has no state: no Redis, nothing but the actor
// protocol) through the dispatcher's sidecar, at several concurrencies, and reads the CPU time
// of the sidecar and the app from /proc. A notification makes about ten such requests, so this
// is the unit its CPU cost is made of; it also shows how much a request costs more when
// requests come one at a time (a quiet or a CPU-starved stack) than when they overlap.
import { parseArgs } from 'node:util';
import { writeFileSync } from 'node:fs';
import { createSidecar, NOTIFICATION_ACTOR } from '@herald/dapr';
import { reapOrphans, startStack, stateFileFor, stopStack } from '../harness/stack.js';
import { cpuMs } from './counters.js';

export interface HopOptions {
  concurrency: number[];
  seconds: number;
  json?: string | undefined;
}

export function parseHopArgs(argv: string[]): HopOptions {
  const { values: v } = parseArgs({
    args: argv,
    options: { concurrency: { type: 'string', default: '1,4,16,64' }, seconds: { type: 'string', default: '8' }, json: { type: 'string' } },
    strict: true,
  });
  const concurrency = (v.concurrency ?? '').split(',').map((s) => Number(s.trim()));
  if (concurrency.length === 0 || concurrency.some((c) => !Number.isInteger(c) || c < 1 || c > 256)) {
    throw new Error(`--concurrency: whole numbers from 1 to 256, comma-separated (got ${v.concurrency})`);
  }
  const seconds = Number(v.seconds);
  if (!Number.isFinite(seconds) || seconds < 1 || seconds > 120) throw new Error(`--seconds: 1 to 120 (got ${v.seconds})`);
  return { concurrency, seconds, json: v.json };
}

export interface HopStep {
  concurrency: number;
  callsPerSec: number;
  /** CPU milliseconds per call, by process; the caller's own is apart (it is the load). */
  cpuMsPerCall: { sidecar: number; app: number; caller: number };
}

/** CPU per call from the before/after readings of one step. */
export function hopStep(concurrency: number, calls: number, seconds: number, sidecarMs: number, appMs: number, callerMs: number): HopStep {
  const per = (ms: number) => (calls > 0 ? ms / calls : NaN);
  return { concurrency, callsPerSec: calls / seconds, cpuMsPerCall: { sidecar: per(sidecarMs), app: per(appMs), caller: per(callerMs) } };
}

export function formatHop(steps: readonly HopStep[]): string {
  const lines = ['in flight   calls/s   CPU-ms per call: sidecar   app (actor host)   sum   (caller, not counted)'];
  for (const s of steps) {
    const { sidecar, app, caller } = s.cpuMsPerCall;
    lines.push(`${String(s.concurrency).padStart(9)}   ${s.callsPerSec.toFixed(0).padStart(7)}   ${sidecar.toFixed(3).padStart(24)}   ${app.toFixed(3).padStart(16)}   ${(sidecar + app).toFixed(3).padStart(5)}   ${caller.toFixed(3).padStart(8)}`);
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const opts = parseHopArgs(process.argv.slice(2));
  process.stderr.write('starting a stack of its own (placement, scheduler, sidecars, apps)…\n');
  await reapOrphans();
  const stack = await startStack({ portBase: Number(process.env.HERALD_BENCH_PORT_BASE ?? 22000), stateFile: stateFileFor() });
  try {
    const pidOf = (name: string): number => {
      const p = stack.processes.find((x) => x.name === name);
      if (!p) throw new Error(`no process ${name} in the stack`);
      return p.pid;
    };
    const sidecarPid = pidOf('dispatcher-daprd');
    const appPid = pidOf('dispatcher');
    // The apps' own sidecar client (keep-alive node:http), so the caller's side is theirs too.
    const sidecar = createSidecar('127.0.0.1', stack.apps.dispatcher.daprHttp, { apiToken: stack.tokens?.dispatcher?.dapr });
    // One actor per caller: calls to one actor take turns, which would measure the lock.
    const call = async (worker: number): Promise<void> => {
      await sidecar.invokeActor(NOTIFICATION_ACTOR, `ntf_hop${worker}`, 'view');
    };
    const widest = Math.max(...opts.concurrency);
    for (let w = 0; w < widest; w++) await call(w); // activate every actor the steps use
    const steps: HopStep[] = [];
    for (const concurrency of opts.concurrency) {
      const sidecar0 = cpuMs(sidecarPid) ?? NaN;
      const app0 = cpuMs(appPid) ?? NaN;
      const caller0 = process.cpuUsage();
      const t0 = performance.now();
      const end = t0 + opts.seconds * 1000;
      let calls = 0;
      await Promise.all(
        Array.from({ length: concurrency }, async (_, w) => {
          while (performance.now() < end) {
            await call(w);
            calls++;
          }
        }),
      );
      const caller = process.cpuUsage(caller0);
      const step = hopStep(concurrency, calls, (performance.now() - t0) / 1000, (cpuMs(sidecarPid) ?? NaN) - sidecar0, (cpuMs(appPid) ?? NaN) - app0, (caller.user + caller.system) / 1000);
      steps.push(step);
      process.stderr.write(`  ${concurrency} in flight: ${step.callsPerSec.toFixed(0)} calls/s\n`);
    }
    process.stdout.write(`\nOne call to an active actor through the dispatcher's sidecar (GOMAXPROCS=${process.env.GOMAXPROCS ?? 'unset'}), ${opts.seconds} s a step:\n${formatHop(steps)}\n`);
    if (opts.json) writeFileSync(opts.json, JSON.stringify({ date: new Date().toISOString(), gomaxprocs: process.env.GOMAXPROCS ?? null, seconds: opts.seconds, steps }, null, 2));
  } finally {
    await stopStack(stack);
  }
}

if (process.argv[1]?.endsWith('hop.js')) {
  main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
