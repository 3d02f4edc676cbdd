import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { StoredNotificationSchema, type StoredNotification } from '@herald/contracts';
import type { BindingPort } from '@herald/dapr';
import { errMessage, type Logger } from '@herald/service';

// A customer's notifications, newest first, read straight from the notifications' own stored
// state: nothing is written for the history, so it cannot disagree with the notifications it
// lists, and it lasts exactly as long as they do (their TTL in the store).
//
// Read with SQL through a Dapr binding (`statestore-sql`, on the store's own database), not with
// the state query API, which cannot page by time: Dapr 1.18's PostgreSQL query refuses a range
// filter on a string ("string type not permitted") and writes a number into SQL with Go's `%v`,
// so a time in milliseconds (1764633600000) becomes the text '1.7646336e+12' and is compared as
// text. Without a range, the only pages are offsets, which repeat entries as new notifications
// arrive and cost a scan of everything before the page. This port is the one place Herald
// speaks SQL to its store of record (docs/data.md).

export interface HistoryPage {
  items: StoredNotification[];
  /** Pass as `before` to get the next (older) page; absent on the last page. */
  next?: string;
}

/** Where a page starts: strictly older than (at, id), or than `at` alone. */
export interface HistoryCursor {
  at: string;
  id?: string;
}

export interface NotificationHistory {
  list(tenantId: string, customerId: string, opts: { limit: number; before?: HistoryCursor; now: Date }): Promise<HistoryPage>;
}

/** Binds a cursor to its customer: a cursor from another customer or tenant is refused, never read. */
function cursorTag(tenantId: string, customerId: string): string {
  return createHash('sha256').update(`${tenantId}\n${customerId}`).digest('base64url').slice(0, 10);
}

export function encodeHistoryCursor(tenantId: string, customerId: string, c: Required<HistoryCursor>): string {
  return `${Date.parse(c.at)}.${c.id}.${cursorTag(tenantId, customerId)}`;
}

export type CursorReading = { ok: true; cursor: HistoryCursor } | { ok: false; reason: 'malformed' | 'not_this_customer' };

/** Reads `before`: the `next` of a previous page of this customer's history, or an ISO date-time. */
export function parseHistoryCursor(text: string, tenantId: string, customerId: string): CursorReading {
  const m = /^(\d{1,15})\.(ntf_[0-9a-z]{26})\.([\w-]{10})$/.exec(text);
  if (m?.[1] && m[2] && m[3]) {
    if (m[3] !== cursorTag(tenantId, customerId)) return { ok: false, reason: 'not_this_customer' };
    return { ok: true, cursor: { at: new Date(Number(m[1])).toISOString(), id: m[2] } };
  }
  const ms = Date.parse(text);
  return /^\d{4}-\d{2}-\d{2}T/.test(text) && Number.isFinite(ms) ? { ok: true, cursor: { at: new Date(ms).toISOString() } } : { ok: false, reason: 'malformed' };
}

export interface HistorySqlOptions {
  /** The SQL binding on the store's database (statestore-sql.yaml). */
  binding: string;
  /** The state component's table (`tableName`, `state` by default). */
  table: string;
}

/** A table name the SQL may name as it is: `table` or `schema.table`, lowercase. */
export const TABLE_NAME_PATTERN = /^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?$/;

export function checkedTable(table: string): string {
  if (!TABLE_NAME_PATTERN.test(table)) throw new Error(`not a plain table name: ${table}`);
  return table;
}

/**
 * The indexes the store of record needs beside Dapr's primary keys:
 * - the history query's: one customer's page is a short range of it, where without it the query
 *   scans every notification kept (90 days of them);
 * - the expiry's, on the notifications' table and on the records' (idempotency claims expire
 *   after a day): each component deletes expired rows every `cleanupInterval` with
 *   `DELETE … WHERE expiredate < now()`, and its own migrations index nothing but the key, so
 *   without it each cleanup scans the whole table.
 * CONCURRENTLY: made on a live table without blocking its writes; IF NOT EXISTS: every intake
 * start may ask.
 */
export function storeIndexSql(table: string, recordsTable: string): string[] {
  const expiry = (t: string) => `CREATE INDEX CONCURRENTLY IF NOT EXISTS ${checkedTable(t).replace('.', '_')}_herald_expiry ON ${t} (expiredate) WHERE expiredate IS NOT NULL`;
  return [
    `CREATE INDEX CONCURRENTLY IF NOT EXISTS ${checkedTable(table).replace('.', '_')}_herald_history ON ${table} ((value->>'tenantId'), (value->>'customerId'), (value->>'createdAt') DESC, (value->>'id') DESC)`,
    expiry(table),
    expiry(recordsTable),
  ];
}

/**
 * Makes the indexes (intake, at start). The tables are Dapr's to create, each by the first sidecar
 * that loads its component (the notifications' by the dispatcher's), so a table that is not
 * there yet is asked for again every `retryMs`, `tries` times in all. Never fatal: without the
 * indexes, reads and cleanups are slower, not wrong.
 */
export async function ensureStoreIndexes(
  sidecar: BindingPort,
  opts: HistorySqlOptions & { recordsTable: string; log: Logger; tries?: number; retryMs?: number },
): Promise<void> {
  const tries = opts.tries ?? 40;
  for (const sql of storeIndexSql(opts.table, opts.recordsTable)) {
    for (let attempt = 1; ; attempt++) {
      try {
        await sidecar.invokeBinding(opts.binding, 'exec', undefined, { sql });
        break;
      } catch (err) {
        if (attempt >= tries) {
          opts.log.warn({ binding: opts.binding, err: errMessage(err) }, 'could not make an index of the store of record; reads stay correct but slower');
          return;
        }
        await sleep(opts.retryMs ?? 3_000);
      }
    }
  }
  opts.log.info({ binding: opts.binding }, 'indexes of the store of record in place');
}

export function createNotificationHistory(sidecar: BindingPort, opts: HistorySqlOptions & { retentionDays: number }): NotificationHistory {
  const table = checkedTable(opts.table);
  const retentionMs = opts.retentionDays * 86_400_000;
  return {
    async list(tenantId, customerId, { limit, before, now }) {
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new Error(`limit out of range: ${limit}`);
      // Times are ISO strings of one format (toISOString), so their text order is their time order.
      const params: string[] = [tenantId, customerId, new Date(now.getTime() - retentionMs).toISOString()];
      let older = '';
      if (before?.id !== undefined) {
        params.push(before.at, before.id);
        older = `AND (value->>'createdAt', value->>'id') < ($4, $5)`;
      } else if (before) {
        params.push(before.at);
        older = `AND value->>'createdAt' < $4`;
      }
      const sql = `SELECT value FROM ${table}
        WHERE value->>'tenantId' = $1 AND value->>'customerId' = $2 AND value->>'createdAt' > $3 ${older}
          AND (expiredate IS NULL OR expiredate > CURRENT_TIMESTAMP)
        ORDER BY value->>'createdAt' DESC, value->>'id' DESC LIMIT ${limit + 1}`;
      const text = await sidecar.invokeBinding(opts.binding, 'query', undefined, { sql, params: JSON.stringify(params) });
      const rows = (text === '' ? [] : JSON.parse(text)) as unknown[][];
      const items = rows.flatMap(([value]) => {
        const parsed = StoredNotificationSchema.safeParse(value);
        return parsed.success ? [parsed.data] : [];
      });
      const page = items.slice(0, limit);
      const last = page.at(-1);
      return items.length > limit && last ? { items: page, next: encodeHistoryCursor(tenantId, customerId, { at: last.createdAt, id: last.id }) } : { items: page };
    },
  };
}

