import { reapOrphans, startStack, stateFileFor } from './stack.js';

// One stack for the whole integration run; its description goes to a file the tests read.
export default async function globalSetup(): Promise<void> {
  await reapOrphans();
  const stateFile = stateFileFor();
  process.env.HERALD_STACK_FILE = stateFile;
  await startStack({ stateFile });
}
