import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { StatePort } from '@herald/dapr';
import { changeRecord, RECORD_STORE, recordKeys } from '@herald/stores';
import {
  keysToKeep,
  MAX_ACTIVE_KEYS,
  mintApiKey,
  parseApiKey,
  SCOPES,
  ScopeSchema,
  StoredApiKeySchema,
  viewOf,
  type ApiKeyRequest,
  type ApiKeyView,
  type Scope,
  type StoredApiKey,
} from '../domain/api-keys.js';

// Two kinds of API key. Keys made through the API (`POST /v1/api-keys`) are kept in the records
// store as digests, one record per tenant, and can be revoked. Keys configured in the secret
// store (`API_KEYS`: the local development key, a deployment's first admin key) are read once at
// start and live until the secret changes.

/** Who a request comes from: the tenant, which of its API keys it used, and what that key may do. */
export interface Caller {
  tenantId: string;
  /**
   * Names the key in audit records (an erasure says which key asked for it) and in the key API:
   * a made key's id (`key_…`), or a configured key's fingerprint (the first 16 hex digits of its
   * SHA-256). Unlike the key, it opens nothing.
   */
  keyId: string;
  scopes: ReadonlySet<Scope>;
}

/** The caller a bearer header names; undefined when it names none. Throws KeysUnavailable when it cannot tell. */
export type Authenticate = (authorizationHeader: string | undefined) => Promise<Caller | undefined>;

/** The SHA-256 digest of a key, hex: what is kept of it. */
export const keyDigest = (key: string): string => createHash('sha256').update(key).digest('hex');

/** Whether `key` is the key `digest` was made from, in constant time. */
function digestMatches(key: string, digest: string): boolean {
  const want = Buffer.from(digest, 'hex');
  const got = createHash('sha256').update(key).digest();
  return want.length === got.length && timingSafeEqual(want, got);
}

/** The key records could not be read, and what was last read of them is too old to go on. */
export class KeysUnavailable extends Error {}

/** The fingerprint of a configured API key (see Caller.keyId). */
export const apiKeyId = (key: string): string => keyDigest(key).slice(0, 16);

/**
 * The secret API_KEYS: `{"<key>": "<tenant>"}` (every scope), or
 * `{"<key>": {"tenant": "<tenant>", "scopes": ["send", "read"], "name": "…"}}`.
 */
const ConfiguredKeysSchema = z.record(
  z.string().min(16, 'API keys must be at least 16 characters'),
  z.union([
    z.string().min(1).transform((tenant) => ({ tenant, scopes: [...SCOPES], name: undefined })),
    z.object({ tenant: z.string().min(1), scopes: z.array(ScopeSchema).min(1).default([...SCOPES]), name: z.string().optional() }).strict(),
  ]),
);

interface ConfiguredKey {
  caller: Caller;
  view: ApiKeyView;
}

/** Configured keys by digest: a lookup by digest does not leak, through timing, how much of a guess was right. */
export function configuredKeys(secretJson: string): Map<string, ConfiguredKey> {
  const keys = ConfiguredKeysSchema.parse(JSON.parse(secretJson));
  return new Map(
    Object.entries(keys).map(([key, { tenant, scopes, name }]): [string, ConfiguredKey] => {
      const id = apiKeyId(key);
      const caller = { tenantId: tenant, keyId: id, scopes: new Set(scopes) };
      return [keyDigest(key), { caller, view: { id, name: name ?? 'configured in the secret store', scopes, source: 'secret' } }];
    }),
  );
}

/** A tenant's made keys, as kept: one record, `apikeys|<tenant>`. */
export interface ApiKeyStore {
  /** Every key the record holds (revoked ones of the last 90 days too). */
  read(tenantId: string): Promise<StoredApiKey[]>;
  /** Makes a key; undefined when the tenant already has MAX_ACTIVE_KEYS active keys. */
  create(tenantId: string, request: ApiKeyRequest, createdBy: string): Promise<{ key: string; stored: StoredApiKey } | undefined>;
  /** Revokes a key (again: no change); undefined when the tenant has no such key. */
  revoke(tenantId: string, id: string, revokedBy: string): Promise<StoredApiKey | undefined>;
}

/** Entries that no longer parse are skipped: one bad entry must not lock a tenant out. */
function keysIn(value: unknown): StoredApiKey[] {
  const list = (value as { keys?: unknown } | undefined)?.keys;
  if (!Array.isArray(list)) return [];
  return list.flatMap((k) => {
    const parsed = StoredApiKeySchema.safeParse(k);
    return parsed.success ? [parsed.data] : [];
  });
}

