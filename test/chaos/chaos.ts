// npm run chaos -- <scenario> [--count N] [--down-seconds S] [--settle-seconds S]
//
// Starts a stack of its own, runs one fault scenario (scenarios.ts) at full size, and prints
// what became of every notification accepted with 202: settled by status, lost, sent twice, and
// the time the stack took to settle after the fault ended. Exits 1 when anything was lost.
import { parseArgs } from 'node:util';
import { reapOrphans, startStack, stateFileFor, stopStack, cleanBrokers, type StackInfo } from '../harness/stack.js';
import { SCENARIOS, type ChaosOutcome, type ChaosSize } from './scenarios.js';

const USAGE = `npm run chaos -- <scenario> [--count N (1000)] [--down-seconds S (30)] [--settle-seconds S (300)]

scenarios:
${Object.entries(SCENARIOS).map(([name, s]) => `  ${name.padEnd(26)} ${s.summary}`).join('\n')}`;

const { values, positionals } = parseArgs({
  args: process.argv.slice(2),
  allowPositionals: true,
  options: {
    count: { type: 'string', default: '1000' },
    'down-seconds': { type: 'string', default: '30' },
    'settle-seconds': { type: 'string', default: '300' },
    help: { type: 'boolean', default: false },
  },
});
const name = positionals[0];
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

export function formatOutcome(scenarioName: string, size: ChaosSize, o: ChaosOutcome): string {
  const rows: Array<[string, string | number]> = [
    ['scenario', scenarioName],
    ['offered before the fault', size.count],
    ['fault lasted, s', size.downSeconds],
    ['accepted (202)', o.tally.accepted],
    ...Object.entries(o.tally.byStatus).map(([status, n]): [string, number] => [`settled ${status}`, n]),
    ['lost (never settled)', o.tally.lost],
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
  stack = await startStack({ portBase: 23000, stateFile: stateFileFor(), ...scenario.stack, ...scenario.around?.stackOptions });
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
