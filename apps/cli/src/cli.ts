// The herald command: parses the command line (commander, set up in program.ts), runs the
// command, and turns what went wrong into one message and an exit code: 2 for a command line
// that cannot work (nothing was sent), 1 for intake unreachable or answering an error, or
// anything else that failed. With --json, stdout holds JSON in every case, errors included.
import { setTimeout as delay } from 'node:timers/promises';
import { Command, CommanderError } from 'commander';
import { ArgumentError } from './domain/requests.js';
import { DEFAULT_URL, LOCAL_DEV_KEY, resolveTarget } from './domain/target.js';
import { CliError, IntakeClient } from './adapters/intake-client.js';
import { Output, UsageError, type CliDeps, type Ctx, type Handler } from './context.js';
import { argumentsOf, configure, examples, optionValues, usageOf, type Captured, type On } from './program.js';
import { notificationCommands } from './commands/notifications.js';
import { customersCommand } from './commands/customers.js';
import { keysCommand } from './commands/keys.js';
import { scriptCommands } from './commands/scripts.js';

export const PROGRAM = 'herald';

const GLOBAL_HELP = {
  url: `intake's address (env HERALD_URL; default ${DEFAULT_URL})`,
  key: `the API key (env HERALD_API_KEY, which keeps it out of the shell's history; default for an intake on this machine: the local ${LOCAL_DEV_KEY})`,
  json: 'print JSON for scripts (tail: one object a line), errors included',
};

/** The herald command's commands, each running its handler through `on`. */
export function buildProgram(on: On, version?: string): Command {
  const program = new Command(PROGRAM)
    .description('Herald from the command line: send notifications and follow them, customers, API keys, the benchmark.')
    .usage('[options] <command>')
    // Set before bench and capacity are added: commander checks then that their pass-through can work.
    .enablePositionalOptions();
  if (version !== undefined) program.version(version);
  for (const command of [...notificationCommands(on), customersCommand(on), keysCommand(on), ...scriptCommands(on)]) program.addCommand(command);
  return examples(program, ['herald send --customer c-1 --channel email --email a@example.com --subject Hi --text Hello', 'herald tail ntf_01m886ytc1hd3842gt1fg0axj9', 'herald customers --help']);
}

/** Whether argv asks for JSON (before any `--`), for answering a command line that did not parse. */
export function wantsJson(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end < 0 ? argv : argv.slice(0, end)).includes('--json');
}

const commandNames = (command: Command): string => command.commands.map((c) => c.name()).join(', ');

/** Whether a command under `command` has the option `flag` (`--customer`). */
const knownBelow = (command: Command, flag: string): boolean =>
  command.commands.some((c) => c.options.some((o) => o.long === flag || o.short === flag) || knownBelow(c, flag));

/** A help or version commander printed, or the usage error it refused the command line with. */
function commanderOutcome(err: CommanderError, captured: Captured, fallback: Command): { value: unknown; text: string } | UsageError {
  const command = captured.command ?? fallback;
  if (err.code === 'commander.version') return { value: { version: captured.out.trim() }, text: captured.out };
  // `help({ error: true })`, a command with commands under it and none named, writes to stderr.
  if (err.code === 'commander.helpDisplayed' || (err.code === 'commander.help' && captured.err === '')) {
    return { value: { usage: usageOf(command), help: captured.out }, text: captured.out };
  }
  if (err.code === 'commander.help') return new UsageError(`missing <command>: one of ${commandNames(command)}`, usageOf(command));
  // One line: commander puts its suggestion ("(Did you mean send?)") on a line of its own.
  let message = err.message.replace(/^error: /, '').replace(/\s*\n\s*/g, ' ');
  if (err.code === 'commander.unknownCommand' && !/Did you mean/.test(message)) message += `: expected one of ${commandNames(command)}`;
  // `herald --customer c-1 send`: options parse positionally, each after the command it is of.
  const flag = /^unknown option '([^'=]+)/.exec(message)?.[1];
  if (err.code === 'commander.unknownOption' && flag !== undefined && knownBelow(command, flag)) message += ' (give it after the command it belongs to)';
  return new UsageError(message, usageOf(command));
}

const never = (): (() => void) => () => {};

const abortableSleep = async (ms: number, signal: AbortSignal): Promise<void> => {
  try {
    await delay(ms, undefined, { signal });
  } catch {
    // Aborted: the caller looks at its signal.
  }
};

