// npm run chaos -- <scenario> [--count N] [--down-seconds S] [--settle-seconds S]
// npm run chaos -- soak [--minutes M] [--rate N]
//
// Starts a stack of its own, runs one fault scenario (scenarios.ts) at full size, and prints
// what became of every notification accepted with 202: settled by status, lost, sent twice, and
// the time the stack took to settle after the fault ended. Exits 1 when anything was lost.
import { parseArgs } from 'node:util';
import { reapOrphans, startStack, stateFileFor, stopStack, cleanBrokers, type StackInfo } from '../harness/stack.js';
import { SCENARIOS, stackOptionsFor, type ChaosOutcome, type ChaosSize } from './scenarios.js';
import { slopes, soak, type SoakMinute } from './soak.js';

const USAGE = `npm run chaos -- <scenario> [--count N (1000)] [--down-seconds S (30)] [--settle-seconds S (420: past the 5-minute dispatch deadline)]
npm run chaos -- soak [--minutes M (30)] [--rate N (50)]

scenarios:
${Object.entries(SCENARIOS).map(([name, s]) => `  ${name.padEnd(26)} ${s.summary}`).join('\n')}
  ${'soak'.padEnd(26)} a steady load for M minutes; memory, keys and latency sampled each minute`;

const { values, positionals } = parseArgs({
  args: process.argv.slice(2),
  allowPositionals: true,
  options: {
    count: { type: 'string', default: '1000' },
    'down-seconds': { type: 'string', default: '30' },
    'settle-seconds': { type: 'string', default: '420' },
    minutes: { type: 'string', default: '30' },
    rate: { type: 'string', default: '50' },
    help: { type: 'boolean', default: false },
  },
});
const name = positionals[0];
if (name === 'soak') await runSoak();
const scenario = name ? SCENARIOS[name] : undefined;
if (values.help || !scenario || !name) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(values.help ? 0 : 2);
}
const size: ChaosSize = { count: Number(values.count), downSeconds: Number(values['down-seconds']), settleSeconds: Number(values['settle-seconds']) };
if (![size.count, size.downSeconds, size.settleSeconds].every((n) => Number.isFinite(n) && n > 0)) {
  process.stderr.write(`--count, --down-seconds and --settle-seconds take positive numbers\n${USAGE}\n`);
  process.exit(2);
}

function formatOutcome(scenarioName: string, size: ChaosSize, o: ChaosOutcome): string {
  const rows: Array<[string, string | number]> = [
    ['scenario', scenarioName],
    ['offered before the fault', size.count],
    ['fault lasted, s', size.downSeconds],
    ['accepted (202)', o.tally.accepted],
    ...Object.entries(o.tally.byStatus).map(([status, n]): [string, number] => [`settled ${status}`, n]),
    ['lost (never settled)', o.tally.lost],
    ...Object.entries(o.tally.unsettled).map(([status, n]): [string, number] => [`  of which last seen ${status}`, n]),
    ['sent twice or more', o.tally.duplicates],
    ['settled after the fault in, s', o.recoverSeconds.toFixed(1)],
    ...Object.entries(o.notes),
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n');
}

await reapOrphans();
let stack: StackInfo | undefined;
let exitCode = 0;
try {
  await scenario.around?.start();
  stack = await startStack(stackOptionsFor(scenario, { portBase: 23000, stateFile: stateFileFor() }));
  process.stderr.write(`${name}: ${scenario.summary}\n`);
  const outcome = await scenario.run(stack, size);
  process.stdout.write(`${formatOutcome(name, size, outcome)}\n`);
  if (outcome.tally.lost > 0) exitCode = 1;
} catch (err) {
  process.stderr.write(`${name} failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  exitCode = 1;
} finally {
  if (stack) {
    await stopStack(stack, { keepLogs: exitCode !== 0 });
    if (exitCode !== 0) process.stderr.write(`the stack's logs are kept in ${stack.dir}/logs\n`);
    await cleanBrokers(stack).catch(() => undefined);
  }
  await scenario.around?.stop().catch(() => undefined);
}
process.exit(exitCode);

async function runSoak(): Promise<never> {
  const minutes = Number(values.minutes);
  const rate = Number(values.rate);
  if (!(Number.isInteger(minutes) && minutes > 0 && rate > 0)) {
    process.stderr.write(`--minutes takes a whole number, --rate a positive one\n${USAGE}\n`);
    process.exit(2);
  }
  await reapOrphans();
  const stack = await startStack({ portBase: 23000, stateFile: stateFileFor() });
  let code = 0;
  try {
    process.stderr.write(`soak: ${rate}/s for ${minutes} min\n`);
    const line = (m: SoakMinute) =>
      `min ${String(m.minute).padStart(3)}  accepted ${m.accepted}  answer p99 ${m.answerP99Ms} ms  accept→sent p99 ${m.sentP99Ms} ms  not sent ${m.notSent}  ` +
      `redis ${m.redisKeys} keys ${m.redisMb} MB  rss MB ${Object.entries(m.rssMb).map(([k, v]) => `${k} ${v}`).join(', ')}`;
    const result = await soak(stack, { minutes, rate }, (m) => process.stdout.write(`${line(m)}\n`));
    process.stdout.write(`growth from the first third to the last:\n${Object.entries(slopes(result)).map(([k, v]) => `  ${k.padEnd(28)} ${(v * 100).toFixed(0)}%`).join('\n')}\n`);
  } catch (err) {
    process.stderr.write(`soak failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    code = 1;
  } finally {
    await stopStack(stack, { keepLogs: code !== 0 });
    await cleanBrokers(stack).catch(() => undefined);
  }
  process.exit(code);
}
