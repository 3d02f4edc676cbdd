import { readFileSync, rmSync } from 'node:fs';
import { cleanBrokers, portOpen, stopStack, waitFor, type StackInfo } from './stack.js';

export default async function globalTeardown(): Promise<void> {
  const file = process.env.HERALD_STACK_FILE;
  if (!file) return;
  const info = JSON.parse(readFileSync(file, 'utf8')) as StackInfo;
  await stopStack(info);
  await cleanBrokers(info);
  rmSync(file, { force: true });
  // Leave the machine as we found it: every port the stack used must be free again.
  await waitFor('the stack ports to be free', async () => {
    for (const port of info.ports) if (await portOpen(port)) return undefined;
    return true;
  }, 15_000, 200);
}
