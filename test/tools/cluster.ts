// npm run cluster -- [--hosts N] [--rate R] [--seconds S] [--kill-host H --kill-after S] [--json]
//
// Runs Herald as a small cluster on this machine (StackOptions.hosts: the infrastructure on the
// machine itself, each app host a network namespace of its own with the dispatcher and the three
// channel apps; needs root), offers a steady load, optionally kills one app host whole (kill -9
// of every process in it) mid-load, and prints how the actors spread over the hosts, what
// completed per second, what was lost or sent twice, and how long the survivors took to take
// the dead host's actors over (test/chaos/cluster.ts). Exits 1 when anything was lost or the run
// failed, 2 on bad options, 3 when namespaces cannot be made here.
import { rmSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { hostsUnavailable, MAX_HOSTS } from '../harness/hosts.js';
import { cleanBrokers, reapOrphans, startStack, stateFileFor, stopStack, type StackInfo } from '../harness/stack.js';
import { clusterRun, formatCluster, type ClusterLoad } from '../chaos/cluster.js';

const USAGE = `npm run cluster -- [options]
  --hosts N             app hosts, each a network namespace (2; 1 to ${MAX_HOSTS})
  --rate R              notifications offered per second (40)
  --seconds S           how long the load lasts (60)
  --kill-host H         kill app host H (2 is h2) whole, kill -9, mid-load
  --kill-after S        seconds into the load (half of it)
  --settle-seconds S    wait for everything accepted to settle after the load (200: past the
                        120 s a send in flight at the kill is held by its send-ledger claim)
  --production-timeouts keep the components' lane processingTimeout (60 s) and the dispatch
                        deadline; by default a dead sidecar's lane messages are claimed again after
                        8 s and an unanswered dispatch handed over again after 10 s
  --port-base P         the stack's ports (29000)
  --json                print the outcome as JSON`;

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    hosts: { type: 'string', default: '2' },
    rate: { type: 'string', default: '40' },
    seconds: { type: 'string', default: '60' },
    'kill-host': { type: 'string' },
    'kill-after': { type: 'string' },
    'settle-seconds': { type: 'string', default: '200' },
    'production-timeouts': { type: 'boolean', default: false },
    'port-base': { type: 'string', default: '29000' },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
const hosts = Number(values.hosts);
const load: ClusterLoad = {
  ratePerSec: Number(values.rate),
  seconds: Number(values.seconds),
  settleSeconds: Number(values['settle-seconds']),
  ...(values['kill-host'] !== undefined ? { killHost: Number(values['kill-host']) } : {}),
  ...(values['kill-after'] !== undefined ? { killAfterSeconds: Number(values['kill-after']) } : {}),
  log: (line) => process.stderr.write(`[cluster] ${line}\n`),
};
const portBase = Number(values['port-base']);
const bad = [
  !(Number.isInteger(hosts) && hosts >= 1 && hosts <= MAX_HOSTS) && `--hosts takes a whole number from 1 to ${MAX_HOSTS}`,
  !(load.ratePerSec > 0 && load.seconds > 0 && load.settleSeconds > 0) && '--rate, --seconds and --settle-seconds take positive numbers',
  load.killHost !== undefined && !(Number.isInteger(load.killHost) && load.killHost >= 1 && load.killHost <= hosts) && `--kill-host takes a host number from 1 to --hosts (${hosts})`,
  load.killHost !== undefined && hosts < 2 && '--kill-host needs --hosts 2 at least (a survivor)',
  load.killAfterSeconds !== undefined && !(load.killAfterSeconds > 0 && load.killAfterSeconds < load.seconds) && '--kill-after takes seconds within the load',
  !(Number.isInteger(portBase) && portBase >= 1024 && portBase <= 32_000) && '--port-base takes a port from 1024 to 32000',
].filter(Boolean);
if (bad.length) {
  process.stderr.write(`${bad.join('\n')}\n\n${USAGE}\n`);
  process.exit(2);
}
const why = hostsUnavailable();
if (why) {
  process.stderr.write(`npm run cluster: cannot make the app hosts on this machine: ${why}\n`);
  process.exit(3);
}

await reapOrphans();
let stack: StackInfo | undefined;
let exitCode = 0;
try {
  const started = Date.now();
  stack = await startStack({
    portBase,
    hosts,
    simulator: true,
    stateFile: stateFileFor(),
    ...(values['production-timeouts']
      ? {}
      : {
          appEnv: { DISPATCH_TIMEOUT_MS: '10000', WATCHDOG_INTERVAL_MS: '1000' },
          componentSettings: { processingTimeout: '8s', redeliverInterval: '2s' },
        }),
  });
  load.log?.(`stack up in ${((Date.now() - started) / 1000).toFixed(0)} s: ${stack.hosts!.hosts.map((h) => `${h.name} ${h.address} (${h.netns})`).join(', ')}; infrastructure ${stack.hosts!.address}`);
  const outcome = await clusterRun(stack, load);
  process.stdout.write(values.json ? `${JSON.stringify({ hosts, ...load, log: undefined, outcome }, null, 2)}\n` : `hosts ${hosts}\n${formatCluster(outcome, load)}\n`);
  if (outcome.tally.lost > 0) exitCode = 1;
} catch (err) {
  process.stderr.write(`npm run cluster failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  exitCode = 1;
} finally {
  if (stack) {
    await stopStack(stack, { keepLogs: exitCode !== 0 }).catch((err: unknown) => process.stderr.write(`stopping the stack: ${String(err)}\n`));
    if (exitCode !== 0) process.stderr.write(`the stack's logs are kept in ${stack.dir}/logs\n`);
    await cleanBrokers(stack).catch(() => undefined);
    // Stopped: nothing left for reapOrphans.
    if (stack.stateFile) rmSync(stack.stateFile, { force: true });
  }
}
process.exit(exitCode);
