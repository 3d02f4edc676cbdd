// What each command's arguments ask of intake: the request bodies and queries, checked against
// the same schemas intake uses, so a wrong argument is refused here (exit 2) with the option
// that holds it, before anything is sent. Intake still decides what it accepts.
import {
  ChannelSchema,
  CustomerIdSchema,
  DeviceSchema,
  NotificationIdSchema,
  NotificationRequestSchema,
  PreferencesSchema,
  ProfilePatchSchema,
  ProfileSchema,
  type Channel,
  type Preferences,
} from '@herald/contracts';

/** The options a command was given, by long name (`send-at`): a value, a repeated option's values, or a flag. */
export type OptionValues = Record<string, string | string[] | true>;

/** What a check failed on, in the command's terms; the cli adds the usage line. */
export class ArgumentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ArgumentError';
  }
}

interface Issue {
  path: PropertyKey[];
  message: string;
}

const str = (values: OptionValues, name: string): string | undefined => {
  const v = values[name];
  return typeof v === 'string' ? v : Array.isArray(v) ? v.at(-1) : undefined;
};
const list = (values: OptionValues, name: string): string[] => {
  const v = values[name];
  return Array.isArray(v) ? v : typeof v === 'string' ? [v] : [];
};
const flag = (values: OptionValues, name: string): boolean => values[name] === true;
/** Each value split at commas: `--channel push,sms --channel email`. */
const items = (values: OptionValues, name: string): string[] =>
  list(values, name)
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter((v) => v !== '');

/** The issues of a schema check, each under the option (or request field) it came from. */
function issuesMessage(issues: readonly Issue[], optionFor: (path: string) => string): string {
  return issues
    .slice(0, 5)
    .map((i) => `${optionFor(i.path.map(String).join('.'))}: ${i.message}`)
    .join('; ');
}

// --- ids ---------------------------------------------------------------------------------

export function notificationId(text: string): string {
  if (NotificationIdSchema.safeParse(text).success) return text;
  throw new ArgumentError(`expected a notification id such as ntf_01m886ytc1hd3842gt1fg0axj9 (ntf_ and 26 lowercase letters and digits), not "${text}"`);
}

export function customerId(text: string): string {
  const parsed = CustomerIdSchema.safeParse(text);
  if (parsed.success) return parsed.data;
  throw new ArgumentError(`expected a customer id (letters, digits and . _ : @ -, up to 128), not "${text}": ${parsed.error.issues[0]?.message ?? 'invalid'}`);
}

export function erasureId(text: string): string {
  if (/^ers_[0-9a-z]{26}$/.test(text)) return text;
  throw new ArgumentError(`expected an erasure id (ers_ and 26 lowercase letters and digits), not "${text}"`);
}

/**
 * A key's id as `herald keys list` shows it: `key_` and 16 hex digits (made through the API) or
 * 16 hex digits (configured in the secret store). Never a key itself: that would put it in a URL,
 * and so in access logs. The refusal does not repeat it.
 */
export function apiKeyId(text: string): string {
  if (/^(key_)?[0-9a-f]{16}$/.test(text)) return text;
  throw new ArgumentError(`expected a key id as \`herald keys list\` shows it (key_ and 16 hex digits)${text.startsWith('hk_') ? ', not a key' : ''}`);
}

// --- times -------------------------------------------------------------------------------

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `1.5` (seconds), `500ms`, `30s`, `10m`, `2h`, `1d`, in milliseconds. */
export function parseDuration(text: string, option: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(text.trim());
  if (!m) throw new ArgumentError(`--${option} must be a duration such as 30, 30s, 10m or 2h (not "${text}")`);
  return Number(m[1]) * (UNIT_MS[m[2] ?? 's'] as number);
}

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * A time to send or expire: an ISO 8601 date-time with its offset (kept as written), or `+10m`
 * (`+90s`, `+2h`, `+1d`) from `now`.
 */
export function futureTime(text: string, option: string, now: Date): string {
  if (text.startsWith('+')) return new Date(now.getTime() + parseDuration(text.slice(1), option)).toISOString();
  if (ISO.test(text) && !Number.isNaN(Date.parse(text))) return text;
  throw new ArgumentError(`--${option} must be an ISO 8601 date-time with its offset (2026-11-25T18:00:00Z) or +10m, +2h, +1d from now (not "${text}")`);
}

/** A time in the past: an ISO 8601 date-time, or a duration ago (`10m`). */
export function pastTime(text: string, option: string, now: Date): Date {
  if (ISO.test(text) && !Number.isNaN(Date.parse(text))) return new Date(text);
  try {
    return new Date(now.getTime() - parseDuration(text, option));
  } catch {
    throw new ArgumentError(`--${option} must be an ISO 8601 date-time or a duration ago such as 10m (not "${text}")`);
  }
}

