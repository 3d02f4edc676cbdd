import { createHash } from 'node:crypto';
import { z } from 'zod';

/** API key → tenant, as kept in the secret store: a JSON object `{"<key>": "<tenantId>"}`. */
const ApiKeysSchema = z.record(z.string().min(16, 'API keys must be at least 16 characters'), z.string().min(1));

/** Who a request comes from: the tenant, and which of its API keys it used. */
export interface Caller {
  tenantId: string;
  /**
   * The key's fingerprint: the first 16 hex digits of its SHA-256. Names the key in audit
   * records (an erasure says which key asked for it); unlike the key, it opens nothing.
   */
  keyId: string;
}

export type Authenticate = (authorizationHeader: string | undefined) => Caller | undefined;

const digest = (key: string): string => createHash('sha256').update(key).digest('hex');

/** The fingerprint of an API key (see Caller.keyId). */
export const apiKeyId = (key: string): string => digest(key).slice(0, 16);

/**
 * Builds the authenticator from the secret's JSON. Keys are held and compared as SHA-256
 * digests: a lookup by digest does not leak, through timing, how much of a guess was right.
 */
export function createAuthenticator(secretJson: string): Authenticate {
  const keys = ApiKeysSchema.parse(JSON.parse(secretJson));
  const byDigest = new Map(
    Object.entries(keys).map(([key, tenantId]): [string, Caller] => {
      const hex = digest(key);
      return [hex, { tenantId, keyId: hex.slice(0, 16) }];
    }),
  );
  return (header) => {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
    return match?.[1] ? byDigest.get(digest(match[1])) : undefined;
  };
}