export function createApiKeyStore(state: StatePort, opts: { store?: string; now?: () => Date } = {}): ApiKeyStore {
  const store = opts.store ?? RECORD_STORE;
  const now = opts.now ?? (() => new Date());
  const change = <T>(tenantId: string, edit: (keys: StoredApiKey[], at: Date) => { keys?: StoredApiKey[]; result: T }): Promise<T> =>
    changeRecord(state, store, recordKeys.apiKeys(tenantId), (current) => {
      const at = now();
      const { keys, result } = edit(keysToKeep(keysIn(current), at), at);
      return { ...(keys ? { value: { keys } } : {}), result };
    });

  return {
    async read(tenantId) {
      return keysIn((await state.getState<unknown>(store, recordKeys.apiKeys(tenantId)))?.value);
    },

    create(tenantId, request, createdBy) {
      const { id, key } = mintApiKey(tenantId, randomBytes(8), randomBytes(32));
      return change(tenantId, (keys, at) => {
        if (keys.filter((k) => !k.revokedAt).length >= MAX_ACTIVE_KEYS) return { result: undefined };
        const stored: StoredApiKey = {
          id, name: request.name ?? id, scopes: request.scopes, digest: keyDigest(key), hint: key.slice(-4), createdAt: at.toISOString(), createdBy,
        };
        return { keys: [...keys, stored], result: { key, stored } };
      });
    },

    revoke(tenantId, id, revokedBy) {
      return change(tenantId, (keys, at) => {
        const found = keys.find((k) => k.id === id);
        if (!found || found.revokedAt) return { result: found };
        const revoked = { ...found, revokedAt: at.toISOString(), revokedBy };
        return { keys: keys.map((k) => (k.id === id ? revoked : k)), result: revoked };
      });
    },
  };
}

export interface AuthenticatorOptions {
  /** The secret API_KEYS (configured keys). */
  configured: string;
  /** The made keys; without it, only configured keys are known. */
  store?: Pick<ApiKeyStore, 'read'>;
  /** How long a tenant's key record is used before it is read again: a revocation takes effect on every replica within this. */
  cacheMs?: number;
  /** While the record cannot be read, what was last read of it serves this long past cacheMs; then KeysUnavailable. */
  staleMs?: number;
  /** Tenants whose records are cached at once. */
  maxTenants?: number;
  now?: () => number;
}

export interface Authenticator {
  authenticate: Authenticate;
  /** The keys of a tenant as the API lists them: configured ones and made ones. */
  list(tenantId: string): Promise<ApiKeyView[]>;
  /** Forgets what was read of a tenant's keys (after this replica changed them). */
  forget(tenantId: string): void;
}

interface CachedRecord {
  keys: StoredApiKey[];
  readAt: number;
}

const BEARER = /^Bearer\s+(\S+)\s*$/i;
const MISS_REREAD_MS = 1_000;

export function createAuthenticator(opts: AuthenticatorOptions): Authenticator {
  const configured = configuredKeys(opts.configured);
  const cacheMs = opts.cacheMs ?? 5_000;
  const staleMs = opts.staleMs ?? 60_000;
  const maxTenants = opts.maxTenants ?? 10_000;
  const now = opts.now ?? Date.now;
  const cache = new Map<string, CachedRecord>();
  const reading = new Map<string, Promise<StoredApiKey[]>>();

  /** A tenant's keys, read when what was read is `maxAgeMs` old or older (and kept while the store fails, up to staleMs). */
  async function keysOf(tenantId: string, store: Pick<ApiKeyStore, 'read'>, maxAgeMs: number): Promise<StoredApiKey[]> {
    const cached = cache.get(tenantId);
    if (cached && now() - cached.readAt < maxAgeMs) return cached.keys;
    let read = reading.get(tenantId);
    if (!read) {
      read = store.read(tenantId).finally(() => reading.delete(tenantId));
      reading.set(tenantId, read);
    }
    try {
      const keys = await read;
      cache.delete(tenantId);
      if (cache.size >= maxTenants) cache.delete(cache.keys().next().value as string);
      cache.set(tenantId, { keys, readAt: now() });
      return keys;
    } catch (err) {
      if (cached && now() - cached.readAt < cacheMs + staleMs) return cached.keys;
      throw new KeysUnavailable(`API keys of the tenant could not be read: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  return {
    async authenticate(header) {
      const key = BEARER.exec(header ?? '')?.[1];
      if (!key) return undefined;
      const named = opts.store && key.length <= 512 ? parseApiKey(key) : undefined;
      if (!named || !opts.store) return configured.get(keyDigest(key))?.caller;
      // A key made moments ago on another replica is not in a record read before it: an id not
      // found is looked for again, at most once a second per tenant (a flood of made-up ids
      // costs no more reads than that).
      const stored =
        (await keysOf(named.tenantId, opts.store, cacheMs)).find((k) => k.id === named.id) ??
        (await keysOf(named.tenantId, opts.store, Math.min(cacheMs, MISS_REREAD_MS))).find((k) => k.id === named.id);
      if (!stored || stored.revokedAt || !digestMatches(key, stored.digest)) return undefined;
      return { tenantId: named.tenantId, keyId: stored.id, scopes: new Set(stored.scopes) };
    },

    async list(tenantId) {
      const made = opts.store ? await opts.store.read(tenantId) : [];
      const fromSecret = [...configured.values()].filter((k) => k.caller.tenantId === tenantId).map((k) => k.view);
      return [...fromSecret, ...made.map(viewOf)];
    },

    forget(tenantId) {
      cache.delete(tenantId);
    },
  };
}