// --- send --------------------------------------------------------------------------------

/** key=value options (`--data`, `--metadata`) as a map. */
export function pairs(values: readonly string[], option: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values) {
    const eq = v.indexOf('=');
    if (eq <= 0) throw new ArgumentError(`--${option} takes key=value (not "${v}")`);
    out[v.slice(0, eq)] = v.slice(eq + 1);
  }
  return out;
}

/** Where each request field comes from on the command line. */
const SEND_OPTION: Record<string, string> = {
  customerId: '--customer',
  channel: '--channel',
  channels: '--channel',
  'to.email': '--email',
  'to.phone': '--phone',
  'to.deviceToken': '--device-token',
  to: '--email/--phone/--device-token',
  content: '--text',
  'content.subject': '--subject',
  'content.title': '--title',
  'content.text': '--text',
  'content.html': '--html',
  'content.data': '--data',
  priority: '--priority',
  sendAt: '--send-at',
  expiresAt: '--expires-at',
  metadata: '--metadata',
};

function sendOptionFor(path: string): string {
  const exact = SEND_OPTION[path];
  if (exact) return exact;
  const prefix = Object.keys(SEND_OPTION)
    .filter((k) => path.startsWith(`${k}.`))
    .sort((a, b) => b.length - a.length)[0];
  return prefix ? `${SEND_OPTION[prefix]} (${path})` : path === '' ? 'the request' : path;
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

export interface SendRequest {
  body: Record<string, unknown>;
  idempotencyKey?: string;
}

/**
 * `herald send`: the request from the options, on top of a request file's when one was given
 * (an option replaces the file's field; `--channel` replaces both `channel` and `channels`).
 * The body is sent as built, not as the schema's defaults fill it: the same command sends the
 * same body, which an Idempotency-Key compares.
 */
export function sendRequest(options: OptionValues, file: unknown, now: Date): SendRequest {
  if (file !== undefined && !isObject(file)) throw new ArgumentError('the request file must hold one JSON object (a notification request)');
  const body: Record<string, unknown> = { ...(file ?? {}) };
  const customer = str(options, 'customer');
  if (customer !== undefined) body.customerId = customer;
  const channels = items(options, 'channel');
  if (channels.length > 0) {
    for (const c of channels) {
      if (!ChannelSchema.safeParse(c).success) throw new ArgumentError(`--channel must be email, sms or push (not "${c}")`);
    }
    delete body.channel;
    delete body.channels;
    if (channels.length === 1) body.channel = channels[0];
    else body.channels = channels;
  }
  const to: Record<string, unknown> = isObject(body.to) ? { ...body.to } : {};
  for (const [option, field] of [['email', 'email'], ['phone', 'phone'], ['device-token', 'deviceToken']] as const) {
    const v = str(options, option);
    if (v !== undefined) to[field] = v;
  }
  if (Object.keys(to).length > 0 || body.to !== undefined) body.to = to;
  const content: Record<string, unknown> = isObject(body.content) ? { ...body.content } : {};
  for (const field of ['subject', 'title', 'text', 'html'] as const) {
    const v = str(options, field);
    if (v !== undefined) content[field] = v;
  }
  const data = list(options, 'data');
  if (data.length > 0) content.data = { ...(isObject(content.data) ? content.data : {}), ...pairs(data, 'data') };
  if (Object.keys(content).length > 0 || body.content !== undefined) body.content = content;
  const priority = str(options, 'priority');
  if (priority !== undefined) body.priority = priority;
  const sendAt = str(options, 'send-at');
  if (sendAt !== undefined) body.sendAt = futureTime(sendAt, 'send-at', now);
  const expiresAt = str(options, 'expires-at');
  if (expiresAt !== undefined) body.expiresAt = futureTime(expiresAt, 'expires-at', now);
  const metadata = list(options, 'metadata');
  if (metadata.length > 0) body.metadata = { ...(isObject(body.metadata) ? body.metadata : {}), ...pairs(metadata, 'metadata') };

  if (body.customerId === undefined) throw new ArgumentError('missing --customer <id> (or a request with --file)');
  if (body.channel === undefined && body.channels === undefined) throw new ArgumentError('missing --channel <email|sms|push> (several, comma-separated, make a fallback list)');
  if (!isObject(body.content) || body.content.text === undefined) throw new ArgumentError('missing --text <text>');
  const parsed = NotificationRequestSchema.safeParse(body);
  if (!parsed.success) throw new ArgumentError(issuesMessage(parsed.error.issues, sendOptionFor));

  const idempotencyKey = str(options, 'idempotency-key');
  if (idempotencyKey !== undefined && (idempotencyKey.length < 1 || idempotencyKey.length > 255)) {
    throw new ArgumentError('--idempotency-key must be 1 to 255 characters');
  }
  return { body, ...(idempotencyKey !== undefined ? { idempotencyKey } : {}) };
}

// --- customers ---------------------------------------------------------------------------

const PROFILE_FIELDS = ['email', 'phone', 'locale', 'timezone', 'devices'] as const;
type ProfileField = (typeof PROFILE_FIELDS)[number];

const profileOptionFor = (path: string): string => {
  const field = path.split('.')[0] ?? '';
  return field === 'devices' ? `--device (${path})` : PROFILE_FIELDS.includes(field as ProfileField) ? `--${field}` : path || 'the profile';
};

/** `--device apns:<token>`: the platform, then the token (which may hold colons itself). */
export function device(text: string): { platform: string; token: string } {
  const colon = text.indexOf(':');
  const parsed = DeviceSchema.safeParse(colon > 0 ? { platform: text.slice(0, colon), token: text.slice(colon + 1) } : {});
  if (!parsed.success) {
    throw new ArgumentError(`--device takes <platform>:<token> with platform apns or fcmv1 and a device token: ${colon > 0 ? (parsed.error.issues[0]?.message ?? 'invalid') : 'no platform'}`);
  }
  return parsed.data;
}

export interface ProfileChange {
  /** PATCH changes the fields given (null removes one); PUT replaces the profile. */
  method: 'PATCH' | 'PUT';
  body: Record<string, unknown>;
}

/**
 * `herald customers set`: the fields given (`--unset` removes one) as a PATCH, or with
 * `--replace` (or a `--file`) the whole profile as a PUT.
 */
export function profileChange(options: OptionValues, file: unknown): ProfileChange {
  const given: Record<string, unknown> = {};
  for (const field of ['email', 'phone', 'locale', 'timezone'] as const) {
    const v = str(options, field);
    if (v !== undefined) given[field] = v;
  }
  const devices = list(options, 'device');
  if (devices.length > 0) given.devices = devices.map(device);
  const unset = items(options, 'unset');
  if (file !== undefined) {
    if (Object.keys(given).length > 0 || unset.length > 0) throw new ArgumentError('give the profile either with --file or with options, not both');
    if (!isObject(file)) throw new ArgumentError('the profile file must hold one JSON object');
    const parsed = ProfileSchema.safeParse(file);
    if (!parsed.success) throw new ArgumentError(issuesMessage(parsed.error.issues, (p) => `the file's ${p || 'profile'}`));
    return { method: 'PUT', body: file };
  }
  for (const field of unset) {
    if (!PROFILE_FIELDS.includes(field as ProfileField)) throw new ArgumentError(`--unset takes ${PROFILE_FIELDS.join(', ')} (not "${field}")`);
    if (field in given) throw new ArgumentError(`--${field === 'devices' ? 'device' : field} and --unset ${field} contradict each other`);
  }
  if (flag(options, 'replace')) {
    if (unset.length > 0) throw new ArgumentError('--replace leaves out what is not given: --unset is not needed');
    const parsed = ProfileSchema.safeParse(given);
    if (!parsed.success) throw new ArgumentError(issuesMessage(parsed.error.issues, profileOptionFor));
    return { method: 'PUT', body: given };
  }
  const body: Record<string, unknown> = { ...given, ...Object.fromEntries(unset.map((f) => [f, null])) };
  if (Object.keys(body).length === 0) throw new ArgumentError('nothing to set: give --email, --phone, --locale, --timezone, --device or --unset (or --file)');
  const parsed = ProfilePatchSchema.safeParse(body);
  if (!parsed.success) throw new ArgumentError(issuesMessage(parsed.error.issues, profileOptionFor));
  if (devices.length > 0) {
    const whole = ProfileSchema.safeParse({ devices: given.devices });
    if (!whole.success) throw new ArgumentError(issuesMessage(whole.error.issues, profileOptionFor));
  }
  return { method: 'PATCH', body };
}

/** A PATCH for a customer without a profile, as the PUT that makes one: what it sets, nothing it removes. */
export function profileFromPatch(patch: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== null));
}

