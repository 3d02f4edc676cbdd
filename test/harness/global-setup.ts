import { reapOrphans, startStack, stateFileFor } from './stack.js';

// One stack for the whole integration run; its description goes to a file the tests read.
export default async function globalSetup(): Promise<void> {
  await reapOrphans();
  const stateFile = stateFileFor();
  process.env.HERALD_STACK_FILE = stateFile;
  // Short retry delays, so tests of retries take seconds, not minutes.
  await startStack({ stateFile, appEnv: { RETRY_BASE_DELAY_MS: '200', RETRY_MAX_DELAY_MS: '1000', RETRY_MAX_ATTEMPTS: '4' } });
}
