// `herald bench` and `herald capacity`: the repository's own npm scripts, run from its root with
// the arguments as given, so there is one way each works and the cli only finds it.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { constants } from 'node:os';
import { CliError } from './intake-client.js';

/**
 * The repository this command was built in: the nearest folder above it whose package.json is
 * Herald's workspace root (it declares the workspaces and the script).
 */
export function repositoryRoot(from: string, script: string): string {
  let dir = resolve(from);
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as { workspaces?: unknown; scripts?: Record<string, unknown> };
        if (pkg.workspaces && typeof pkg.scripts?.[script] === 'string') return dir;
      } catch {
        // Not readable as a manifest: look further up.
      }
    }
    const up = dirname(dir);
    if (up === dir) throw new CliError('no_repository', `cannot find Herald's repository (a package.json with the script "${script}") above ${from}`);
    dir = up;
  }
}

/**
 * Runs `npm run <script> -- <args>` in `root` with this terminal, and resolves to its exit code
 * (128 + the signal's number when a signal ended it). Ctrl-C reaches npm and the script
 * directly (same terminal), so this process only waits for their exit rather than dying first;
 * a SIGTERM, sent to this process alone, it hands on.
 */
export function runNpmScript(root: string, script: string, args: readonly string[]): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    // Silent: npm's own banner would go to stdout ahead of the script's, and `--json` output
    // must be the script's alone.
    const child = spawn('npm', ['run', '--silent', script, '--', ...args], { cwd: root, stdio: 'inherit' });
    const ignore = (): void => {};
    const forward = (): void => {
      child.kill('SIGTERM');
    };
    process.on('SIGINT', ignore);
    process.on('SIGTERM', forward);
    const done = (): void => {
      process.off('SIGINT', ignore);
      process.off('SIGTERM', forward);
    };
    child.on('error', (err) => {
      done();
      reject(new CliError('spawn_failed', `cannot run npm run ${script}: ${err.message}`));
    });
    child.on('exit', (code, signal) => {
      done();
      resolvePromise(code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0));
    });
  });
}
