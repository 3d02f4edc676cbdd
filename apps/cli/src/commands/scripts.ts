import { Command } from 'commander';
import type { Ctx, Handler } from '../context.js';
import { examples, passThrough, type On } from '../program.js';

const script =
  (name: string): Handler =>
  async (ctx: Ctx) =>
    ctx.runScript(name, ctx.rest);

export function scriptCommands(on: On): Command[] {
  return [
    examples(
      passThrough(new Command('bench'))
        .summary('the benchmark: npm run bench with these arguments (herald bench --help lists them)')
        .description(
          'Runs the repository\'s benchmark, `npm run bench -- <arguments>`, on a stack of its own, and exits with its exit code. Every argument after `bench` is its own (--help, --json FILE included).',
        )
        .action(on(script('bench'))),
      ['herald bench --rate 300 --duration 30', 'herald bench --scenario flood'],
    ),
    examples(
      passThrough(new Command('capacity'))
        .summary('the capacity and cost model: npm run capacity with these arguments')
        .description('Runs the repository\'s capacity and cost model, `npm run capacity -- <arguments>`, and exits with its exit code. Every argument after `capacity` is its own.')
        .action(on(script('capacity'))),
      ['herald capacity --daily 50000000 --peak 2000 --cloud both'],
    ),
  ];
}
