import { createHash } from 'node:crypto';
import { z } from 'zod';

/** API key → tenant, as kept in the secret store: a JSON object `{"<key>": "<tenantId>"}`. */
const ApiKeysSchema = z.record(z.string().min(16, 'API keys must be at least 16 characters'), z.string().min(1));

export type Authenticate = (authorizationHeader: string | undefined) => string | undefined;

const digest = (key: string): string => createHash('sha256').update(key).digest('hex');

/**
 * Builds the authenticator from the secret's JSON. Keys are held and compared as SHA-256
 * digests: a lookup by digest does not leak, through timing, how much of a guess was right.
 */
export function createAuthenticator(secretJson: string): Authenticate {
  const keys = ApiKeysSchema.parse(JSON.parse(secretJson));
  const byDigest = new Map(Object.entries(keys).map(([key, tenant]) => [digest(key), tenant]));
  return (header) => {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
    return match?.[1] ? byDigest.get(digest(match[1])) : undefined;
  };
}
