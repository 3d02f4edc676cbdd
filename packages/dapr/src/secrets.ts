import { SidecarError, type SecretPort } from './sidecar.js';

export async function requiredSecret(sidecar: SecretPort, store: string, name: string): Promise<string> {
  const value = await optionalSecret(sidecar, store, name);
  if (!value) throw new Error(`secret ${name} not found in secret store ${store}`);
  return value;
}

/** A secret that may be absent (a provider not configured): undefined then, not an error. */
export async function optionalSecret(sidecar: SecretPort, store: string, name: string): Promise<string | undefined> {
  try {
    const value = (await sidecar.getSecret(store, name))[name];
    return value ? value : undefined;
  } catch (err) {
    // The env secret store answers an error for a variable that is not set; the sidecar itself
    // was reachable a moment ago (the API keys were read), so this means "absent".
    if (err instanceof SidecarError) return undefined;
    throw err;
  }
}
