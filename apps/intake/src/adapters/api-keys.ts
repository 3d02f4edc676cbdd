import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { StatePort } from '@herald/dapr';
import { setBounded } from '@herald/service';
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

/** The record's entries, as they are kept. */
const entriesIn = (value: unknown): unknown[] => {
  const list = (value as { keys?: unknown } | undefined)?.keys;
  return Array.isArray(list) ? list : [];
};

/** Entries that do not parse (a newer replica's, in a rolling upgrade) are skipped: one bad entry must not lock a tenant out. */
function keysIn(value: unknown): StoredApiKey[] {
  return entriesIn(value).flatMap((k) => {
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
      // What this replica cannot read is written back as it was, not dropped.
      const unread = entriesIn(current).filter((k) => !StoredApiKeySchema.safeParse(k).success);
      return { ...(keys ? { value: { keys: [...keys, ...unread] } } : {}), result };
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
  /** When the read that got these keys began: they are as of then. */
  readAt: number;
  /** When the last read of them failed, if it did. */
  failedAt?: number;
}

const BEARER = /^Bearer\s+(\S+)\s*$/i;
/** An id not found is looked for again at most this often per tenant (a key made moments ago on another replica). */
const MISS_REREAD_MS = 1_000;
/** After a failed read, what was read before serves this long before the store is asked again. */
const FAILURE_BACKOFF_MS = 1_000;
/** Reads of tenants not in memory, per second, at most (and at once): a flood of made-up keys costs no more. */
const UNKNOWN_TENANT_READS_PER_SECOND = 100;

export function createAuthenticator(opts: AuthenticatorOptions): Authenticator {
  const configured = configuredKeys(opts.configured);
  const cacheMs = opts.cacheMs ?? 5_000;
  const staleMs = opts.staleMs ?? 60_000;
  const maxTenants = opts.maxTenants ?? 10_000;
  const now = opts.now ?? Date.now;
  const cache = new Map<string, CachedRecord>();
  const reading = new Map<string, Promise<StoredApiKey[]>>();
  // Bumped by forget(): a read begun before it is not cached (it may predate a revocation).
  const generation = new Map<string, number>();
  const unknownReads = { tokens: UNKNOWN_TENANT_READS_PER_SECOND, at: now() };

  function mayReadUnknownTenant(): boolean {
    const t = now();
    unknownReads.tokens = Math.min(UNKNOWN_TENANT_READS_PER_SECOND, unknownReads.tokens + ((t - unknownReads.at) / 1000) * UNKNOWN_TENANT_READS_PER_SECOND);
    unknownReads.at = t;
    if (unknownReads.tokens < 1) return false;
    unknownReads.tokens -= 1;
    return true;
  }

  function startRead(tenantId: string, store: Pick<ApiKeyStore, 'read'>): Promise<StoredApiKey[]> {
    const gen = generation.get(tenantId) ?? 0;
    const startedAt = now();
    const read = store
      .read(tenantId)
      .then((keys) => {
        if ((generation.get(tenantId) ?? 0) === gen) {
          setBounded(cache, tenantId, { keys, readAt: startedAt }, maxTenants);
        }
        return keys;
      })
      .finally(() => {
        if (reading.get(tenantId) === read) reading.delete(tenantId);
      });
    reading.set(tenantId, read);
    return read;
  }

  /** A tenant's keys, read when what was read is `maxAgeMs` old or older (and kept while the store fails, up to staleMs). */
  async function keysOf(tenantId: string, store: Pick<ApiKeyStore, 'read'>, maxAgeMs: number): Promise<StoredApiKey[]> {
    const cached = cache.get(tenantId);
    const t = now();
    if (cached && t - cached.readAt < maxAgeMs) return cached.keys;
    const usable = cached && t - cached.readAt < cacheMs + staleMs;
    // The store failed a moment ago: go on with what was read, rather than wait on it again at once.
    if (usable && cached.failedAt !== undefined && t - cached.failedAt < FAILURE_BACKOFF_MS) return cached.keys;
    let read = reading.get(tenantId);
    if (!read) {
      if (!cached && !mayReadUnknownTenant()) throw new KeysUnavailable('too many API key lookups of tenants not in memory at once; retry shortly');
      read = startRead(tenantId, store);
    }
    try {
      return await read;
    } catch (err) {
      const last = cache.get(tenantId);
      if (last) last.failedAt = now();
      if (last && now() - last.readAt < cacheMs + staleMs) return last.keys;
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
      // found is looked for again, at most once a second per tenant.
      const stored =
        (await keysOf(named.tenantId, opts.store, cacheMs)).find((k) => k.id === named.id) ??
        (await keysOf(named.tenantId, opts.store, Math.min(cacheMs, MISS_REREAD_MS))).find((k) => k.id === named.id);
      if (stored && !stored.revokedAt && digestMatches(key, stored.digest)) return { tenantId: named.tenantId, keyId: stored.id, scopes: new Set(stored.scopes) };
      // A configured key may happen to have a made key's form.
      return configured.get(keyDigest(key))?.caller;
    },

    async list(tenantId) {
      const made = opts.store ? await opts.store.read(tenantId) : [];
      const fromSecret = [...configured.values()].filter((k) => k.caller.tenantId === tenantId).map((k) => k.view);
      return [...fromSecret, ...made.map(viewOf)];
    },

    forget(tenantId) {
      generation.set(tenantId, (generation.get(tenantId) ?? 0) + 1);
      cache.delete(tenantId);
      reading.delete(tenantId);
    },
  };
}
