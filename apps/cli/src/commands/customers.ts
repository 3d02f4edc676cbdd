import type { Erasure, NotificationView, Preferences, ProfileView } from '@herald/contracts';
import { Command, Option } from 'commander';
import { formatErasure, formatHistory, formatPreferences, formatProfile, formatProfileSummary, profileSummary } from '../domain/format.js';
import { customerId, device, erasureId, historyQuery, preferenceEdits, applyPreferences, profileChange, profileFromPatch } from '../domain/requests.js';
import { CliError, HttpError } from '../adapters/intake-client.js';
import { usageError, type Ctx } from '../context.js';
import { collect, examples, group, value, type On } from '../program.js';

const customerPath = (ctx: Ctx): string => `/v1/customers/${encodeURIComponent(customerId(ctx.args[0] ?? ''))}`;

async function show(ctx: Ctx): Promise<void> {
  const profile = (await ctx.client().call<ProfileView>('GET', customerPath(ctx))).body;
  ctx.out.result(profile, formatProfile(profile));
}

/**
 * Changes the fields given (PATCH); a customer without a profile gets one with them (PUT).
 * Prints which fields the profile holds, not their values: `customers show` shows those.
 */
async function set(ctx: Ctx): Promise<void> {
  const path = ctx.str('file');
  const file = path === undefined ? undefined : await ctx.readJson(path, 'the profile');
  const change = profileChange(ctx.options, file);
  const client = ctx.client();
  let verb = change.method === 'PUT' ? 'replaced' : 'updated';
  let profile: ProfileView;
  try {
    profile = (await client.call<ProfileView>(change.method, customerPath(ctx), { body: change.body })).body;
  } catch (err) {
    const create = profileFromPatch(change.body);
    if (!(err instanceof HttpError && err.error.code === 'customer_not_found') || Object.keys(create).length === 0) throw err;
    profile = (await client.call<ProfileView>('PUT', customerPath(ctx), { body: create })).body;
    verb = 'created';
  }
  ctx.out.result({ ...profileSummary(profile), change: verb }, formatProfileSummary(profile, verb));
}

async function addDevice(ctx: Ctx): Promise<void> {
  const platform = ctx.str('platform');
  const token = ctx.str('token');
  if (platform === undefined || token === undefined) throw usageError(ctx, 'give --platform <apns|fcmv1> and --token <token>');
  const res = await ctx.client().call<ProfileView>('POST', `${customerPath(ctx)}/devices`, { body: device(`${platform}:${token}`) });
  const added = res.status === 201;
  const summary = profileSummary(res.body);
  ctx.out.result({ ...summary, added }, `${added ? 'added the device' : 'the device was there already'}; ${formatProfileSummary(res.body, 'now').trimStart()}`);
}

async function removeDevice(ctx: Ctx): Promise<void> {
  const deviceId = ctx.args[1] ?? '';
  if (!/^[A-Za-z0-9_-]{16}$/.test(deviceId)) throw usageError(ctx, `expected a device id as \`herald customers show\` lists it (16 letters, digits, _ and -), not "${deviceId}"`);
  await ctx.client().call('DELETE', `${customerPath(ctx)}/devices/${deviceId}`);
  ctx.out.result({ customerId: ctx.args[0], deviceId, removed: true }, `removed device ${deviceId}\n`);
}

async function preferencesShow(ctx: Ctx): Promise<void> {
  const prefs = (await ctx.client().call<Preferences>('GET', `${customerPath(ctx)}/preferences`)).body;
  ctx.out.result(prefs, formatPreferences(ctx.args[0] ?? '', prefs));
}

/** The preferences intake has, changed by the options (or only the options, with --replace). */
async function preferencesSet(ctx: Ctx): Promise<void> {
  const path = `${customerPath(ctx)}/preferences`;
  const edits = preferenceEdits(ctx.options);
  const client = ctx.client();
  const current = edits.replace ? {} : (await client.call<Preferences>('GET', path)).body;
  const next = applyPreferences(current, edits);
  const saved = (await client.call<Preferences>('PUT', path, { body: next })).body;
  ctx.out.result(saved, formatPreferences(ctx.args[0] ?? '', saved));
}

async function preferencesClear(ctx: Ctx): Promise<void> {
  await ctx.client().call('DELETE', `${customerPath(ctx)}/preferences`);
  ctx.out.result({ customerId: ctx.args[0], cleared: true }, `cleared the preferences of ${ctx.args[0] ?? ''}\n`);
}

async function history(ctx: Ctx): Promise<void> {
  const page = (await ctx.client().call<{ items: NotificationView[]; next?: string }>('GET', `${customerPath(ctx)}/notifications`, { query: historyQuery(ctx.options) })).body;
  ctx.out.result(page, formatHistory(page.items, page.next));
}

const ERASURE_WAIT_MS = 120_000;

async function erase(ctx: Ctx): Promise<number | void> {
  const path = customerPath(ctx);
  if (!ctx.flag('yes')) {
    throw usageError(ctx, `erasing ${ctx.args[0] ?? ''} destroys their key and data for good: add --yes to go ahead`);
  }
  const client = ctx.client();
  let erasure = (await client.call<Erasure>('DELETE', path)).body;
  if (ctx.flag('wait')) {
    // The erasure reports completed once no app can still hold the customer's key (seconds).
    const deadline = ctx.now().getTime() + ERASURE_WAIT_MS;
    const never = new AbortController().signal;
    while (erasure.status !== 'completed') {
      if (ctx.now().getTime() >= deadline) throw new CliError('timeout', `erasure ${erasure.id} still ${erasure.status} after ${ERASURE_WAIT_MS / 1000} s: herald customers erasure ${erasure.id}`);
      await ctx.sleep(1_000, never);
      erasure = (await client.call<Erasure>('GET', `/v1/erasures/${erasure.id}`)).body;
    }
  }
  ctx.out.result(erasure, formatErasure(erasure));
}

