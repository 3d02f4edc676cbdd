// What a command runs with: its parsed arguments, where it prints, and the world it may touch
// (intake, files, stdin, time, Ctrl-C), each passed in so that the cli runs the same in a test.
import type { OptionValues } from './domain/requests.js';
import type { IntakeClient, Transport } from './adapters/intake-client.js';

/** A command line that cannot work (exit 2): what was expected, and the usage of the command it was for. */
export class UsageError extends Error {
  constructor(
    message: string,
    /** `herald send [options]`: the command the mistake was made in. */
    readonly usage: string,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface Io {
  stdout(text: string): void;
  stderr(text: string): void;
  readStdin(): Promise<string>;
  readFile(path: string): Promise<string>;
}

export interface CliDeps {
  env: Record<string, string | undefined>;
  io: Io;
  transport?: Transport;
  now?: () => Date;
  /** Waits `ms`, or less when `signal` aborts. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Calls `handler` on Ctrl-C until the returned function is called. */
  onInterrupt?: (handler: () => void) => () => void;
  /** Runs `npm run <script> -- <args>` in the repository and resolves to its exit code. */
  runScript?: (script: string, args: readonly string[]) => Promise<number>;
  /** What `herald --version` prints (the package's version); without it there is no --version. */
  version?: string;
}

/**
 * Prints for people or, with --json, for scripts: a command's result as one JSON document, a
 * stream (tail) as one JSON object a line. Notes for people go to stderr either way, so stdout
 * holds only what a script reads.
 */
export class Output {
  constructor(
    private readonly io: Io,
    readonly json: boolean,
  ) {}

  result(value: unknown, text: string): void {
    this.io.stdout(this.json ? `${JSON.stringify(value, null, 2)}\n` : text);
  }

  line(value: unknown, text: string): void {
    this.io.stdout(this.json ? `${JSON.stringify(value)}\n` : `${text}\n`);
  }

  note(text: string): void {
    this.io.stderr(`${text}\n`);
  }
}

export interface Ctx {
  options: OptionValues;
  args: string[];
  /** bench's and capacity's arguments, as given. */
  rest: string[];
  out: Output;
  env: Record<string, string | undefined>;
  now(): Date;
  sleep(ms: number, signal: AbortSignal): Promise<void>;
  onInterrupt(handler: () => void): () => void;
  runScript(script: string, args: readonly string[]): Promise<number>;
  /** Intake, at --url with --key (checked when first asked for: bench needs neither). */
  client(): IntakeClient;
  /** A JSON document from a file, or from stdin for `-`; what cannot be read is a usage error. */
  readJson(path: string, what: string): Promise<unknown>;
  /** The value of a string option (the last, if given several times). */
  str(name: string): string | undefined;
  flag(name: string): boolean;
  /** The usage line of this command, for a usage error found while it runs. */
  usage: string;
}

export type Handler = (ctx: Ctx) => Promise<number | void>;

/** A usage error of the running command. */
export const usageError = (ctx: Pick<Ctx, 'usage'>, message: string): UsageError => new UsageError(message, ctx.usage);
