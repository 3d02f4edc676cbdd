import type { NotificationStatus, NotificationView } from '@herald/contracts';
import { Command, Option } from 'commander';
import { formatChange, formatStatus, formatTrace, fields, traceView } from '../domain/format.js';
import { customerId, notificationId, parseDuration, pastTime, sendRequest } from '../domain/requests.js';
import { allFinal, detectChanges, type Change } from '../domain/tail.js';
import { DEFAULT_TRACE_UI, httpUrl } from '../domain/target.js';
import { CliError, HttpError, type IntakeClient } from '../adapters/intake-client.js';
import { usageError, type Ctx } from '../context.js';
import { collect, examples, value, type On } from '../program.js';

const NOTIFICATION_ID = 'ntf_ and 26 letters and digits, as send prints it';

async function sendNotification(ctx: Ctx): Promise<void> {
  const path = ctx.str('file');
  const file = path === undefined ? undefined : await ctx.readJson(path, 'the request');
  const lane = ctx.str('lane');
  const priority = ctx.str('priority');
  if (lane !== undefined && priority !== undefined && lane !== priority) throw usageError(ctx, '--lane and --priority name the same thing: give one');
  const options = lane !== undefined ? { ...ctx.options, priority: lane } : ctx.options;
  const { body, idempotencyKey } = sendRequest(options, file, ctx.now());
  const client = ctx.client();
  const res = await client.call<{ id: string; status: string; statusUrl: string }>('POST', '/v1/notifications', {
    body,
    ...(idempotencyKey !== undefined ? { headers: { 'idempotency-key': idempotencyKey } } : {}),
  });
  const statusUrl = client.url(res.body.statusUrl);
  ctx.out.result({ id: res.body.id, status: res.body.status, statusUrl }, fields([['id', res.body.id], ['status', res.body.status], ['status url', statusUrl]]));
}

const view = async (client: IntakeClient, id: string): Promise<NotificationView> =>
  (await client.call<NotificationView>('GET', `/v1/notifications/${id}`)).body;

async function status(ctx: Ctx): Promise<void> {
  const id = notificationId(ctx.args[0] ?? '');
  const v = await view(ctx.client(), id);
  ctx.out.result(v, formatStatus(v));
}

async function trace(ctx: Ctx): Promise<void> {
  const base = ctx.str('trace-ui');
  const ui = httpUrl(base ?? (ctx.env.HERALD_TRACE_UI || DEFAULT_TRACE_UI), base !== undefined ? '--trace-ui' : 'HERALD_TRACE_UI');
  const id = notificationId(ctx.args[0] ?? '');
  const v = await view(ctx.client(), id);
  ctx.out.result(traceView(v, ui), formatTrace(v, ui));
}

async function cancel(ctx: Ctx): Promise<void> {
  const id = notificationId(ctx.args[0] ?? '');
  const v = (await ctx.client().call<NotificationView>('POST', `/v1/notifications/${id}/cancel`)).body;
  ctx.out.result(v, `${id} ${v.status}\n`);
}

/** A status read that may fail for now (503: retry) is skipped this round; anything else fails tail. */
async function unlessUnavailable<T>(read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch (err) {
    if (err instanceof HttpError && err.status === 503) return undefined;
    throw err;
  }
}

/** An error of intake's about one of several notifications, saying which. */
const whose =
  (id: string) =>
  (err: unknown): never => {
    if (err instanceof HttpError) throw new CliError(err.code, `${id}: ${err.message}`, err.details);
    throw err;
  };

/** Reads with at most `limit` in flight. */
async function readAll<T, R>(items: readonly T[], limit: number, read: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += limit) out.push(...(await Promise.all(items.slice(i, i + limit).map(read))));
  return out;
}

/**
 * Polls the given notifications and the customer's newest history, printing each timeline
 * entry once, until every given notification is final, the timeout, or Ctrl-C (130). Intake
 * offers webhooks, not a stream a command can hold open (a webhook needs an address intake can
 * reach, and intake refuses private ones outside development), so tail polls.
 */
