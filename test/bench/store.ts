// What the stores themselves say a run cost and kept: PostgreSQL's own counters and sizes for
// the store of record (table `state` of Dapr's state.postgresql component: actor state,
// preferences, webhook endpoints, idempotency records), Redis's MEMORY USAGE for what outlives
// a send there (the send ledger) and for the lane streams. Never estimated from Herald's side.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from '@herald/stores';
import { psql } from '../harness/postgres.js';
import { LANES, type Lane } from './schedule.js';

/** Dapr's table for the state store (`tableName`, its default). */
export const STATE_TABLE = 'state';
/** Keys of notification actors' state (`<app id>||NotificationActor||<id>||<key>`, Dapr's layout). */
const ACTOR_KEYS = "key LIKE '%||NotificationActor||%'";

/** Rows written to the state table so far, by kind (pg_stat_user_tables). */
export interface TableWrites {
  inserts: number;
  updates: number;
  deletes: number;
}

/**
 * Every table Herald writes through Dapr: the actors' state, its records (preferences, profiles,
 * idempotency claims, webhook endpoints, erasures) and the customers' wrapped data keys.
 */
export const HERALD_TABLES = [STATE_TABLE, 'records', 'data_keys'] as const;

/**
 * The write counters of Herald's tables now, summed, as far as the backends have reported them;
 * undefined without the state table. `byTable` says which table took them.
 */
export function stateTableWrites(database: string): (TableWrites & { byTable: Record<string, number> }) | undefined {
  const rows = psql(
    `SELECT relname, n_tup_ins, n_tup_upd, n_tup_del FROM pg_stat_user_tables WHERE relname IN (${HERALD_TABLES.map((t) => `'${t}'`).join(', ')}) AND schemaname = 'public'`,
    database,
  );
  if (!rows.some(([name]) => name === STATE_TABLE)) return undefined;
  const sum: TableWrites & { byTable: Record<string, number> } = { inserts: 0, updates: 0, deletes: 0, byTable: {} };
  for (const [name, ...counts] of rows) {
    const [inserts = NaN, updates = NaN, deletes = NaN] = counts.map(Number);
    sum.inserts += inserts;
    sum.updates += updates;
    sum.deletes += deletes;
    sum.byTable[name ?? '?'] = inserts + updates + deletes;
  }
  return sum;
}

const same = (a: TableWrites | undefined, b: TableWrites | undefined) => !!a && !!b && a.inserts === b.inserts && a.updates === b.updates && a.deletes === b.deletes;

/**
 * The state table's write counters once every write so far shows in them: read until they have
 * not moved for `quietMs`. PostgreSQL (15+) keeps a backend's table counts in the backend and
 * flushes them at a transaction's end at most once a second; a backend that goes idle with
 * counts pending flushes them only when its idle timer fires, 10 s later (PGSTAT_IDLE_INTERVAL;
 * seen here too: docs/performance.md, "The local stack and the bench").
 * pg_stat_force_next_flush() flushes only the backend that calls it (ours has nothing pending),
 * and the sidecars' pooled backends cannot be asked, so two reads a second apart agreeing
 * proves nothing: the quiet must outlast that timer. Call it when the stack has stopped writing
 * (after a drain).
 */
export async function settledStateTableWrites(database: string, { quietMs = 11_000, everyMs = 1_000, timeoutMs = 90_000 } = {}): Promise<TableWrites | undefined> {
  const deadline = Date.now() + timeoutMs;
  let last = stateTableWrites(database);
  let since = Date.now();
  while (Date.now() < deadline) {
    await sleep(everyMs);
    const now = stateTableWrites(database);
    if (!same(now, last)) {
      last = now;
      since = Date.now();
    } else if (Date.now() - since >= quietMs) {
      return last;
    }
  }
  process.stderr.write(`  the state table's write counters kept moving for ${timeoutMs / 1000} s: is something else writing to ${database}?\n`);
  return last;
}

/** The state table's size and how many notification actors it holds. */
export interface TableSize {
  /** pg_total_relation_size: heap, indexes and TOAST, free space and dead row versions included. */
  bytes: number;
  /** Rows of notification actors' state (keys `%||NotificationActor||%`). */
  notifications: number;
}

export function stateTableSize(database: string): TableSize {
  const [row] = psql(`SELECT pg_total_relation_size('${STATE_TABLE}'), (SELECT count(*) FROM ${STATE_TABLE} WHERE ${ACTOR_KEYS})`, database);
  return { bytes: Number(row?.[0] ?? NaN), notifications: Number(row?.[1] ?? NaN) };
}

/**
 * Rewrites the state table without its dead row versions and free space (VACUUM FULL: an
 * exclusive lock for as long as it takes). Only on a database of the bench's own stack.
 */
export function compactStateTable(database: string): void {
  psql(`VACUUM FULL ${STATE_TABLE}`, database);
}

/** How a notification's actor state is stored in the `value` column: `object` (JSON) or `string` (base64 of binary). */
export function actorValueType(database: string): string | undefined {
  return psql(`SELECT jsonb_typeof(value) FROM ${STATE_TABLE} WHERE ${ACTOR_KEYS} LIMIT 1`, database)[0]?.[0];
}

