// What the herald command prints for people: aligned tables and labelled fields. For scripts,
// --json prints intake's own answers instead (the cli decides which).
import type { Erasure, NotificationView, Preferences, ProfileView, TimelineEntry } from '@herald/contracts';
import type { Change } from './tail.js';

export type Cell = string | number | boolean | undefined | null;

const text = (cell: Cell): string => (cell === undefined || cell === null ? '' : String(cell));

/**
 * Rows under upper-case headers, each column as wide as its widest cell, two spaces apart; the
 * last column is not padded, so no line ends in blanks. Line breaks in a cell become spaces:
 * a reason from a provider must not break the table.
 */
export function table(headers: readonly string[], rows: ReadonlyArray<readonly Cell[]>): string {
  const cells = [headers.map((h) => h.toUpperCase()), ...rows.map((r) => headers.map((_, i) => text(r[i]).replace(/\s*[\r\n]+\s*/g, ' ')))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return `${cells.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ').trimEnd()).join('\n')}\n`;
}

/** `label  value` lines, the labels aligned; empty values are left out. */
export function fields(entries: ReadonlyArray<readonly [string, Cell]>): string {
  const shown = entries.filter(([, v]) => text(v) !== '');
  const width = Math.max(0, ...shown.map(([k]) => k.length));
  return shown.map(([k, v]) => `${k.padEnd(width)}  ${text(v)}`).join('\n') + (shown.length > 0 ? '\n' : '');
}

/** A token or id too long for a table, as its first and last characters. */
export function abbreviate(value: string, keep = 8): string {
  return value.length <= keep * 2 + 1 ? value : `${value.slice(0, keep)}…${value.slice(-4)}`;
}

const plural = (n: number, one: string): string => `${n} ${one}${n === 1 ? '' : 's'}`;

/** `herald status`: the notification's fields, then its timeline. */
export function formatStatus(view: NotificationView): string {
  const channel = view.channels && view.channels.length > 1 ? `${view.channel ?? ''} (of ${view.channels.join(', ')})` : view.channel;
  const metadata = view.metadata ? Object.entries(view.metadata).map(([k, v]) => `${k}=${v}`).join(', ') : undefined;
  const head = fields([
    ['id', view.id],
    ['status', view.status],
    ['customer', view.customerId],
    ['channel', channel],
    ['priority', view.priority],
    ['attempts', view.attempts],
    ['send at', view.sendAt],
    ['expires at', view.expiresAt],
    ['created', view.createdAt],
    ['updated', view.updatedAt],
    ['metadata', metadata],
  ]);
  const rows = view.timeline.map((e) => [e.at, e.status, e.channel, e.attempt, e.reason]);
  return `${head}\n${table(['at', 'status', 'channel', 'attempt', 'reason'], rows)}`;
}

/** The distinct trace ids of a timeline, in the order they first appear. */
export function traceIdsOf(timeline: readonly TimelineEntry[]): string[] {
  return [...new Set(timeline.flatMap((e) => (e.traceId ? [e.traceId] : [])))];
}

/** A trace's page in the trace UI (Jaeger's `/trace/<id>`). */
export function traceUrl(uiBase: string, traceId: string): string {
  return `${uiBase.replace(/\/+$/, '')}/trace/${traceId}`;
}

/** What `herald trace --json` prints: the timeline with its trace ids and their pages. */
export function traceView(view: NotificationView, uiBase: string) {
  const traceIds = traceIdsOf(view.timeline);
  return {
    id: view.id,
    status: view.status,
    ...(view.customerId !== undefined ? { customerId: view.customerId } : {}),
    timeline: view.timeline,
    traceIds,
    traceUrls: traceIds.map((t) => traceUrl(uiBase, t)),
    ...(traceIds[0] ? { traceUrl: traceUrl(uiBase, traceIds[0]) } : {}),
  };
}

/** `herald trace`: every attempt with its channel, the provider's answer and the reason, and the trace's page. */
export function formatTrace(view: NotificationView, uiBase: string): string {
  const t = traceView(view, uiBase);
  const head = `${view.id}  ${view.status}${view.customerId ? `  customer ${view.customerId}` : ''}  ${plural(view.attempts, 'attempt')}\n\n`;
  const rows = view.timeline.map((e) => [e.at, e.status, e.channel, e.attempt, e.provider, e.providerMessageId, e.reason, e.traceId ? abbreviate(e.traceId, 8) : undefined]);
  const timeline = table(['at', 'status', 'channel', 'attempt', 'provider', 'provider message', 'reason', 'trace'], rows);
  const links =
    t.traceUrls.length === 0
      ? 'trace: none in the timeline (the sidecars sampled it out, or tracing is off)\n'
      : t.traceUrls.length === 1
        ? `trace: ${t.traceUrls[0] ?? ''}\n`
        : `traces:\n${t.traceUrls.map((u) => `  ${u}`).join('\n')}\n`;
  return `${head}${timeline}\n${links}`;
}

/** One line of `herald tail`. */
export function formatChange(c: Change): string {
  const parts = [c.at, c.id, c.status.padEnd(13), c.channel ?? '', c.attempt !== undefined ? `attempt ${c.attempt}` : '', c.provider ?? '', c.reason ?? ''];
  return `${parts.filter((p) => p !== '').join('  ')}${c.final ? '  (final)' : ''}`;
}

/** `herald customers history`: one row a notification. */
export function formatHistory(items: readonly NotificationView[], next?: string): string {
  if (items.length === 0) return 'no notifications\n';
  const rows = items.map((v) => [v.id, v.status, v.channel, v.priority, v.attempts, v.createdAt, v.updatedAt]);
  const more = next ? `\nolder: --before ${next}\n` : '';
  return `${table(['id', 'status', 'channel', 'priority', 'attempts', 'created', 'updated'], rows)}${more}`;
}

/** `herald customers show`: the profile; device tokens shortened (the JSON has them whole). */
export function formatProfile(p: ProfileView): string {
  const head = fields([
    ['customer', p.customerId],
    ['email', p.email],
    ['phone', p.phone],
    ['locale', p.locale],
    ['timezone', p.timezone],
    ['updated', p.updatedAt],
  ]);
  const devices = p.devices.length === 0 ? 'no devices\n' : table(['device', 'platform', 'token'], p.devices.map((d) => [d.id, d.platform, abbreviate(d.token)]));
  return `${head}\n${devices}`;
}

/**
 * What a profile change prints: which fields the profile has now and its devices' ids, not the
 * values (the person typed them; a terminal's scrollback or a CI log need not keep them again).
 */
export function profileSummary(p: ProfileView) {
  const set = (['email', 'phone', 'locale', 'timezone'] as const).filter((k) => p[k] !== undefined);
  return { customerId: p.customerId, fields: set, devices: p.devices.map((d) => ({ id: d.id, platform: d.platform })), updatedAt: p.updatedAt };
}

export function formatProfileSummary(p: ProfileView, verb: string): string {
  const s = profileSummary(p);
  const devices = s.devices.length === 0 ? 'no devices' : `devices ${s.devices.map((d) => `${d.id} (${d.platform})`).join(', ')}`;
  return `${verb} the profile of ${s.customerId}: ${s.fields.length > 0 ? s.fields.join(', ') : 'no contact fields'}; ${devices}\n`;
}

export function formatPreferences(customer: string, p: Preferences): string {
  return fields([
    ['customer', customer],
    ['timezone', p.timezone ?? '(none)'],
    ['quiet hours', p.quietHours ? `${p.quietHours.start}-${p.quietHours.end}` : '(none)'],
    ['opted out', p.optedOut?.length ? p.optedOut.join(', ') : '(none)'],
  ]);
}

export interface ApiKeyView {
  id: string;
  name: string;
  scopes: string[];
  source: string;
  hint?: string;
  createdAt?: string;
  createdBy?: string;
  revokedAt?: string;
}

export function formatKeys(keys: readonly ApiKeyView[]): string {
  if (keys.length === 0) return 'no keys\n';
  return table(
    ['id', 'name', 'scopes', 'hint', 'source', 'created', 'revoked'],
    keys.map((k) => [k.id, k.name, k.scopes.join(','), k.hint, k.source, k.createdAt, k.revokedAt]),
  );
}

export function formatKey(k: ApiKeyView): string {
  return fields([
    ['id', k.id],
    ['name', k.name],
    ['scopes', k.scopes.join(', ')],
    ['hint', k.hint],
    ['source', k.source],
    ['created', k.createdAt],
    ['created by', k.createdBy],
    ['revoked', k.revokedAt],
  ]);
}

export function formatErasure(e: Erasure): string {
  const erased = Object.entries(e.erased)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(', ');
  return fields([
    ['erasure', e.id],
    ['customer', e.customerId],
    ['status', e.status],
    ['requested', e.requestedAt],
    ['completed', e.completedAt],
    ['erased', erased],
  ]);
}
