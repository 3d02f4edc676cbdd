import type { SecretPort } from '@herald/dapr';
import { errMessage, type Logger } from '@herald/service';
import { loadKeyRing, type KeyRing } from './key-ring.js';

/**
 * The key ring from the secret store, or undefined after logging why there is none: every app
 * then refuses to start (its main exits). Without its keys an app could only refuse all its work
 * or handle PII in the clear, and it does neither. The line names the secret and what is wrong
 * with it, never a key.
 */
export async function keyRingAtStart(secrets: SecretPort, store: string, log: Logger): Promise<KeyRing | undefined> {
  try {
    return await loadKeyRing(secrets, store);
  } catch (err) {
    log.fatal(`${errMessage(err)}: the app does not start without its key ring`);
    return undefined;
  }
}