async function tail(ctx: Ctx): Promise<number> {
  const ids = [...new Set(ctx.args.map(notificationId))];
  const customerText = ctx.str('customer');
  const customer = customerText === undefined ? undefined : customerId(customerText);
  if (ids.length === 0 && customer === undefined) throw usageError(ctx, 'give notification ids to follow, --customer <id>, or both');
  const intervalMs = Math.max(100, parseDuration(ctx.str('interval') ?? '1', 'interval'));
  const timeoutText = ctx.str('timeout');
  const timeoutMs = timeoutText === undefined ? undefined : parseDuration(timeoutText, 'timeout');
  const started = ctx.now();
  const sinceText = ctx.str('since');
  const since = sinceText === undefined ? undefined : pastTime(sinceText, 'since', started);
  // A customer's history goes back months: without --since, only what happens from now on.
  const historySince = since ?? started;
  const client = ctx.client();
  const deadline = timeoutMs === undefined ? undefined : started.getTime() + timeoutMs;

  const stop = new AbortController();
  const unsubscribe = ctx.onInterrupt(() => stop.abort());
  let seen = new Map<string, number>();
  const statuses = new Map<string, NotificationStatus>();
  try {
    for (;;) {
      const pending = ids.filter((id) => !allFinal([id], statuses));
      const views = (await readAll(pending, 8, (id) => unlessUnavailable(() => view(client, id)).catch(whose(id)))).filter((v): v is NotificationView => v !== undefined);
      for (const v of views) statuses.set(v.id, v.status);
      const changes: Change[] = [];
      const byId = detectChanges(seen, views, since);
      seen = byId.seen;
      changes.push(...byId.changes);
      if (customer !== undefined) {
        const page = await unlessUnavailable(() =>
          client.call<{ items: NotificationView[] }>('GET', `/v1/customers/${encodeURIComponent(customer)}/notifications`, { query: { limit: '100' } }),
        );
        // Oldest first, so that what a poll finds prints in the order it happened.
        const history = detectChanges(seen, [...(page?.body.items ?? [])].reverse(), historySince);
        seen = history.seen;
        changes.push(...history.changes);
      }
      changes.sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
      for (const c of changes) ctx.out.line(c, formatChange(c));
      if (ids.length > 0 && allFinal(ids, statuses)) {
        if (!ctx.out.json) ctx.out.note(`${ids.length === 1 ? 'it is' : `all ${ids.length} are`} final`);
        return 0;
      }
      const now = ctx.now().getTime();
      if (deadline !== undefined && now >= deadline) {
        if (ids.length === 0) return 0;
        const waiting = ids.filter((id) => !allFinal([id], statuses)).map((id) => `${id} ${statuses.get(id) ?? 'not read yet'}`);
        throw new CliError('timeout', `timed out after ${(timeoutMs ?? 0) / 1000} s; not final: ${waiting.join(', ')}`);
      }
      await ctx.sleep(deadline === undefined ? intervalMs : Math.min(intervalMs, deadline - now), stop.signal);
      if (stop.signal.aborted) return 130;
    }
  } finally {
    unsubscribe();
  }
}

const LANES = ['bulk', 'critical'] as const;

