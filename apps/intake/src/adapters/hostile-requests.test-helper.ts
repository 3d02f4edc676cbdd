import { createHmac } from 'node:crypto';
import { brotliCompressSync, constants, deflateSync, gzipSync } from 'node:zlib';
import * as fc from 'fast-check';
import { newNotificationId, newWebhookId } from '@herald/contracts';
import { KEY_A, KEY_C, NOW, PUBLIC_BASE_URL, TWILIO_AUTH_TOKEN, type SendOptions } from './intake-harness.test-helper.js';

// fast-check arbitraries for what a hostile or broken client sends intake: every public route,
// path ids and query strings, headers, and bodies that are valid for the route, valid with one
// field replaced, random JSON, deeply nested, huge, random bytes, compressed or not as declared.
// Used by hostile-input.test.ts; node:http sends all of it as given (see IntakeHarness.send).

export interface HostileRequest {
  method: string;
  path: string;
  options: SendOptions;
}

const email = { customerId: 'cust-1', channel: 'email', to: { email: 'jane@example.com' }, content: { subject: 'Hi', text: 'Hello' } };
const sms = { customerId: 'c.2', channel: 'sms', to: { phone: '+14155550100' }, content: { text: 'Code 1234' }, priority: 'critical' };
const profile = { email: 'jane@example.com', phone: '+14155550100', locale: 'en-US', timezone: 'Europe/Berlin', devices: [{ token: 'fcm-token:0123456789', platform: 'fcmv1' }] };

