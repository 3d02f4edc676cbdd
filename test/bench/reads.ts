// How long a client waits for a notification's status and a customer's history, after the run:
// a notification the run sent about a minute earlier, and notifications 85 days old (copies of
// the run's own rows in PostgreSQL, with every time moved back), each read many times, one read
// at a time, through intake with the bench's API key. The first read of a copy finds its actor
// inactive: the actor is activated and its state loaded from PostgreSQL (the cold path), so
// first reads are reported apart; the medians are of warm reads (an active actor answers from
// the dispatcher's state cache, no PostgreSQL read).
import { Agent, request } from 'undici';
import { newNotificationId, type NotificationView } from '@herald/contracts';
import { psql } from '../harness/postgres.js';
import { percentile } from './counters.js';
import { STATE_TABLE } from './store.js';
import { isCompleted, type Trace } from './windows.js';

export interface ReadLatency {
  /** Reads made, one after another (the first included). */
  n: number;
  p50: number;
  p95: number;
  /** The first of them. */
  first: number;
  /** Reads not answered 200 with the notification (or a page) asked for. */
  failed: number;
}

export interface StatusReadLatency {
  /** A notification of the run sent about a minute before: its actor is active (the run read its timeline). */
  recent: ReadLatency & { id: string; sentSecondsAgo: number };
  /** A copy of a run's notification with its times 85 days back: `first` is a cold read (actor activated, state loaded from PostgreSQL). */
  old85d?: ReadLatency & { id: string };
  /** The first read of each of `n` such copies: the cold path alone. */
  old85dFirstReads?: { n: number; p50: number; p95: number; failed: number };
  /** Page 1 (`limit=20`) of the customer's history, the 85-day-old copy among its notifications. */
  historyPage?: ReadLatency & { customerId: string; items: number; includesOld: boolean };
  /** Why a figure is missing. */
  note?: string;
}

export interface StatusReadOptions {
  intake: string;
  apiKey: string;
  /** The stack's database, where the old copies are written (and removed afterwards). */
  database: string;
  traces: readonly Trace[];
  /** Wall-clock time (ms) of the run's zero: a trace's times are on the run's clock. */
  wallAtZero: number;
  reads?: number;
  historyReads?: number;
  /** How many 85-day-old copies are made (each read once cold; the first read `reads` times). */
  oldCopies?: number;
  ageDays?: number;
}

const DAY_MS = 86_400_000;