async function erasure(ctx: Ctx): Promise<void> {
  const e = (await ctx.client().call<Erasure>('GET', `/v1/erasures/${erasureId(ctx.args[0] ?? '')}`)).body;
  ctx.out.result(e, formatErasure(e));
}

const CUSTOMER_ID = 'the customer\'s id';

export function customersCommand(on: On): Command {
  const customers = group('customers', 'a customer\'s profile, preferences, history and erasure').alias('customer');

  customers.addCommand(examples(new Command('show').description('the customer\'s profile: contact points and devices').argument('<customerId>', CUSTOMER_ID).action(on(show)), ['herald customers show c-1']));

  customers.addCommand(
    examples(
      new Command('set')
        .summary('change the customer\'s profile (made if there is none)')
        .description(
          'Changes the fields given and keeps the others (--unset removes one); with --replace (or --file) the profile becomes exactly what is given. A customer without a profile gets one. Prints which fields the profile holds, not their values.',
        )
        .argument('<customerId>', CUSTOMER_ID)
        .option('--email <address>', 'email address', value)
        .option('--phone <E.164>', 'phone number, such as +14155550100', value)
        .option('--locale <tag>', 'a BCP 47 language tag, such as en-US', value)
        .option('--timezone <IANA>', 'such as Europe/Berlin', value)
        .option('--device <platform:token>', 'the devices (apns or fcmv1), replacing the list; may be repeated', collect)
        .option('--unset <field>', 'remove email, phone, locale, timezone or devices; may be repeated', collect)
        .option('--replace', 'the profile becomes exactly what is given')
        .option('-f, --file <path>', 'the whole profile as JSON (the body of PUT /v1/customers/<id>); - reads stdin', value)
        .action(on(set)),
      ['herald customers set c-1 --email a@example.com --phone +14155550100 --timezone Europe/Berlin', 'herald customers set c-1 --unset phone'],
    ),
  );

  customers.addCommand(
    examples(
      new Command('add-device')
        .description('add a push device to the customer\'s profile')
        .argument('<customerId>', CUSTOMER_ID)
        .addOption(new Option('--platform <platform>', 'the device\'s push format').choices(['apns', 'fcmv1']))
        .option('--token <token>', 'the device token', value)
        .action(on(addDevice)),
      ['herald customers add-device c-1 --platform fcmv1 --token <token>'],
    ),
  );

  customers.addCommand(
    new Command('remove-device')
      .description('remove a device by the id `customers show` lists')
      .argument('<customerId>', CUSTOMER_ID)
      .argument('<deviceId>', 'the device\'s id as `herald customers show` lists it')
      .action(on(removeDevice)),
  );

  const preferences = group('preferences', 'quiet hours, time zone and opted-out channels').alias('prefs');
  preferences.addCommand(examples(new Command('show').description('the customer\'s preferences').argument('<customerId>', CUSTOMER_ID).action(on(preferencesShow)), ['herald customers preferences show c-1']));
  preferences.addCommand(
    examples(
      new Command('set')
        .summary('change the customer\'s preferences')
        .description('Changes the preferences intake has by the options given (--opt-out and --opt-in add and remove channels); with --replace they become only what is given.')
        .argument('<customerId>', CUSTOMER_ID)
        .option('--timezone <IANA>', 'the customer\'s time zone, such as Europe/Berlin (quiet hours need one)', value)
        .option('--quiet-hours <HH:MM-HH:MM>', 'bulk waits until the window ends, such as 22:00-07:00', value)
        .option('--no-quiet-hours', 'remove the quiet hours')
        .option('--opt-out <channel>', 'no bulk notifications on this channel; may be repeated', collect)
        .option('--opt-in <channel>', 'take an opted-out channel back; may be repeated', collect)
        .option('--replace', 'start from no preferences')
        .action(on(preferencesSet)),
      ['herald customers preferences set c-1 --timezone Europe/Berlin --quiet-hours 22:00-07:00 --opt-out sms'],
    ),
  );
  preferences.addCommand(new Command('clear').description('remove the customer\'s preferences').argument('<customerId>', CUSTOMER_ID).action(on(preferencesClear)));
  customers.addCommand(preferences);

  customers.addCommand(
    examples(
      new Command('history')
        .description('the customer\'s notifications, newest first')
        .argument('<customerId>', CUSTOMER_ID)
        .option('--limit <n>', 'how many (1 to 100, default 20)', value)
        .option('--before <cursor>', 'the page before this: an ISO time or the `next` of the previous page', value)
        .action(on(history)),
      ['herald customers history c-1 --limit 50'],
    ),
  );

  customers.addCommand(
    examples(
      new Command('erase')
        .summary('erase the customer: destroys their key, profile and preferences (needs --yes)')
        .description(
          'Erases the customer (DELETE /v1/customers/<id>): their key is destroyed at once, so everything of theirs becomes unreadable; their profile and preferences are deleted; pending notifications end canceled. It cannot be undone, so it needs --yes. Needs a key with the admin scope.',
        )
        .argument('<customerId>', CUSTOMER_ID)
        .option('-y, --yes', 'yes, erase them')
        .option('--wait', 'wait until the erasure has completed (seconds)')
        .action(on(erase)),
      ['herald customers erase c-1 --yes --wait'],
    ),
  );

  customers.addCommand(new Command('erasure').description('an erasure\'s progress and audit record').argument('<erasureId>', 'ers_ and 26 letters and digits, as erase prints it').action(on(erasure)));
  return customers;
}
