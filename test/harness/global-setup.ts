import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { startStack } from './stack.js';

// One stack for the whole integration run; its description goes to a file the tests read.
export default async function globalSetup(): Promise<void> {
  const info = await startStack();
  const file = join(tmpdir(), `herald-stack-${process.pid}.json`);
  writeFileSync(file, JSON.stringify(info));
  process.env.HERALD_STACK_FILE = file;
}