function errorOutput(err: unknown, json: boolean): { code: number; stdout?: string; stderr?: string } {
  if (err instanceof UsageError) {
    if (json) return { code: 2, stdout: `${JSON.stringify({ error: { code: 'usage', message: err.message, usage: err.usage } })}\n` };
    const command = err.usage.split(' ').filter((w) => !w.startsWith('<') && !w.startsWith('[')).join(' ');
    return { code: 2, stderr: `${PROGRAM}: ${err.message}\nusage: ${err.usage}\n(${command} --help says more)\n` };
  }
  if (err instanceof CliError) {
    if (json) return { code: 1, stdout: `${JSON.stringify({ error: { ...err.details, code: err.code, message: err.message } })}\n` };
    return { code: 1, stderr: `${PROGRAM}: ${err.message}\n` };
  }
  const message = err instanceof Error ? err.message : String(err);
  if (json) return { code: 1, stdout: `${JSON.stringify({ error: { code: 'internal', message } })}\n` };
  return { code: 1, stderr: `${PROGRAM}: ${message}\n` };
}

/** Runs the herald command with `argv` (what follows `herald`) and resolves to its exit code. */
export async function run(argv: readonly string[], deps: CliDeps): Promise<number> {
  // Until the command line is parsed, --json anywhere asks for a JSON refusal; after, only ours
  // (bench's --json is its script's).
  let json = wantsJson(argv);
  const { io } = deps;
  let usage = `${PROGRAM} <command>`;
  try {
    let selected: { handler: Handler; command: Command } | undefined;
    const on: On = (handler) =>
      function (this: Command) {
        selected = { handler, command: this };
      };
    const program = buildProgram(on, deps.version);
    const captured: Captured = { out: '', err: '' };
    configure(program, captured, GLOBAL_HELP);
    try {
      program.parse([...argv], { from: 'user' });
    } catch (err) {
      if (!(err instanceof CommanderError)) throw err;
      const outcome = commanderOutcome(err, captured, program);
      if (outcome instanceof UsageError) throw outcome;
      new Output(io, json).result(outcome.value, outcome.text);
      return 0;
    }
    // Every command that parses has an action, and commander has refused the rest.
    if (!selected) throw new UsageError('nothing to run', usage);
    const { handler, command } = selected;
    const options = optionValues(command);
    json = options.json === true;
    usage = usageOf(command);
    const out = new Output(io, json);
    const str = (name: string): string | undefined => {
      const v = options[name];
      return typeof v === 'string' ? v : Array.isArray(v) ? v.at(-1) : undefined;
    };
    let client: IntakeClient | undefined;
    const ctx: Ctx = {
      options,
      ...argumentsOf(command),
      out,
      env: deps.env,
      usage,
      now: deps.now ?? (() => new Date()),
      sleep: deps.sleep ?? abortableSleep,
      onInterrupt: deps.onInterrupt ?? never,
      runScript: deps.runScript ?? (() => Promise.reject(new CliError('no_scripts', 'this herald cannot run the repository\'s scripts'))),
      client: () => {
        if (!client) {
          const target = resolveTarget({ url: str('url'), key: str('key') }, deps.env);
          client = new IntakeClient({ baseUrl: target.url, apiKey: target.apiKey, ...(deps.transport ? { transport: deps.transport } : {}) });
        }
        return client;
      },
      readJson: async (path, what) => {
        let text: string;
        try {
          text = path === '-' ? await io.readStdin() : await io.readFile(path);
        } catch (err) {
          throw new UsageError(`cannot read ${what} from ${path === '-' ? 'stdin' : path}: ${err instanceof Error ? err.message : String(err)}`, usage);
        }
        try {
          return JSON.parse(text) as unknown;
        } catch (err) {
          throw new UsageError(`${what} in ${path === '-' ? 'stdin' : path} is not JSON: ${err instanceof Error ? err.message : String(err)}`, usage);
        }
      },
      str,
      flag: (name) => options[name] === true,
    };
    return (await handler(ctx)) ?? 0;
  } catch (err) {
    const shown = errorOutput(err instanceof ArgumentError ? new UsageError(err.message, usage) : err, json);
    if (shown.stdout) io.stdout(shown.stdout);
    if (shown.stderr) io.stderr(shown.stderr);
    return shown.code;
  }
}