/** What the run's notifications keep in PostgreSQL, from its sizes before the warm-up and after the drain. */
export interface PostgresKept {
  database: string;
  before: TableSize;
  /** After the run, as the writes left it (dead row versions of the updates included: autovacuum has not necessarily run). */
  afterAsWritten: TableSize;
  /** After VACUUM FULL at both ends; absent when the table was not compacted (a stack not the bench's own). */
  afterCompacted?: TableSize;
  /** Notification actor rows the run added: the denominator of bytes per notification. */
  notificationsCreated: number;
  bytesPerNotification: number;
  bytesPerNotificationAsWritten: number;
  /** jsonb_typeof(value) of an actor row. */
  actorValueType?: string;
}

export function postgresKept(database: string, before: TableSize, compact: boolean): PostgresKept {
  const afterAsWritten = stateTableSize(database);
  const valueType = actorValueType(database);
  let afterCompacted: TableSize | undefined;
  if (compact) {
    compactStateTable(database);
    afterCompacted = stateTableSize(database);
  }
  const created = afterAsWritten.notifications - before.notifications;
  const per = (size: TableSize) => (created > 0 ? (size.bytes - before.bytes) / created : NaN);
  return {
    database,
    before,
    afterAsWritten,
    ...(afterCompacted ? { afterCompacted } : {}),
    notificationsCreated: created,
    bytesPerNotification: per(afterCompacted ?? afterAsWritten),
    bytesPerNotificationAsWritten: per(afterAsWritten),
    ...(valueType ? { actorValueType: valueType } : {}),
  };
}

async function scanKeys(redis: Redis, pattern: string): Promise<string[]> {
  const out: string[] = [];
  let cursor = '0';
  do {
    const reply = await redis.scan(cursor, { MATCH: pattern, COUNT: 2000 });
    out.push(...reply.keys);
    cursor = String(reply.cursor);
  } while (cursor !== '0');
  return out;
}

/** Bytes `keys` take in Redis (MEMORY USAGE), measured on at most `sample` of them and scaled up. */
export async function bytesOf(redis: Redis, keys: readonly string[], sample = 500): Promise<number> {
  if (keys.length === 0) return 0;
  const step = Math.max(1, Math.floor(keys.length / sample));
  const picked = keys.filter((_, i) => i % step === 0);
  const pipe = redis.multi();
  for (const k of picked) pipe.memoryUsage(k, { SAMPLES: 0 });
  const sizes = (await pipe.execAsPipeline()).map((v) => Number(v ?? 0));
  return (sizes.reduce((a, b) => a + b, 0) / picked.length) * keys.length;
}

/** What the run's notifications keep in Redis, and what a lane stream entry takes. */
export interface RedisKept {
  /** The send ledger keys of the run's notifications (`<prefix>herald:sent:<id>:<attempt>`: kept a day, dedup.ts). */
  ledgerKeys: number;
  /** Their bytes (MEMORY USAGE, sampled). */
  ledgerBytes: number;
  /** The run's notifications (warm-up included): the denominator of bytesPerNotification. */
  notifications: number;
  bytesPerNotification: number;
  /**
   * Each lane stream: MEMORY USAGE (every node: SAMPLES 0) and XLEN. A stream keeps acknowledged
   * entries until the component trims it to its maxLenApprox, so every entry so far is there.
   */
  streams: Record<Lane, { bytes: number; entries: number }>;
  streamBytesPerEntry: number;
}

/** `runIds`: every notification the run made (warm-up included), whose ledger keys are counted. */
export async function redisKept(redis: Redis, keyPrefix: string, topicPrefix: string, runIds: ReadonlySet<string>): Promise<RedisKept> {
  const ledgerPrefix = `${keyPrefix}herald:sent:`;
  // The id sits between the prefix and the last colon (the attempt).
  const idOf = (key: string) => key.slice(ledgerPrefix.length, key.lastIndexOf(':'));
  const ledger = (await scanKeys(redis, `${ledgerPrefix}*`)).filter((k) => runIds.has(idOf(k)));
  const ledgerBytes = await bytesOf(redis, ledger);
  const streams = {} as RedisKept['streams'];
  for (const lane of LANES) {
    const key = `${topicPrefix}notifications-${lane}`;
    const [bytes, entries] = await Promise.all([redis.memoryUsage(key, { SAMPLES: 0 }), redis.xLen(key)]);
    streams[lane] = { bytes: Number(bytes ?? 0), entries: Number(entries) };
  }
  const entries = LANES.reduce((n, l) => n + streams[l].entries, 0);
  return {
    ledgerKeys: ledger.length,
    ledgerBytes,
    notifications: runIds.size,
    bytesPerNotification: runIds.size ? ledgerBytes / runIds.size : NaN,
    streams,
    streamBytesPerEntry: entries ? LANES.reduce((n, l) => n + streams[l].bytes, 0) / entries : NaN,
  };
}
