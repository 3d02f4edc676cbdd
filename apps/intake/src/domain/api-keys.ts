import { z } from 'zod';

// A tenant's API keys: what each may do (its scopes), how a key names its tenant and itself, and
// how it is kept: only as its SHA-256 digest. A key is 256 random bits, so a fast digest is as
// good as a slow one (nothing to guess by brute force) and costs microseconds per request where
// bcrypt would cost milliseconds.

/**
 * What a key may do. `send`: send and cancel notifications, and keep the customers they go to
 * (profiles, devices, preferences). `read`: every GET. `admin`: API keys, webhook endpoints and
 * customers' erasures.
 */
export const SCOPES = ['send', 'read', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];
export const ScopeSchema = z.enum(SCOPES);

/**
 * The scope a request needs, from its method and path (before the router decodes them): one
 * table for every route, so a new route gets `read` or `send` by its method unless named here.
 * The method as node gives it: upper case.
 */
export function scopeFor(method: string, rawPath: string): Scope {
  // The router matches paths whatever their case (express's default): so must this, or
  // `POST /V1/API-KEYS` would be judged a `send` and served as the admin route it is.
  const path = rawPath.toLowerCase();
  if (path === '/v1/api-keys' || path.startsWith('/v1/api-keys/')) return 'admin';
  if (method === 'GET' || method === 'HEAD') return 'read';
  if (path === '/v1/webhooks' || path.startsWith('/v1/webhooks/')) return 'admin';
  // DELETE of a customer itself (not of their preferences or a device) is their erasure.
  if (method === 'DELETE' && /^\/v1\/customers\/[^/]+\/?$/.test(path)) return 'admin';
  return 'send';
}

/** `hk_<tenant, base64url>.<key id>.<secret, base64url>`: the key says whose it is and which it is. */
const KEY_PATTERN = /^hk_([A-Za-z0-9_-]{1,400})\.(key_[0-9a-f]{16})\.([A-Za-z0-9_-]{43})$/;

export interface MintedKey {
  id: string;
  /** The whole key, shown to its creator once and never kept. */
  key: string;
}

/** A new key for `tenantId` from 8 random bytes (its id) and 32 (its secret). */
export function mintApiKey(tenantId: string, idBytes: Buffer, secretBytes: Buffer): MintedKey {
  const id = `key_${idBytes.toString('hex')}`;
  return { id, key: `hk_${Buffer.from(tenantId).toString('base64url')}.${id}.${secretBytes.toString('base64url')}` };
}

/** The tenant and key id a key names, or undefined when it is not a key of this form. */
export function parseApiKey(key: string): { tenantId: string; id: string } | undefined {
  const m = KEY_PATTERN.exec(key);
  if (!m?.[1] || !m[2]) return undefined;
  const tenantId = Buffer.from(m[1], 'base64url').toString('utf8');
  // Only the canonical spelling: two spellings of one tenant must not be two lookups.
  if (!tenantId || Buffer.from(tenantId).toString('base64url') !== m[1]) return undefined;
  return { tenantId, id: m[2] };
}

const ISO_TIME = z.iso.datetime({ offset: true });

/** A key as kept in the tenant's record: never the key itself. */
export const StoredApiKeySchema = z.object({
  id: z.string().regex(/^key_[0-9a-f]{16}$/),
  name: z.string(),
  scopes: z.array(ScopeSchema).min(1),
  digest: z.string().regex(/^[0-9a-f]{64}$/),
  /** The key's last four characters, so a person can tell their keys apart. */
  hint: z.string(),
  createdAt: ISO_TIME,
  /** The key id of the caller that made it. */
  createdBy: z.string(),
  revokedAt: ISO_TIME.optional(),
  revokedBy: z.string().optional(),
});
export type StoredApiKey = z.infer<typeof StoredApiKeySchema>;

/** `POST /v1/api-keys`. */
export const ApiKeyRequestSchema = z
  .object({
    name: z.string().trim().min(1).max(100).optional(),
    scopes: z
      .array(ScopeSchema)
      .min(1)
      .transform((scopes) => SCOPES.filter((s) => scopes.includes(s))),
  })
  .strict();
export type ApiKeyRequest = z.infer<typeof ApiKeyRequestSchema>;

/** Keys a tenant may have at once (not counting revoked ones): one record holds them all. */
export const MAX_ACTIVE_KEYS = 50;
/** A revoked key stays listed, for the audit, this long. */
export const REVOKED_KEPT_MS = 90 * 86_400_000;

/** Revoked keys listed at most, the most recent: the record every cache miss reads stays small. */
export const MAX_REVOKED_KEPT = 100;

/** The keys worth keeping: every active one, and the revoked ones of the last 90 days (the latest 100). */
export function keysToKeep(keys: readonly StoredApiKey[], now: Date): StoredApiKey[] {
  const recent = keys
    .filter((k) => k.revokedAt !== undefined && now.getTime() - Date.parse(k.revokedAt) < REVOKED_KEPT_MS)
    .sort((a, b) => Date.parse(b.revokedAt ?? '') - Date.parse(a.revokedAt ?? ''))
    .slice(0, MAX_REVOKED_KEPT);
  return keys.filter((k) => k.revokedAt === undefined || recent.includes(k));
}

/** A key as the API shows it. `source`: made through the API, or configured in the secret store. */
export interface ApiKeyView {
  id: string;
  name: string;
  scopes: Scope[];
  source: 'api' | 'secret';
  hint?: string | undefined;
  createdAt?: string | undefined;
  createdBy?: string | undefined;
  revokedAt?: string | undefined;
  revokedBy?: string | undefined;
}

export function viewOf({ digest: _digest, ...key }: StoredApiKey): ApiKeyView {
  return { ...key, source: 'api' };
}
