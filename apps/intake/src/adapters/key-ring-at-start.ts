import type { SecretPort } from '@herald/dapr';
import { errMessage, type Logger } from '@herald/service';
import { loadKeyRing, type KeyRing } from '@herald/stores';

/**
 * The key ring from the secret store, or undefined after logging why there is none: intake
 * then refuses to start. Without its keys it could only refuse every notification or pass
 * them on in the clear, and it does neither. The line names the secret and what is wrong with
 * it, never a key.
 */
export async function keyRingAtStart(secrets: SecretPort, store: string, log: Logger): Promise<KeyRing | undefined> {
  try {
    return await loadKeyRing(secrets, store);
  } catch (err) {
    log.fatal(`${errMessage(err)}: intake does not start without its key ring`);
    return undefined;
  }
}