/** `22:00-07:00` as quiet hours. */
export function quietHours(text: string): { start: string; end: string } {
  const m = /^(\d{2}:\d{2})-(\d{2}:\d{2})$/.exec(text.trim());
  if (!m) throw new ArgumentError(`--quiet-hours takes HH:MM-HH:MM in the customer's time zone, such as 22:00-07:00 (not "${text}")`);
  return { start: m[1] as string, end: m[2] as string };
}

const prefsOptionFor = (path: string): string =>
  path.startsWith('quietHours') ? '--quiet-hours' : path.startsWith('optedOut') ? '--opt-out' : path === 'timezone' ? '--timezone' : path || 'the preferences';

export interface PreferenceEdits {
  replace: boolean;
  timezone?: string;
  quietHours?: { start: string; end: string } | null;
  optOut: Channel[];
  optIn: Channel[];
}

/**
 * `herald customers preferences set`: what the options change. Read before anything is asked of
 * intake, so that a command line that cannot work is refused at once.
 */
export function preferenceEdits(options: OptionValues): PreferenceEdits {
  const replace = flag(options, 'replace');
  const timezone = str(options, 'timezone');
  const window = str(options, 'quiet-hours');
  const optOut = items(options, 'opt-out');
  const optIn = items(options, 'opt-in');
  const noQuiet = flag(options, 'no-quiet-hours');
  if (!replace && timezone === undefined && window === undefined && !noQuiet && optOut.length === 0 && optIn.length === 0) {
    throw new ArgumentError('nothing to set: give --timezone, --quiet-hours, --no-quiet-hours, --opt-out or --opt-in (or --replace)');
  }
  if (window !== undefined && noQuiet) throw new ArgumentError('--quiet-hours and --no-quiet-hours contradict each other');
  for (const c of [...optOut, ...optIn]) {
    if (!ChannelSchema.safeParse(c).success) throw new ArgumentError(`--opt-out and --opt-in take email, sms or push (not "${c}")`);
  }
  const both = optOut.find((c) => optIn.includes(c));
  if (both) throw new ArgumentError(`--opt-out ${both} and --opt-in ${both} contradict each other`);
  return {
    replace,
    ...(timezone !== undefined ? { timezone } : {}),
    ...(window !== undefined ? { quietHours: quietHours(window) } : noQuiet ? { quietHours: null } : {}),
    optOut: optOut as Channel[],
    optIn: optIn as Channel[],
  };
}

