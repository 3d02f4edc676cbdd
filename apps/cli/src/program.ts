// The herald command's command line on commander: what every command shares (the global
// options, exit override, captured output, value checks) and what a parsed command hands its
// handler. Commander parses; nothing here prints or exits: cli.ts decides what the outcome is.
import { Command, InvalidArgumentError, Option } from 'commander';
import type { OptionValues } from './domain/requests.js';
import type { Handler } from './context.js';

/** What commander printed (help, version), and the command it printed or failed for. */
export interface Captured {
  out: string;
  err: string;
  command?: Command;
}

/** Makes the action of a command that runs `handler`: cli.ts runs it once the line is parsed. */
export type On = (handler: Handler) => (this: Command) => void;

/**
 * An option's value, refused when it looks like the next option: in `--text --json` the value
 * was forgotten, and sending a text of "--json" would be wrong (commander takes any next word).
 */
export function value(text: string): string {
  if (/^--./.test(text)) throw new InvalidArgumentError('The value is missing: that is the next option.');
  return text;
}

/** A repeatable option's values, in the order given. */
export const collect = (text: string, previous: readonly string[] | undefined): string[] => [...(previous ?? []), value(text)];

/** A command with commands under it, one of which must be named. */
export const group = (name: string, summary: string): Command => new Command(name).description(summary).usage('[options] <command>').enablePositionalOptions();

/** Adds examples to the end of a command's help. */
export function examples(command: Command, lines: readonly string[]): Command {
  return command.addHelpText('after', `\nExamples:\n${lines.map((l) => `  ${l}`).join('\n')}`);
}

const passingThrough = new WeakSet<Command>();

/**
 * A command whose every argument after its name is another program's (bench and capacity pass
 * them to the repository's scripts, whose own --help lists them): no options of its own, not
 * even --help or the global ones.
 */
export function passThrough(command: Command): Command {
  passingThrough.add(command);
  return command.helpOption(false).passThroughOptions().allowUnknownOption().allowExcessArguments().usage('[arguments...]');
}

/**
 * `--url`, `--key` and `--json`. Each command declares them, so they may come before or after
 * the command's name: commands parse positionally (an option belongs to the command named
 * before it), which is what lets bench hand its arguments on untouched.
 */
function addGlobalOptions(command: Command, help: { url: string; key: string; json: string }): void {
  command
    .addOption(new Option('--url <url>', help.url).argParser(value).helpGroup('Global options:'))
    .addOption(new Option('--key <key>', help.key).argParser(value).helpGroup('Global options:'))
    .addOption(new Option('--json', help.json).helpGroup('Global options:'));
}

/** `--quiet-hours X --no-quiet-hours` is refused rather than decided by which came last. */
function refuseContradictions(command: Command): void {
  for (const negative of command.options.filter((o) => o.negate)) {
    const positive = command.options.find((o) => !o.negate && o.attributeName() === negative.attributeName());
    if (!positive) continue;
    const given = new Set<string>();
    for (const o of [positive, negative]) {
      command.on(`option:${o.name()}`, () => {
        given.add(o.name());
        if (given.size === 2) command.error(`error: ${positive.long ?? ''} and ${negative.long ?? ''} contradict each other`, { code: 'herald.contradiction' });
      });
    }
  }
}

/**
 * Sets up `command` and every command under it: errors thrown (CommanderError) rather than
 * exiting, output captured rather than printed, the global options.
 */
export function configure(command: Command, captured: Captured, globals: { url: string; key: string; json: string }): void {
  command.exitOverride().configureOutput({
    writeOut: (s) => {
      captured.out += s;
      captured.command = command;
    },
    writeErr: (s) => {
      captured.err += s;
      captured.command = command;
    },
    // The message comes back in the CommanderError; cli.ts prints it, as text or JSON.
    outputError: () => {
      captured.command = command;
    },
    getOutHasColors: () => false,
    getErrHasColors: () => false,
  });
  if (!passingThrough.has(command)) {
    addGlobalOptions(command, globals);
    command.enablePositionalOptions();
  }
  refuseContradictions(command);
  for (const sub of command.commands) configure(sub, captured, globals);
}

/** `herald customers preferences`: the command's names from the root. */
export function commandPath(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/** `herald status [options] <notificationId>`. */
export const usageOf = (command: Command): string => `${commandPath(command)} ${command.usage()}`;

/**
 * The options given to `command` and the commands above it (a global option given twice: the
 * later), by their long names as the domain reads them: `send-at`, `no-quiet-hours`.
 */
export function optionValues(command: Command): OptionValues {
  const chain: Command[] = [];
  for (let c: Command | null = command; c; c = c.parent) chain.unshift(c);
  const values: OptionValues = {};
  for (const c of chain) {
    for (const o of c.options) {
      const key = o.attributeName();
      if (c.getOptionValueSource(key) !== 'cli') continue;
      const v: unknown = c.getOptionValue(key);
      const name = o.name();
      if (o.negate) {
        if (v === false) values[name] = true;
      } else if (typeof v === 'string' || v === true) {
        values[name] = v;
      } else if (Array.isArray(v)) {
        values[name] = v.map(String);
      }
    }
  }
  return values;
}

/** The arguments a command was given; a passThrough command's exactly as typed after its name. */
export function argumentsOf(command: Command): { args: string[]; rest: string[] } {
  // The parent's args are the command's name and, positional options being on, every word after
  // it untouched; its own would have dropped a leading `--`, which the script may want.
  if (passingThrough.has(command)) return { args: [], rest: (command.parent?.args ?? []).slice(1) };
  return { args: [...command.args], rest: [] };
}