/** Path ids: dot segments, escapes that do and do not decode, random Unicode, raw bytes, real ids. */
const pathId: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('.', '..', '...', '%2e', '%2E%2e', '.%2e', '%', '%E9', '%ff', '%e9%80', '%C3%A9', '%00', '%2F', '%252e', 'cust-1', '', 'AAAAAAAAAAAAAAAA', 'ers_0123456789abcdefghjkmnpqrs'),
  fc.constant(null).map(() => newNotificationId(NOW.getTime())),
  fc.constant(null).map(() => newWebhookId(NOW.getTime())),
  fc.string({ unit: 'binary', maxLength: 40 }).map((s) => encodeURIComponent(s.replace(/[\ud800-\udfff]/g, ''))),
  // What node:http sends unescaped (0x21 to 0xff; Node's parser refuses 0x7f and up) except what ends a segment.
  fc.string({ unit: fc.integer({ min: 0x21, max: 0xff }).map((c) => String.fromCharCode(c)), minLength: 1, maxLength: 30 }).map((s) => s.replace(/[/?#]/g, '%')),
  fc.array(fc.oneof(fc.constantFrom('%', '.', '%2e', '%u00e9'), fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEF'), maxLength: 3 })), { maxLength: 8 }).map((p) => p.join('')),
);

/** A header value node:http will send (tab, printable ASCII, Latin-1). */
const headerValue = (maxLength: number): fc.Arbitrary<string> =>
  fc.string({ unit: fc.oneof(fc.integer({ min: 0x20, max: 0x7e }), fc.integer({ min: 0x80, max: 0xff })).map((c) => String.fromCharCode(c)), maxLength });

const query: fc.Arbitrary<string> = fc.oneof(
  fc.constant(''),
  fc.constant(`?herald_id=${newNotificationId(NOW.getTime())}&herald_attempt=1`),
  fc.array(fc.tuple(fc.constantFrom('limit', 'before', 'herald_id', 'herald_attempt', 'x'), fc.oneof(pathId, fc.integer().map(String))), { maxLength: 3 }).map(
    (q) => `?${q.map(([k, v]) => `${k}=${v}`).join('&')}`,
  ),
);

const nested = (depth: number, leaf: string, kind: 'array' | 'object'): string =>
  kind === 'array' ? '['.repeat(depth) + leaf + ']'.repeat(depth) : '{"a":'.repeat(depth) + leaf + '}'.repeat(depth);

/** JSON text nested up to about a thousand deep, as an array or an object. */
const deep: fc.Arbitrary<string> = fc
  .tuple(fc.oneof(fc.integer({ min: 1, max: 1_000 }), fc.constantFrom(999, 1_000, 1_001)), fc.constantFrom<'array' | 'object'>('array', 'object'), fc.constantFrom('1', '"x"', '{}', 'null'))
  .map(([depth, kind, leaf]) => nested(depth, leaf, kind));

/** Any JSON value as text, a deep one, or a huge string. */
const anyJson: fc.Arbitrary<string> = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v) ?? 'null'),
  deep,
  fc.tuple(fc.constantFrom(1_000, 65_000, 70_000, 300_000), fc.constantFrom('x', 'é', '\u0000', '"')).map(([n, c]) => JSON.stringify(c.repeat(n))),
);

/** A valid body with one field (at any depth) replaced by any JSON, or removed. */
function mutated(valid: object): fc.Arbitrary<string> {
  const paths = (value: unknown, prefix: string[] = []): string[][] =>
    value !== null && typeof value === 'object' ? Object.entries(value).flatMap(([k, v]) => [[...prefix, k], ...paths(v, [...prefix, k])]) : [];
  return fc.tuple(fc.constantFrom(...paths(valid)), fc.option(anyJson, { nil: undefined })).map(([path, replacement]) => {
    const marker = '<hostile replacement>';
    const copy = JSON.parse(JSON.stringify(valid)) as Record<string, unknown>;
    let at: Record<string, unknown> = copy;
    for (const key of path.slice(0, -1)) at = at[key] as Record<string, unknown>;
    const last = path.at(-1) as string;
    if (replacement === undefined) delete at[last];
    else at[last] = marker;
    // A function, not a replacement string: the JSON may hold `$&` and the like.
    return JSON.stringify(copy).replace(JSON.stringify(marker), () => replacement ?? '');
  });
}

/** Bodies for a route: valid ones, valid ones with a field changed, anything JSON, or nothing. */
function jsonFor(path: string): fc.Arbitrary<string> {
  const valid: object[] = path.startsWith('/v1/notifications/batch')
    ? [{ notifications: [email, sms] }, { notifications: [{ ...email, idempotencyKey: 'k-1' }] }]
    : path.startsWith('/v1/notifications')
      ? [email, sms]
      : path.startsWith('/v1/customers') && path.endsWith('/preferences')
        ? [{ timezone: 'Europe/Berlin', quietHours: { start: '22:00', end: '07:00' }, optedOut: ['sms'] }]
        : path.startsWith('/v1/customers') && path.endsWith('/devices')
          ? [{ token: 'fcm-token:0123456789', platform: 'fcmv1' }]
          : path.startsWith('/v1/customers')
            ? [profile, { email: null, devices: [{ token: 'apns-0123456789abcdef', platform: 'apns' }] }]
            : path.startsWith('/v1/webhooks')
          ? [{ url: 'https://hooks.example.com/h', statuses: ['delivered'], description: 'd' }]
          : [[{ event: 'delivered', timestamp: 1_700_000_000, herald_id: newNotificationId(NOW.getTime()), herald_attempt: '1', sg_message_id: 'm1' }]];
  return fc.oneof(
    { arbitrary: fc.constantFrom(...valid.map((v) => JSON.stringify(v))), weight: 3 },
    { arbitrary: fc.constantFrom(...valid).chain(mutated), weight: 4 },
    { arbitrary: anyJson, weight: 2 },
    { arbitrary: fc.constantFrom('{"customerId":', '\ufeff{}', '', 'null', '[]'), weight: 1 },
  );
}

const routes: fc.Arbitrary<[string, string]> = fc.oneof(
  fc.constantFrom<[string, string]>(
    ['POST', '/v1/notifications'],
    ['POST', '/v1/notifications/'],
    ['POST', '/v1/notifications/batch'],
    ['GET', '/v1/admission'],
    ['POST', '/v1/webhooks'],
    ['GET', '/v1/webhooks'],
    ['POST', '/v1/providers/sendgrid/events'],
    ['GET', '/healthz'],
  ),
  fc.tuple(pathId, query).chain(([id, q]) =>
    fc.constantFrom<[string, string]>(
      ['GET', `/v1/notifications/${id}`],
      ['POST', `/v1/notifications/${id}/cancel`],
      ['GET', `/v1/customers/${id}/notifications${q}`],
      ['GET', `/v1/customers/${id}/preferences`],
      ['PUT', `/v1/customers/${id}/preferences`],
      ['DELETE', `/v1/customers/${id}/preferences`],
      ['PATCH', `/v1/customers/${id}/preferences`],
      ['GET', `/v1/customers/${id}`],
      ['PUT', `/v1/customers/${id}`],
      ['PATCH', `/v1/customers/${id}`],
      ['DELETE', `/v1/customers/${id}`],
      ['POST', `/v1/customers/${id}/devices`],
      ['DELETE', `/v1/customers/cust-1/devices/${id}`],
      ['GET', `/v1/erasures/${id}`],
      ['GET', `/v1/webhooks/${id}`],
      ['DELETE', `/v1/webhooks/${id}`],
      ['POST', `/v1/providers/twilio/status${q}`],
    ),
  ),
);

type Encoding = { header?: string; pack: 'compress' | 'truncate' | 'as-is' };
const encoding: fc.Arbitrary<Encoding> = fc.oneof(
  { arbitrary: fc.constant<Encoding>({ pack: 'as-is' }), weight: 4 },
  { arbitrary: fc.record({ header: fc.constantFrom('gzip', 'deflate', 'br', 'GZIP'), pack: fc.constantFrom<Encoding['pack']>('compress', 'compress', 'truncate', 'as-is') }), weight: 3 },
  { arbitrary: fc.record({ header: fc.oneof(fc.constantFrom('identity', 'zstd', 'gzip, br', 'x-gzip', 'compress'), headerValue(20)), pack: fc.constant<Encoding['pack']>('as-is') }), weight: 1 },
);

function encode(body: Buffer, { header, pack }: Encoding): Buffer {
  // Brotli at a low quality: its default (11) spends seconds on the large bodies.
  const br = (b: Buffer) => brotliCompressSync(b, { params: { [constants.BROTLI_PARAM_QUALITY]: 4 } });
  const compress = { gzip: gzipSync, deflate: deflateSync, br }[header?.toLowerCase() ?? ''];
  if (!compress || pack === 'as-is') return body;
  const packed = compress(body);
  return pack === 'truncate' ? packed.subarray(0, packed.length >> 1) : packed;
}

/** The provider callbacks verify a signature first: sign some bodies, so the rest of the route runs too. */
function signed(path: string, raw: Buffer, signSendGrid: (body: Buffer, timestamp: string) => string): Record<string, string> {
  if (path.startsWith('/v1/providers/sendgrid')) {
    return { 'X-Twilio-Email-Event-Webhook-Timestamp': '1700000000', 'X-Twilio-Email-Event-Webhook-Signature': signSendGrid(raw, '1700000000') };
  }
  if (path.startsWith('/v1/providers/twilio')) {
    const params = new URLSearchParams(raw.toString('utf8'));
    const data = [...params.keys()].sort().reduce((acc, name) => acc + name + (params.get(name) ?? ''), PUBLIC_BASE_URL + path);
    return { 'X-Twilio-Signature': createHmac('sha1', TWILIO_AUTH_TOKEN).update(data, 'utf8').digest('base64') };
  }
  return {};
}

/** Any request to any public route, as node:http will send it. */
export function hostileRequests(signSendGrid: (body: Buffer, timestamp: string) => string): fc.Arbitrary<HostileRequest> {
  return routes.chain(([method, path]) => {
    const form = fc.dictionary(fc.oneof(fc.constantFrom('MessageStatus', 'MessageSid', 'ErrorCode', 'To'), fc.string({ maxLength: 8 })), fc.string({ maxLength: 20 })).map((f) => new URLSearchParams(f).toString());
    const text = path.startsWith('/v1/providers/twilio') ? fc.oneof(form, jsonFor(path)) : jsonFor(path);
    const body = fc.oneof(
      { arbitrary: text.map((t) => Buffer.from(t)), weight: 8 },
      { arbitrary: fc.uint8Array({ maxLength: 2_000 }).map((b) => Buffer.from(b)), weight: 1 },
      { arbitrary: fc.constant(undefined), weight: 1 },
    );
    return fc
      .record({
        authorization: fc.oneof(
          { arbitrary: fc.constantFrom<string | undefined>(`Bearer ${KEY_A}`, `Bearer ${KEY_C}`, `bearer  ${KEY_A} `, undefined, 'Bearer not-a-key-0123456789'), weight: 5 },
          { arbitrary: fc.constant(`Bearer ${KEY_A}`), weight: 5 },
          { arbitrary: headerValue(80), weight: 1 },
        ),
        contentType: fc.oneof(
          { arbitrary: fc.constant(undefined), weight: 2 },
          { arbitrary: fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/plain', 'application/json; charset=latin1', 'application/json; charset=utf-16le', 'application/x-www-form-urlencoded'), weight: 2 },
          { arbitrary: headerValue(40), weight: 1 },
        ),
        encoding,
        idempotencyKey: fc.oneof({ arbitrary: fc.constant(undefined), weight: 3 }, { arbitrary: headerValue(300), weight: 1 }),
        body,
        sign: fc.boolean(),
        chunked: fc.boolean(),
      })
      .map((r): HostileRequest => {
        const headers: Record<string, string> = {};
        if (r.authorization !== undefined) headers.authorization = r.authorization;
        if (r.contentType !== undefined) headers['content-type'] = r.contentType;
        if (r.encoding.header !== undefined) headers['content-encoding'] = r.encoding.header;
        if (r.idempotencyKey !== undefined) headers['idempotency-key'] = r.idempotencyKey;
        if (r.body === undefined) return { method, path, options: { headers } };
        if (r.sign) Object.assign(headers, signed(path, r.body, signSendGrid));
        // Chunked only where node:http frames it (it would send a GET's body unframed).
        return { method, path, options: { headers, body: encode(r.body, r.encoding), chunked: r.chunked && (method === 'POST' || method === 'PUT' || method === 'PATCH') } };
      });
  });
}