/**
 * The customer's preferences after `edits`: from `current` (what intake has now), or from
 * nothing with `--replace`; `--opt-out`/`--opt-in` add and remove channels.
 */
export function applyPreferences(current: Preferences, edits: PreferenceEdits): Preferences {
  const next: Preferences = edits.replace ? {} : { ...current };
  if (edits.timezone !== undefined) next.timezone = edits.timezone;
  if (edits.quietHours === null) delete next.quietHours;
  else if (edits.quietHours !== undefined) next.quietHours = edits.quietHours;
  if (edits.optOut.length > 0 || edits.optIn.length > 0) {
    const channels = new Set<Channel>(next.optedOut ?? []);
    for (const c of edits.optOut) channels.add(c);
    for (const c of edits.optIn) channels.delete(c);
    // In the channels' own order, so the same choices always read the same.
    const ordered = ChannelSchema.options.filter((c) => channels.has(c));
    if (ordered.length > 0) next.optedOut = ordered;
    else delete next.optedOut;
  }
  const parsed = PreferencesSchema.safeParse(next);
  if (!parsed.success) throw new ArgumentError(issuesMessage(parsed.error.issues, prefsOptionFor));
  return next;
}

/** `herald customers history`: the query of one page. */
export function historyQuery(options: OptionValues): Record<string, string> {
  const query: Record<string, string> = {};
  const limit = str(options, 'limit');
  if (limit !== undefined) {
    const n = Number(limit);
    if (!Number.isInteger(n) || n < 1 || n > 100) throw new ArgumentError(`--limit must be a whole number from 1 to 100 (not "${limit}")`);
    query.limit = String(n);
  }
  const before = str(options, 'before');
  if (before !== undefined) query.before = before;
  return query;
}

// --- keys --------------------------------------------------------------------------------

export const SCOPES = ['send', 'read', 'admin'] as const;

/** `herald keys create`: `{scopes, name?}`. */
export function keyRequest(options: OptionValues): { scopes: string[]; name?: string } {
  const scopes = items(options, 'scopes');
  if (scopes.length === 0) throw new ArgumentError(`missing --scopes <list>: one or more of ${SCOPES.join(', ')}, comma-separated`);
  for (const s of scopes) {
    if (!(SCOPES as readonly string[]).includes(s)) throw new ArgumentError(`--scopes takes ${SCOPES.join(', ')} (not "${s}")`);
  }
  const name = str(options, 'name');
  if (name !== undefined && (name.trim().length < 1 || name.trim().length > 100)) throw new ArgumentError('--name must be 1 to 100 characters');
  return { scopes: [...new Set(scopes)], ...(name !== undefined ? { name } : {}) };
}