/** `text`, an ISO time as Herald writes it (toISOString), moved `days` back, in the same format. */
const shifted = (text: string, days: number) =>
  `to_char((${text})::timestamptz AT TIME ZONE 'UTC' - interval '${days} days', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/**
 * Copies each `sources` notification's actor row to `dst`, with its id and every time in it
 * (createdAt, updatedAt, the timeline's) moved `days` back and an expiry 5 days ahead. The bench's
 * notifications have no sendAt or expiresAt to move. Answers the copies made (a row whose value is
 * not a JSON object, Dapr's base64 of a binary value, is not copied).
 */
export function copyAsOld(database: string, pairs: ReadonlyArray<{ src: string; dst: string }>, days: number): string[] {
  const ok = /^ntf_[0-9a-z]{26}$/;
  for (const { src, dst } of pairs) if (!ok.test(src) || !ok.test(dst)) throw new Error(`not a notification id: ${src} or ${dst}`);
  if (pairs.length === 0) return [];
  const values = pairs.map(({ src, dst }) => `('${src}', '${dst}')`).join(', ');
  const value = `jsonb_set(jsonb_set(jsonb_set(jsonb_set(s.value,
      '{id}', to_jsonb(m.dst::text)),
      '{createdAt}', to_jsonb(${shifted("s.value->>'createdAt'", days)})),
      '{updatedAt}', to_jsonb(${shifted("s.value->>'updatedAt'", days)})),
      '{timeline}', COALESCE((SELECT jsonb_agg(jsonb_set(e, '{at}', to_jsonb(${shifted("e->>'at'", days)})) ORDER BY i)
                              FROM jsonb_array_elements(s.value->'timeline') WITH ORDINALITY AS t(e, i)), '[]'::jsonb))`;
  const sql = `INSERT INTO ${STATE_TABLE} (key, value, isbinary, insertdate, updatedate, expiredate)
    SELECT replace(s.key, m.src::text, m.dst::text), ${value}, s.isbinary,
           s.insertdate - interval '${days} days', s.updatedate - interval '${days} days', now() + interval '5 days'
    FROM ${STATE_TABLE} s JOIN (VALUES ${values}) AS m(src, dst) ON s.key LIKE '%||NotificationActor||' || m.src::text || '||notification'
    WHERE jsonb_typeof(s.value) = 'object'
    RETURNING value->>'id'`;
  return psql(sql, database).map((row) => row[0] ?? '');
}

export function removeCopies(database: string, ids: readonly string[]): void {
  if (ids.length === 0) return;
  psql(`DELETE FROM ${STATE_TABLE} WHERE key LIKE '%||NotificationActor||%' AND value->>'id' IN (${ids.map((id) => `'${id}'`).join(', ')})`, database);
}

/** One timed GET, and whether its answer was the one asked for. */
async function timeOne(agent: Agent, url: string, apiKey: string, check: (status: number, body: unknown) => boolean): Promise<{ ms: number; ok: boolean; body: unknown }> {
  const t0 = performance.now();
  let status = 0;
  let body: unknown;
  try {
    const res = await request(url, { headers: { authorization: `Bearer ${apiKey}` }, dispatcher: agent });
    const text = await res.body.text();
    status = res.statusCode;
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // not the answer asked for
  }
  return { ms: performance.now() - t0, ok: check(status, body), body };
}

/** Reads of one URL, in the order made: their times, failures, the last good answer. */
function readSeries() {
  const ms: number[] = [];
  let failed = 0;
  let last: unknown;
  return {
    add(r: { ms: number; ok: boolean; body: unknown }): void {
      ms.push(r.ms);
      if (r.ok) last = r.body;
      else failed++;
    },
    get last(): unknown {
      return last;
    },
    latency(): ReadLatency {
      const sorted = [...ms].sort((a, b) => a - b);
      return { n: ms.length, p50: percentile(sorted, 50), p95: percentile(sorted, 95), first: ms[0] ?? NaN, failed };
    },
  };
}

const isView = (id: string) => (status: number, body: unknown) => status === 200 && (body as NotificationView | undefined)?.id === id;
const isPage = (status: number, body: unknown) => status === 200 && Array.isArray((body as { items?: unknown } | undefined)?.items);

export async function measureStatusReads(o: StatusReadOptions): Promise<StatusReadLatency | undefined> {
  const reads = o.reads ?? 200;
  const days = o.ageDays ?? 85;
  const sent = o.traces.filter((t) => t.id !== undefined && isCompleted(t) && t.finalStatus === 'sent');
  if (sent.length === 0) return undefined;
  // The one sent closest to a minute ago (the earliest, in a run shorter than that).
  const target = Date.now() - 60_000;
  const ageOf = (t: Trace) => Math.abs(o.wallAtZero + (t.sentAtMs ?? 0) - target);
  const recentTrace = sent.reduce((best, t) => (ageOf(t) < ageOf(best) ? t : best));
  const recentId = recentTrace.id!;
  const agent = new Agent({ connections: 1, keepAliveTimeout: 30_000 });
  const url = (id: string) => `${o.intake}/v1/notifications/${id}`;
  const get = (id: string) => timeOne(agent, url(id), o.apiKey, isView(id));
  let copies: string[] = [];
  try {
    const sentSecondsAgo = (Date.now() - (o.wallAtZero + (recentTrace.sentAtMs ?? 0))) / 1000;
    const recent = readSeries();
    recent.add(await get(recentId));

    // The copies: of the recent one first (its customer's history is read below), then of others.
    const count = Math.max(1, o.oldCopies ?? 20);
    const others = sent.filter((t) => t !== recentTrace);
    const step = Math.max(1, Math.floor(others.length / Math.max(1, count - 1)));
    const sources = [recentId, ...others.filter((_, i) => i % step === 0).map((t) => t.id!)].slice(0, count);
    const oldMs = Date.now() - days * DAY_MS;
    const pairs = sources.map((src) => ({ src, dst: newNotificationId(oldMs) }));
    copies = copyAsOld(o.database, pairs, days);
    const oldId = pairs[0]?.dst;
    if (!oldId || !copies.includes(oldId)) {
      for (let i = 1; i < reads; i++) recent.add(await get(recentId));
      return {
        recent: { ...recent.latency(), id: recentId, sentSecondsAgo },
        note: `no ${days}-day-old copy could be made (the actor rows' value is not a JSON object, or the row was not found)`,
      };
    }

    // Each copy's first read: its actor is activated and its state read from PostgreSQL.
    const old = readSeries();
    const firsts = readSeries();
    for (const dst of pairs.map((p) => p.dst).filter((id) => copies.includes(id))) {
      const r = await get(dst);
      firsts.add(r);
      if (dst === oldId) old.add(r);
    }
    // The rest alternately, so a change in the machine's load (others' work, a collection)
    // weighs on both alike.
    for (let i = 1; i < reads; i++) {
      recent.add(await get(recentId));
      old.add(await get(oldId));
    }
    const out: StatusReadLatency = {
      recent: { ...recent.latency(), id: recentId, sentSecondsAgo },
      old85d: { ...old.latency(), id: oldId },
      old85dFirstReads: (({ n, p50, p95, failed }) => ({ n, p50, p95, failed }))(firsts.latency()),
    };

    const customerId = (recent.last as NotificationView | undefined)?.customerId;
    if (customerId) {
      const history = readSeries();
      const pageUrl = `${o.intake}/v1/customers/${encodeURIComponent(customerId)}/notifications?limit=20`;
      for (let i = 0; i < (o.historyReads ?? 50); i++) history.add(await timeOne(agent, pageUrl, o.apiKey, isPage));
      const items = (history.last as { items?: Array<{ id?: string }> } | undefined)?.items ?? [];
      out.historyPage = { ...history.latency(), customerId, items: items.length, includesOld: items.some((i) => i.id === oldId) };
    }
    return out;
  } finally {
    // The copies were made for this measurement only (a stack not the bench's own keeps its database).
    removeCopies(o.database, copies);
    await agent.close();
  }
}