export function notificationCommands(on: On): Command[] {
  const send = new Command('send')
    .summary('send one notification; prints its id and status URL')
    .description(
      'Sends one notification (POST /v1/notifications) and prints its id and status URL. The request comes from the options, or from a JSON file (--file, - for stdin) with the options on top of it. A recipient field left out is taken from the customer\'s profile when it is sent.',
    )
    .option('-f, --file <path>', 'the request as JSON (the body of POST /v1/notifications); - reads stdin', value)
    .option('-c, --customer <id>', 'the customer it is for', value)
    .option('--channel <channel>', 'email, sms or push; several (comma-separated or repeated) make a fallback list', collect)
    .option('--email <address>', 'the email address (else the profile\'s)', value)
    .option('--phone <E.164>', 'the phone number, such as +14155550100 (else the profile\'s)', value)
    .option('--device-token <token>', 'one device\'s push token (else every device of the profile)', value)
    .option('--subject <text>', 'the subject (email)', value)
    .option('--title <text>', 'the title (push)', value)
    .option('--text <text>', 'the message text (always)', value)
    .option('--html <html>', 'the HTML body (email)', value)
    .option('--data <key=value>', 'push data; may be repeated', collect)
    .addOption(new Option('--priority <lane>', 'the lane (default bulk)').choices(LANES))
    .addOption(new Option('--lane <lane>', 'the same as --priority').choices(LANES))
    .option('--send-at <time>', 'hold it until then: ISO 8601 with offset, or +10m, +2h, +1d', value)
    .option('--expires-at <time>', 'never send it after then (same forms)', value)
    .option('--metadata <key=value>', 'kept with the notification and shown in its status; may be repeated', collect)
    .option('--idempotency-key <key>', 'the same key and request always answer the same id', value)
    .action(on(sendNotification));
  examples(send, [
    'herald send --customer c-1 --channel email --email a@example.com --subject Hi --text Hello',
    'herald send --customer c-1 --channel push,sms,email --subject Hi --title Hi --text Hello --priority critical',
    'herald send --file request.json --idempotency-key order-4711',
  ]);

  const statusCommand = new Command('status').description('a notification\'s status and timeline').argument('<notificationId>', NOTIFICATION_ID).action(on(status));
  examples(statusCommand, ['herald status ntf_01m886ytc1hd3842gt1fg0axj9']);

  const traceCommand = new Command('trace')
    .summary('each attempt with its channel, the provider\'s answer and reason, and the trace\'s page')
    .description(
      'The notification\'s timeline (each attempt, its channel, the provider\'s answer and the reason) and the page of its trace in the trace UI: <trace UI>/trace/<trace id> for each trace id the timeline carries.',
    )
    .argument('<notificationId>', NOTIFICATION_ID)
    .option('--trace-ui <url>', `the trace UI's address (env HERALD_TRACE_UI; default ${DEFAULT_TRACE_UI}, Jaeger)`, value)
    .action(on(trace));
  examples(traceCommand, ['herald trace ntf_01m886ytc1hd3842gt1fg0axj9']);

  const cancelCommand = new Command('cancel').description('cancel a notification that is accepted, scheduled or retrying').argument('<notificationId>', NOTIFICATION_ID).action(on(cancel));
  examples(cancelCommand, ['herald cancel ntf_01m886ytc1hd3842gt1fg0axj9']);

  const tailCommand = new Command('tail')
    .summary('print status changes as they happen, until the notifications are final')
    .description(
      'Follows notifications (by id) and/or a customer\'s history, printing each status change once, until every given notification is final (sent or ended), --timeout, or Ctrl-C (exit 130). A timeout before then exits 1; following only a customer ends at the timeout with 0. With --json, one JSON object a line.',
    )
    .argument('[notificationId...]', 'the notifications to follow')
    .option('-c, --customer <id>', 'also follow this customer\'s notifications (their newest 100)', value)
    .option('--since <time>', 'print changes from then on: ISO 8601, or a duration ago such as 10m (default: all of a given id\'s, the customer\'s from now)', value)
    .option('--interval <duration>', 'how often to look (default 1s)', value)
    .option('--timeout <duration>', 'give up after this long (30s, 5m)', value)
    .action(on(tail));
  examples(tailCommand, ['herald tail ntf_01m886ytc1hd3842gt1fg0axj9', 'herald tail --customer c-1 --json']);

  return [send, statusCommand, traceCommand, cancelCommand, tailCommand];
}
