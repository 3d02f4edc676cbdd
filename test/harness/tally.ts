// What became of a set of notifications, as a user would find out: by the status API, and by
// what the sandbox providers recorded as sent. Shared by the integration tests of faults and by
// `npm run chaos`.
import type { Channel, NotificationView } from '@herald/contracts';
import type { createClient } from './client.js';
import { appHeaders, type StackInfo } from './stack.js';

type Api = ReturnType<typeof createClient>;

/** Where a notification's story ends (or rests: `sent` may still become delivered or bounced). */
export const SETTLED = new Set(['sent', 'delivered', 'bounced', 'undeliverable', 'failed', 'expired', 'canceled', 'suppressed']);

/** Sends `items` through the batch route (up to 1,000 per request); resolves the accepted ids in order. */
export async function sendBatch(api: Api, items: unknown[]): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < items.length; i += 1_000) {
    const res = await api.call('POST', '/v1/notifications/batch', { notifications: items.slice(i, i + 1_000) });
    if (res.status !== 202) throw new Error(`batch answered ${res.status}: ${JSON.stringify(res.body).slice(0, 300)}`);
    const body = res.body as { results: Array<{ status: string; id?: string }> };
    for (const r of body.results) if (r.status === 'accepted' && r.id) ids.push(r.id);
  }
  return ids;
}

/**
 * Each id's view now, or why there is none (`404`, or `no answer …` when the call failed),
 * asking `concurrency` at a time.
 */
export async function viewsOf(api: Api, ids: readonly string[], concurrency = 16): Promise<Map<string, NotificationView | string>> {
  const out = new Map<string, NotificationView | string>();
  for (let i = 0; i < ids.length; i += concurrency) {
    await Promise.all(
      ids.slice(i, i + concurrency).map(async (id) => {
        // A question that fails (intake busy, an actor moving between hosts) is an answer too: not settled yet.
        const res = await api.status(id).catch((err: unknown) => ({ status: 0, body: err instanceof Error ? err.name : 'error' }));
        out.set(id, res.status === 200 ? (res.body as NotificationView) : res.status === 0 ? `no answer (${String(res.body)})` : String(res.status));
      }),
    );
  }
  return out;
}

/** Each id's status now, or why there is none (see viewsOf). */
export async function statusesOf(api: Api, ids: readonly string[], concurrency = 16): Promise<Map<string, string>> {
  const views = await viewsOf(api, ids, concurrency);
  return new Map([...views].map(([id, view]) => [id, typeof view === 'string' ? view : view.status]));
}

/**
 * Waits until every id has settled, or the deadline passes; resolves each id's last status
 * either way (the caller judges). Asks only about those not settled yet.
 */
export async function waitSettled(api: Api, ids: readonly string[], timeoutMs: number): Promise<Map<string, string>> {
  const last = new Map<string, string>();
  const deadline = Date.now() + timeoutMs;
  let pending = [...ids];
  while (pending.length > 0) {
    for (const [id, status] of await statusesOf(api, pending)) last.set(id, status);
    pending = pending.filter((id) => !SETTLED.has(last.get(id) ?? ''));
    if (pending.length === 0 || Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  return last;
}

/** How many times each notification was handed to the channel's sandbox provider (its last 1,000 sends). */
export async function sandboxSends(stack: StackInfo, channel: Channel): Promise<Map<string, number>> {
  const app = `channel-${channel}` as const;
  // The record holds what the sandbox would have sent: with tokens, it answers the app token only.
  const res = await fetch(`http://127.0.0.1:${stack.apps[app].app}/sandbox/messages`, { headers: appHeaders(stack, app), signal: AbortSignal.timeout(5_000) });
  const body = (await res.json()) as { recent: Array<{ message: { notificationId: string } }> };
  const counts = new Map<string, number>();
  for (const r of body.recent) counts.set(r.message.notificationId, (counts.get(r.message.notificationId) ?? 0) + 1);
  return counts;
}

export interface Tally {
  accepted: number;
  /** Settled notifications by status. */
  byStatus: Record<string, number>;
  /** Accepted and not settled (still on their way, or gone: `404`). */
  lost: number;
  /** Those not settled, by the status they were last seen in. */
  unsettled: Record<string, number>;
  /** Notifications the provider got more than once. */
  duplicates: number;
}

export function tally(statuses: Map<string, string>, sends: Map<string, number>): Tally {
  const byStatus: Record<string, number> = {};
  const unsettled: Record<string, number> = {};
  let lost = 0;
  for (const status of statuses.values()) {
    if (SETTLED.has(status)) byStatus[status] = (byStatus[status] ?? 0) + 1;
    else {
      lost++;
      unsettled[status] = (unsettled[status] ?? 0) + 1;
    }
  }
  let duplicates = 0;
  for (const id of statuses.keys()) if ((sends.get(id) ?? 0) > 1) duplicates++;
  return { accepted: statuses.size, byStatus, lost, unsettled, duplicates };
}
