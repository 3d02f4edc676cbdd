#!/usr/bin/env node
// `herald`: the command line of Herald's API (cli.ts), run as a process.
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { text } from 'node:stream/consumers';
import { run } from './cli.js';
import { repositoryRoot, runNpmScript } from './adapters/npm-script.js';

// The package's own manifest, next to dist/ where this runs from.
const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

const code = await run(process.argv.slice(2), {
  env: process.env,
  version,
  io: {
    stdout: (s) => process.stdout.write(s),
    stderr: (s) => process.stderr.write(s),
    readStdin: () => text(process.stdin),
    readFile: (path) => readFile(path, 'utf8'),
  },
  onInterrupt: (handler) => {
    process.on('SIGINT', handler);
    return () => process.off('SIGINT', handler);
  },
  runScript: (script, args) => runNpmScript(repositoryRoot(import.meta.dirname, script), script, args),
});
// Set rather than exit: stdout, when it is a pipe, is written asynchronously and must drain first.
process.exitCode = code;
