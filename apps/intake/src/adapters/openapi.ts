import { OpenAPIRegistry, OpenApiGeneratorV31, type ResponseConfig, type RouteConfig } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import {
  ChannelSchema,
  CustomerIdSchema,
  E164Schema,
  EmailSchema,
  ErasureSchema,
  NotificationIdSchema,
  NotificationRequestSchema,
  NotificationStatusSchema,
  NotificationViewSchema,
  PlatformSchema,
  PreferencesSchema,
  ProfilePatchSchema,
  ProfileSchema,
  DeviceSchema,
  StatusEventSchema,
  TWILIO_STATUS_PATH,
  WebhookEndpointSchema,
  WebhookRegistrationSchema,
  type ProfileView,
} from '@herald/contracts';
import { WEBHOOK_SIGNATURE_HEADER } from '@herald/webhooks';
import type { ApiError } from '../domain/api-error.js';
import { ApiKeyRequestSchema, MAX_ACTIVE_KEYS, ScopeSchema, scopeFor, type ApiKeyView } from '../domain/api-keys.js';
import type { AdmissionView } from './admission-control.js';
import { BODY_LIMIT_BYTES as CALLBACK_BODY_LIMIT_BYTES, SENDGRID_EVENTS_PATH } from './provider-callbacks.js';
import { SENDGRID_SIGNATURE_HEADER, SENDGRID_TIMESTAMP_HEADER, TWILIO_SIGNATURE_HEADER } from './provider-signatures.js';
import { BatchSchema, IdempotencyKeySchema, MAX_BATCH, STATUS_ORDER as BATCH_REFUSAL_STATUSES } from './routes/batch.js';
import { HISTORY_DEFAULT_LIMIT, HISTORY_MAX_LIMIT } from './routes/customers.js';
import { DEVICE_ID } from './routes/profiles.js';

// Intake's OpenAPI 3.1 document, made from the zod schemas the routes validate requests with
// (the contracts', and intake's own), so what it says a request may carry is what intake takes.
// What zod cannot say in JSON Schema (a refinement: `channel` or `channels`, a subject for email)
// is added beside the schema, and the answers, which no schema checks, are described here with
// compile-time checks against the types the routes answer with. Made once when intake starts.

export const OPENAPI_PATH = '/v1/openapi.json';
export const HEALTH_PATH = '/healthz';
/** Served by @herald/service's metricsRoute, when intake is given one. */
export const METRICS_PATH = '/metrics';

export interface OpenApiOptions {
  /** The body limits intake was started with. */
  bodyLimitBytes: number;
  batchBodyLimitBytes: number;
  profileBodyLimitBytes: number;
  /** Whether this intake serves `GET /metrics`. */
  metrics: boolean;
}

export type OpenApiDocument = ReturnType<OpenApiGeneratorV31['generateDocument']>;
type Components = NonNullable<OpenApiDocument['components']>;
type SchemaObject = NonNullable<Components['schemas']>[string];
type ResponseObject = Extract<NonNullable<Components['responses']>[string], { description: string }>;

// ---- Errors ----------------------------------------------------------------------------------

type ErrorHeader = 'Retry-After' | 'WWW-Authenticate';

/** Every code intake answers an error with: its status, when, and the headers that always come with it. */
const ERRORS = {
  invalid_json: { status: 400, when: 'the body is not JSON (`field`: `(body)`)' },
  invalid_body_encoding: { status: 400, when: 'the body does not decompress as its `Content-Encoding` (`gzip`, `deflate`, `br`) says' },
  validation_failed: { status: 400, when: 'a field is missing or invalid: `field` names the first, `details` lists all' },
  unknown_channel: { status: 400, when: '`channel`, or an entry of `channels`, is not `email`, `sms` or `push`' },
  invalid_idempotency_key: { status: 400, when: 'the `Idempotency-Key` is not 1 to 255 characters' },
  invalid_customer_id: { status: 400, when: 'the customer id in the path is not one (`field`: `customerId`)' },
  invalid_erasure_id: { status: 400, when: 'the erasure id in the path is not one (`field`: `erasureId`)' },
  invalid_query: { status: 400, when: 'a bad `limit` or `before` (`field` names it)' },
  invalid_cursor: { status: 400, when: '`before` is the `next` of another customer\'s or tenant\'s history' },
  invalid_path: { status: 400, when: 'a percent-escape in the path does not decode as UTF-8 (`field`: `(path)`), or an id in the path is `.` or `..` (`field`: `id`)' },
  invalid_http: { status: 400, when: 'the request is not valid HTTP/1.1 (for example raw non-ASCII bytes in the path: percent-encode them)' },
  invalid_form: { status: 400, when: 'the body is not a form with each parameter once' },
  webhook_url_not_allowed: { status: 400, when: 'the URL is not http(s), or resolves to a loopback, private or link-local address' },
  unauthorized: { status: 401, when: 'no API key, or not a valid one (unknown or revoked)', headers: ['WWW-Authenticate'] },
  invalid_signature: { status: 401, when: 'the provider\'s signature is missing or does not verify (`field` names its header)' },
  insufficient_scope: { status: 403, when: 'the API key lacks the scope the request needs: `scope` names it', headers: ['WWW-Authenticate'] },
  not_found: { status: 404, when: 'no such notification or webhook endpoint for this tenant' },
  customer_not_found: { status: 404, when: 'the customer has no profile' },
  device_not_found: { status: 404, when: 'the customer has no such device' },
  erasure_not_found: { status: 404, when: 'no such erasure for this tenant' },
  api_key_not_found: { status: 404, when: 'no such API key for this tenant' },
  route_not_found: { status: 404, when: 'no such route (no operation of this document)' },
  request_timeout: { status: 408, when: 'the request was not received in time; send it again' },
  idempotency_key_conflict: { status: 409, when: 'the `Idempotency-Key` was used with a different body' },
  not_cancelable: { status: 409, when: 'the notification is already in a provider\'s hands or finished; `status` says which' },
  not_yet_cancelable: { status: 409, when: 'the notification was accepted moments ago and still waits in its lane (`status`: `accepted`); retry after `Retry-After`', headers: ['Retry-After'] },
  too_many_api_keys: { status: 409, when: `the tenant has ${MAX_ACTIVE_KEYS} active API keys: revoke one first` },
  api_key_in_secret_store: { status: 409, when: 'the key is configured in the secret store (`API_KEYS`): only a change of the secret removes it' },
  payload_too_large: { status: 413, when: 'the body is over the route\'s limit' },
  unsupported_encoding: { status: 415, when: 'the `Content-Encoding` is not `identity`, `gzip`, `deflate` or `br`, or the `Content-Type` names a charset that is not UTF-8; `field` names the header' },
  wrong_region: { status: 421, when: 'the customer lives in another region (only when Herald runs as several): `region` and `baseUrl` say where to send the request' },
  lane_overloaded: { status: 429, when: 'the notification\'s lane is past its backlog limit (`field`: `priority`)', headers: ['Retry-After'] },
  tenant_rate_limited: { status: 429, when: 'the tenant made more requests this second than its quota (bulk: than its share of it)', headers: ['Retry-After'] },
  daily_quota_exceeded: { status: 429, when: 'the tenant\'s notifications today (UTC) would pass its quota (bulk: its share of it); `Retry-After` is midnight UTC', headers: ['Retry-After'] },
  headers_too_large: { status: 431, when: 'the request\'s headers are over 16 KiB' },
  internal: { status: 500, when: 'intake failed; nothing is known to have been done' },
  unavailable: {
    status: 503,
    when: 'a store or the sidecar cannot be reached now, or (`field`: `channel`) the channel\'s queue in the lane is not declared yet; nothing was done; retry after `Retry-After`',
    headers: ['Retry-After'],
  },
  callbacks_not_configured: { status: 503, when: 'the provider\'s verification secret is not set: nothing can be verified, so nothing is taken' },
} as const satisfies Record<string, { status: number; when: string; headers?: readonly ErrorHeader[] }>;

export type ErrorCode = keyof typeof ERRORS;
/** Every code an error of intake's may carry. */
export const ERROR_CODES = Object.keys(ERRORS) as ErrorCode[];

const ErrorDetailSchema = z.object({
  field: z.string().meta({ description: 'The field at fault, as a path (`to.email`, `notifications.3.content.subject`).' }),
  code: z.string().meta({ description: '`required`, `invalid_format`, `invalid_type`, `too_big`, `too_small`, `unknown_field`, `invalid_time`, …' }),
  message: z.string(),
});

const ApiErrorBodySchema = z.object({
  code: z.string().meta({ description: 'Stable and machine-readable: what to act on.' }),
  message: z.string().meta({ description: 'For people; it may change.' }),
  field: z.string().optional().meta({ description: 'The field, header or part at fault (`customerId`, `Idempotency-Key`, `(body)`, `(path)`).' }),
  details: z.array(ErrorDetailSchema).optional().meta({ description: '`validation_failed`: every field at fault.' }),
  scope: z.string().optional().meta({ description: '`insufficient_scope`: the scope the API key lacks (`send`, `read` or `admin`).' }),
  region: z.string().optional().meta({ description: '`wrong_region`: the customer\'s home region.' }),
  baseUrl: z.string().nullable().optional().meta({ description: '`wrong_region`: that region\'s intake, when known.' }),
});

const ApiErrorSchema = z
  .object({
    error: ApiErrorBodySchema,
    status: NotificationStatusSchema.optional().meta({ description: '`not_cancelable`, `not_yet_cancelable`: the notification\'s status.' }),
  })
  .meta({ id: 'ApiError', description: 'Every error: `{"error": {"code", "message", "field"?, "details"?}}`.' });

const ref = (kind: 'schemas' | 'responses', name: string) => ({ $ref: `#/components/${kind}/${name}` });

/** The error body with `code` one of `codes`. */
const errorOf = (codes: readonly ErrorCode[]): SchemaObject => ({
  allOf: [ref('schemas', 'ApiError'), { type: 'object', properties: { error: { type: 'object', properties: { code: { enum: [...codes] } }, required: ['code'] } }, required: ['error'] }],
});

const headerDocs: Record<ErrorHeader, { description: string; schema: { type: 'integer'; minimum: number } | { type: 'string' } }> = {
  'Retry-After': { description: 'Seconds to wait before sending the request again.', schema: { type: 'integer', minimum: 1 } },
  'WWW-Authenticate': { description: '`Bearer`; for `insufficient_scope`, with the scope the key lacks.', schema: { type: 'string' } },
};

const size = (bytes: number): string =>
  bytes % 1_048_576 === 0 ? `${bytes / 1_048_576} MiB` : bytes % 1024 === 0 ? `${bytes / 1024} KiB` : `${bytes} bytes`;

// ---- Schemas of the answers ------------------------------------------------------------------

const NotificationView = NotificationViewSchema.meta({
  id: 'NotificationView',
  description: 'A notification and its whole timeline, never its recipient or content.',
});

const AcceptedSchema = z
  .object({
    id: NotificationIdSchema,
    status: z.literal('accepted'),
    statusUrl: z.string().meta({ description: 'Where its status is: `/v1/notifications/<id>`.' }),
  })
  .meta({ id: 'Accepted' });

const ItemErrorCodes = [
  'validation_failed',
  'unknown_channel',
  'invalid_idempotency_key',
  'idempotency_key_conflict',
  'wrong_region',
  'lane_overloaded',
  'unavailable',
] as const satisfies readonly ErrorCode[];

const BatchItemResultSchema = z.discriminatedUnion('status', [
  z.object({ index: z.int().nonnegative(), status: z.literal('accepted'), id: NotificationIdSchema, statusUrl: z.string() }),
  z.object({
    index: z.int().nonnegative(),
    status: z.literal('rejected'),
    error: ApiErrorBodySchema.extend({ code: z.enum(ItemErrorCodes) }).meta({ description: 'As a request\'s error; its fields prefixed with the item\'s place (`notifications.3.to.email`).' }),
    retryAfterSeconds: z.int().positive().optional(),
  }),
]);

const BatchResultSchema = z
  .object({
    accepted: z.int().nonnegative(),
    rejected: z.int().nonnegative(),
    results: z.array(BatchItemResultSchema).meta({ description: 'One for each notification, in the order of the request.' }),
  })
  .meta({ id: 'BatchResult' });

const HistoryPageSchema = z
  .object({
    items: z.array(NotificationView),
    next: z.string().optional().meta({ description: 'The `before` of the next page, when there is one.' }),
    nextUrl: z.string().optional(),
  })
  .meta({ id: 'HistoryPage' });

const Preferences = PreferencesSchema.meta({
  id: 'Preferences',
  description: 'Quiet hours (in `timezone`, required with them) defer bulk notifications; an opted-out channel suppresses them. Critical notifications ignore both.',
});

const Profile = ProfileSchema.meta({ id: 'Profile', description: 'A customer\'s contact points; no device token twice.' });
const ProfilePatch = ProfilePatchSchema.meta({ id: 'ProfilePatch', description: 'The fields given replace those stored; `null` removes one.' });
const Device = DeviceSchema.meta({ id: 'Device' });

const ProfileViewSchema = z
  .object({
    customerId: z.string(),
    email: EmailSchema.optional(),
    phone: E164Schema.optional(),
    locale: z.string().optional(),
    timezone: z.string().optional(),
    devices: z.array(z.object({ id: z.string().regex(DEVICE_ID), platform: PlatformSchema, token: z.string() })),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: 'ProfileView', description: 'The profile, each device with the id that removes it.' });

const Erasure = ErasureSchema.meta({ id: 'Erasure', description: 'An erasure\'s progress, which is also its audit record: no personal data.' });

const WebhookRegistration = WebhookRegistrationSchema.meta({ id: 'WebhookRegistration' });
const WebhookEndpointCreated = WebhookEndpointSchema.meta({
  id: 'WebhookEndpointCreated',
  description: 'The endpoint with its signing `secret`, shown only this once.',
});
const WebhookEndpointView = WebhookEndpointSchema.omit({ secret: true }).meta({ id: 'WebhookEndpoint' });

const ApiKeyViewSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    scopes: z.array(ScopeSchema),
    source: z.enum(['api', 'secret']).meta({ description: 'Made through the API, or configured in the secret store (`API_KEYS`).' }),
    hint: z.string().optional().meta({ description: 'The key\'s last four characters.' }),
    createdAt: z.iso.datetime({ offset: true }).optional(),
    createdBy: z.string().optional(),
    revokedAt: z.iso.datetime({ offset: true }).optional(),
    revokedBy: z.string().optional(),
  })
  .meta({ id: 'ApiKey', description: 'An API key as listed: never the key itself.' });
const ApiKeyCreatedSchema = ApiKeyViewSchema.extend({ key: z.string().meta({ description: 'The key, shown only this once: Herald keeps its SHA-256 digest.' }) }).meta({
  id: 'ApiKeyCreated',
});
const ApiKeyRequest = ApiKeyRequestSchema.meta({ id: 'ApiKeyRequest' });

const count = z.int().nonnegative();
const LaneViewSchema = z.object({
  state: z.enum(['admitting', 'shedding']),
  backlog: count,
  backlogParts: z.object({ stream: count, dispatcher: count, queues: count, channelApps: count }),
  thresholds: z.object({ shedAt: count, resumeBelow: count }),
  drainPerSecond: z.number().nonnegative(),
  retryAfterSeconds: z.int().positive().optional(),
  channelsWithoutQueue: z.array(ChannelSchema).optional(),
});
const AdmissionViewSchema = z
  .object({
    lanes: z.object({ critical: LaneViewSchema, bulk: LaneViewSchema }),
    observedAt: z.iso.datetime().nullable(),
    readingError: z.string().optional(),
    tenant: z.object({
      tenantId: z.string(),
      requestsPerSecond: z.object({ limit: count, bulkLimit: count, used: count }),
      notificationsPerDay: z.object({ limit: count, bulkLimit: count, used: count, resetsInSeconds: count }),
    }),
  })
  .meta({ id: 'Admission' });

/**
 * True when a type the routes answer with has exactly the fields its schema here gives, each of a
 * type the schema allows: a field added to, or taken from, an answer fails the build until the
 * document says so too.
 */
type Describes<S extends z.ZodType, T> = [T] extends [z.output<S>]
  ? [Exclude<keyof T, keyof z.output<S>> | Exclude<keyof z.output<S>, keyof T>] extends [never]
    ? true
    : false
  : false;
const _answersDescribed: [
  Describes<typeof ProfileViewSchema, ProfileView>,
  Describes<typeof ApiKeyViewSchema, ApiKeyView>,
  Describes<typeof AdmissionViewSchema, AdmissionView>,
  Describes<typeof ApiErrorBodySchema, ApiError['error']>,
] = [true, true, true, true];

/**
 * What NotificationRequestSchema's refinements require, in JSON Schema: `channel` or `channels`,
 * and a subject when email is one of them. (The rest it checks, a channel named twice, `expiresAt`
 * after `sendAt`, only the description says.)
 */
const requestRefinements = {
  oneOf: [{ required: ['channel'] }, { required: ['channels'] }],
  allOf: [
    {
      if: { anyOf: [{ properties: { channel: { const: 'email' } }, required: ['channel'] }, { properties: { channels: { type: 'array', contains: { const: 'email' } } }, required: ['channels'] }] },
      then: { properties: { content: { type: 'object', required: ['subject'] } } },
    },
  ],
};

const NotificationRequest = NotificationRequestSchema.meta({
  id: 'NotificationRequest',
  description:
    'One notification. Give `channel`, or `channels` (a fallback list, no channel twice); email needs `content.subject`. A channel whose recipient field `to` leaves out takes it from the customer\'s profile when it sends. `expiresAt` must be after `sendAt`; `sendAt` at most 366 days ahead.',
  ...requestRefinements,
});

/** An item of a batch: a notification as above, with its own Idempotency-Key. */
const BatchItem = NotificationRequestSchema.safeExtend({ idempotencyKey: IdempotencyKeySchema.optional() }).meta({
  id: 'BatchItem',
  description: 'A notification as `POST /v1/notifications` takes it, optionally with its own `idempotencyKey`.',
  ...requestRefinements,
});
const BatchRequest = BatchSchema.extend({ notifications: z.array(BatchItem).min(1).max(MAX_BATCH) }).meta({ id: 'BatchRequest' });

/** A customer id in a path: the request's customerId, and never a dot segment. */
const CustomerIdParam = CustomerIdSchema.meta({ description: 'Your id for the customer.', not: { enum: ['.', '..'] } });

const SendGridEventSchema = z.looseObject({
  event: z.string().optional().meta({ description: '`delivered`, `bounce` and `dropped` are recorded; the others are ignored.' }),
  timestamp: z.number().optional(),
  sg_message_id: z.string().optional(),
  herald_id: z.string().optional().meta({ description: 'The notification id, as the email channel sent it in `custom_args`.' }),
  herald_attempt: z.string().optional(),
});

// ---- Operations ------------------------------------------------------------------------------

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';
type Auth = 'apiKey' | 'none' | 'sendgrid' | 'twilio' | 'metrics';

interface Answer {
  description: string;
  schema?: z.ZodType;
  /** `application/json` unless said. */
  mediaType?: string;
  headers?: ResponseConfig['headers'];
}

interface Operation {
  method: Method;
  /** The path as OpenAPI writes it (`/v1/notifications/{id}`). */
  path: string;
  operationId: string;
  tag: string;
  summary: string;
  description?: string;
  auth: Auth;
  params?: z.ZodObject;
  query?: z.ZodObject;
  headers?: z.ZodObject;
  /** A JSON body, read by express.json (or the lean accept path) up to `limit` bytes. */
  body?: { schema: z.ZodType; limit: number; mediaType?: string; raw?: boolean };
  answers: Record<number, Answer>;
  /** The errors of this route besides those every route of its kind answers (see errorsOf). */
  errors: ErrorCode[];
  /** The batch: these statuses may also carry its results (nothing accepted). */
  batchStatuses?: readonly number[];
}

const json = (schema: z.ZodType, description: string, headers?: ResponseConfig['headers']): Answer => ({ schema, description, ...(headers ? { headers } : {}) });
const location = (what: string): ResponseConfig['headers'] => ({ Location: { description: what, required: true, schema: { type: 'string' } } });

const params = {
  notification: z.object({ id: NotificationIdSchema.meta({ description: 'The notification id (`ntf_…`).' }) }),
  customer: z.object({ customerId: CustomerIdParam }),
  device: z.object({ customerId: CustomerIdParam, deviceId: z.string().regex(DEVICE_ID).meta({ description: 'A device id, as the profile shows it.' }) }),
  erasure: z.object({ erasureId: ErasureSchema.shape.id }),
  webhook: z.object({ id: WebhookEndpointSchema.shape.id }),
  apiKey: z.object({
    id: z.string().meta({ description: 'A key\'s `id`: `key_` and 16 hex digits for a key made through the API, 16 hex digits for one configured in the secret store.' }),
  }),
};

function operations(opts: OpenApiOptions): Operation[] {
  const body = opts.bodyLimitBytes;
  const profileBody = opts.profileBodyLimitBytes;
  const read = ['unavailable'] as ErrorCode[];
  return [
    {
      method: 'post',
      path: '/v1/notifications',
      operationId: 'sendNotification',
      tag: 'notifications',
      summary: 'Send a notification',
      description: 'Validates it, checks the tenant\'s quota and the lane\'s admission, and answers `202` with its id: it is sent asynchronously, and its status shows how it goes.',
      auth: 'apiKey',
      headers: z.object({
        'Idempotency-Key': IdempotencyKeySchema.optional().meta({
          description: 'The same key with the same body, from the same tenant, always answers the same id and creates nothing new (24 hours); with another body, `409 idempotency_key_conflict`.',
        }),
        traceparent: z.string().optional().meta({ description: 'W3C trace context: the notification\'s trace continues the caller\'s.' }),
      }),
      body: { schema: NotificationRequest, limit: body },
      answers: { 202: json(AcceptedSchema, 'Accepted: it will be sent. Nothing is shed after this.', location('The notification\'s status: `/v1/notifications/<id>`.')) },
      errors: ['unknown_channel', 'invalid_idempotency_key', 'idempotency_key_conflict', 'wrong_region', 'lane_overloaded', 'tenant_rate_limited', 'daily_quota_exceeded', 'unavailable'],
    },
    {
      method: 'post',
      path: '/v1/notifications/batch',
      operationId: 'sendNotifications',
      tag: 'notifications',
      summary: 'Send up to 1,000 notifications',
      description:
        'Each item is validated and answered on its own. `202` when any was accepted; otherwise the items\' most telling status (`503`, `429`, `421`, `409`, then `400`) with the same results. The batch is one request against the tenant\'s rate, and all its notifications count against the daily volume: a batch that would pass it is refused whole. `Retry-After`, when present, is the longest any refused item should wait.',
      auth: 'apiKey',
      body: { schema: BatchRequest, limit: opts.batchBodyLimitBytes },
      answers: { 202: json(BatchResultSchema, 'At least one was accepted; each item says how it went.') },
      errors: ['tenant_rate_limited', 'daily_quota_exceeded', 'unavailable'],
      batchStatuses: BATCH_REFUSAL_STATUSES,
    },
    {
      method: 'get',
      path: '/v1/notifications/{id}',
      operationId: 'getNotification',
      tag: 'notifications',
      summary: 'A notification\'s status and timeline',
      description:
        'Kept while it waits or is on its way, then 90 days after it ends. In the moments after its `202` it is `accepted` with only its id, tenant and time. While the store of record is unreachable: `503`, never `404`.',
      auth: 'apiKey',
      params: params.notification,
      answers: { 200: json(NotificationView, 'The notification.') },
      errors: ['not_found', ...read],
    },
    {
      method: 'post',
      path: '/v1/notifications/{id}/cancel',
      operationId: 'cancelNotification',
      tag: 'notifications',
      summary: 'Cancel a notification',
      description: 'Cancels one that is `accepted`, `scheduled` or `retrying`. Right after its `202` it waits up to 3 s for the dispatcher to take it up. No body.',
      auth: 'apiKey',
      params: params.notification,
      answers: { 200: json(NotificationView, 'Canceled.') },
      errors: ['not_found', 'not_cancelable', 'not_yet_cancelable', ...read],
    },
    {
      method: 'get',
      path: '/v1/admission',
      operationId: 'getAdmission',
      tag: 'admission',
      summary: 'The lanes\' admission and the caller\'s quota',
      description: 'Each lane\'s backlog, where it waits, its thresholds and whether it admits or sheds; the tenant\'s quota and usage. What a sender needs to pace itself.',
      auth: 'apiKey',
      answers: { 200: json(AdmissionViewSchema, 'Both lanes and the tenant.') },
      errors: [],
    },
    {
      method: 'get',
      path: '/v1/customers/{customerId}/notifications',
      operationId: 'listCustomerNotifications',
      tag: 'customers',
      summary: 'A customer\'s notifications, newest first',
      auth: 'apiKey',
      params: params.customer,
      query: z.object({
        limit: z.int().min(1).max(HISTORY_MAX_LIMIT).default(HISTORY_DEFAULT_LIMIT).meta({ description: 'How many.' }),
        before: z.string().min(1).optional().meta({ description: 'An ISO 8601 time, or the `next` of the previous page.' }),
      }),
      answers: { 200: json(HistoryPageSchema, 'One page.') },
      errors: ['invalid_query', 'invalid_cursor', ...read],
    },
    {
      method: 'get',
      path: '/v1/customers/{customerId}/preferences',
      operationId: 'getPreferences',
      tag: 'customers',
      summary: 'A customer\'s preferences',
      auth: 'apiKey',
      params: params.customer,
      answers: { 200: json(Preferences, 'The preferences (`{}` when none are set).') },
      errors: read,
    },
    {
      method: 'put',
      path: '/v1/customers/{customerId}/preferences',
      operationId: 'putPreferences',
      tag: 'customers',
      summary: 'Set a customer\'s preferences',
      auth: 'apiKey',
      params: params.customer,
      body: { schema: Preferences, limit: body },
      answers: { 200: json(Preferences, 'Stored.') },
      errors: read,
    },
    {
      method: 'delete',
      path: '/v1/customers/{customerId}/preferences',
      operationId: 'deletePreferences',
      tag: 'customers',
      summary: 'Remove a customer\'s preferences',
      auth: 'apiKey',
      params: params.customer,
      answers: { 204: { description: 'Removed (or there were none).' } },
      errors: read,
    },
    {
      method: 'get',
      path: '/v1/customers/{customerId}',
      operationId: 'getCustomer',
      tag: 'customers',
      summary: 'A customer\'s profile',
      auth: 'apiKey',
      params: params.customer,
      answers: { 200: json(ProfileViewSchema, 'The profile.') },
      errors: ['customer_not_found', ...read],
    },
    {
      method: 'put',
      path: '/v1/customers/{customerId}',
      operationId: 'putCustomer',
      tag: 'customers',
      summary: 'Store a customer\'s profile',
      description: 'Every value is kept encrypted under the customer\'s own key.',
      auth: 'apiKey',
      params: params.customer,
      body: { schema: Profile, limit: profileBody },
      answers: { 200: json(ProfileViewSchema, 'Stored.') },
      errors: read,
    },
    {
      method: 'patch',
      path: '/v1/customers/{customerId}',
      operationId: 'patchCustomer',
      tag: 'customers',
      summary: 'Change fields of a customer\'s profile',
      auth: 'apiKey',
      params: params.customer,
      body: { schema: ProfilePatch, limit: profileBody },
      answers: { 200: json(ProfileViewSchema, 'Changed.') },
      errors: ['customer_not_found', ...read],
    },
    {
      method: 'delete',
      path: '/v1/customers/{customerId}',
      operationId: 'eraseCustomer',
      tag: 'customers',
      summary: 'Erase a customer',
      description:
        'Destroys the customer\'s data key at once (everything of theirs, anywhere, becomes unreadable), deletes their profile and preferences, cancels their pending notifications and strips past ones to statuses and times. A second `DELETE` while it runs answers the same erasure.',
      auth: 'apiKey',
      params: params.customer,
      answers: { 202: json(Erasure, 'Started.', location('The erasure: `/v1/erasures/<erasure id>`.')) },
      errors: read,
    },
    {
      method: 'post',
      path: '/v1/customers/{customerId}/devices',
      operationId: 'addDevice',
      tag: 'customers',
      summary: 'Add a push device',
      description: 'At most 10: an eleventh replaces the oldest. A customer without a profile gets one.',
      auth: 'apiKey',
      params: params.customer,
      body: { schema: Device, limit: profileBody },
      answers: { 201: json(ProfileViewSchema, 'Added.'), 200: json(ProfileViewSchema, 'The token was already there: nothing changed.') },
      errors: read,
    },
    {
      method: 'delete',
      path: '/v1/customers/{customerId}/devices/{deviceId}',
      operationId: 'removeDevice',
      tag: 'customers',
      summary: 'Remove a push device',
      auth: 'apiKey',
      params: params.device,
      answers: { 204: { description: 'Removed.' } },
      errors: ['customer_not_found', 'device_not_found', ...read],
    },
    {
      method: 'get',
      path: '/v1/erasures/{erasureId}',
      operationId: 'getErasure',
      tag: 'customers',
      summary: 'An erasure\'s progress and audit record',
      description: 'Kept 90 days; another tenant\'s is `404`.',
      auth: 'apiKey',
      params: params.erasure,
      answers: { 200: json(Erasure, 'The erasure.') },
      errors: ['invalid_erasure_id', 'erasure_not_found', ...read],
    },
    {
      method: 'post',
      path: '/v1/webhooks',
      operationId: 'createWebhook',
      tag: 'webhooks',
      summary: 'Register a webhook endpoint',
      description: 'Every status change of the tenant\'s notifications (of `statuses`, or all) is then POSTed to it, signed (see `webhooks` below).',
      auth: 'apiKey',
      body: { schema: WebhookRegistration, limit: body },
      answers: { 201: json(WebhookEndpointCreated, 'Registered.', location('The endpoint: `/v1/webhooks/<id>`.')) },
      errors: ['webhook_url_not_allowed', ...read],
    },
    {
      method: 'get',
      path: '/v1/webhooks',
      operationId: 'listWebhooks',
      tag: 'webhooks',
      summary: 'The tenant\'s webhook endpoints',
      auth: 'apiKey',
      answers: { 200: json(z.object({ items: z.array(WebhookEndpointView) }), 'Without their secrets.') },
      errors: read,
    },
    {
      method: 'get',
      path: '/v1/webhooks/{id}',
      operationId: 'getWebhook',
      tag: 'webhooks',
      summary: 'A webhook endpoint',
      auth: 'apiKey',
      params: params.webhook,
      answers: { 200: json(WebhookEndpointView, 'Without its secret.') },
      errors: ['not_found', ...read],
    },
    {
      method: 'delete',
      path: '/v1/webhooks/{id}',
      operationId: 'deleteWebhook',
      tag: 'webhooks',
      summary: 'Remove a webhook endpoint',
      auth: 'apiKey',
      params: params.webhook,
      answers: { 204: { description: 'Removed.' } },
      errors: ['not_found', ...read],
    },
    {
      method: 'get',
      path: '/v1/api-keys',
      operationId: 'listApiKeys',
      tag: 'api-keys',
      summary: 'The tenant\'s API keys',
      description: 'Revoked ones are listed 90 days after. Never a key.',
      auth: 'apiKey',
      answers: { 200: json(z.object({ items: z.array(ApiKeyViewSchema) }), 'The keys.') },
      errors: read,
    },
    {
      method: 'post',
      path: '/v1/api-keys',
      operationId: 'createApiKey',
      tag: 'api-keys',
      summary: 'Make an API key',
      description: 'It works on every intake replica within a second.',
      auth: 'apiKey',
      body: { schema: ApiKeyRequest, limit: body },
      answers: { 201: json(ApiKeyCreatedSchema, 'Made: the key is in `key`, shown only this once.', location('The key: `/v1/api-keys/<id>`.')) },
      errors: ['too_many_api_keys', ...read],
    },
    {
      method: 'get',
      path: '/v1/api-keys/{id}',
      operationId: 'getApiKey',
      tag: 'api-keys',
      summary: 'An API key',
      auth: 'apiKey',
      params: params.apiKey,
      answers: { 200: json(ApiKeyViewSchema, 'The key, without the key.') },
      errors: ['api_key_not_found', ...read],
    },
    {
      method: 'delete',
      path: '/v1/api-keys/{id}',
      operationId: 'revokeApiKey',
      tag: 'api-keys',
      summary: 'Revoke an API key',
      description: 'It stops working at once on the replica that answered, and on every other within `API_KEY_CACHE_MS` (5 s).',
      auth: 'apiKey',
      params: params.apiKey,
      answers: { 200: json(ApiKeyViewSchema, 'Revoked: `revokedAt` says when.') },
      errors: ['api_key_not_found', 'api_key_in_secret_store', ...read],
    },
    {
      method: 'post',
      path: SENDGRID_EVENTS_PATH,
      operationId: 'sendGridEvents',
      tag: 'providers',
      summary: 'SendGrid\'s Event Webhook',
      description:
        'Moves a `sent` email to `delivered`, `bounced` or `undeliverable`. Authenticated by SendGrid\'s signature over the raw body, not by an API key. Recording is idempotent: a batch delivered again is harmless.',
      auth: 'sendgrid',
      headers: z.object({ [SENDGRID_TIMESTAMP_HEADER]: z.string().meta({ description: 'The time SendGrid signed, as it sends it.' }) }),
      body: { schema: z.array(SendGridEventSchema), limit: CALLBACK_BODY_LIMIT_BYTES, raw: true },
      answers: {
        200: json(z.object({ received: count, recorded: count, ignored: count }), 'Recorded: how many events came, how many moved a notification and how many were not delivery outcomes of Herald\'s.'),
      },
      errors: ['invalid_json', 'validation_failed', 'invalid_signature', 'callbacks_not_configured', 'unavailable'],
    },
    {
      method: 'post',
      path: TWILIO_STATUS_PATH,
      operationId: 'twilioStatus',
      tag: 'providers',
      summary: 'Twilio\'s status callback',
      description:
        'Moves a `sent` SMS to `delivered` or `undeliverable`. Authenticated by Twilio\'s signature over the URL it called (from `PUBLIC_BASE_URL`) and the form, not by an API key.',
      auth: 'twilio',
      query: z.object({
        herald_id: z.string().optional().meta({ description: 'The notification id, as the SMS channel gave it in the status callback URL.' }),
        herald_attempt: z.string().optional().meta({ description: 'The attempt.' }),
      }),
      body: {
        schema: z.record(z.string(), z.string()).meta({ description: 'Twilio\'s parameters (`MessageSid`, `MessageStatus`, `ErrorCode`, …).' }),
        limit: CALLBACK_BODY_LIMIT_BYTES,
        mediaType: 'application/x-www-form-urlencoded',
        raw: true,
      },
      answers: { 204: { description: 'Recorded (or not a delivery outcome of Herald\'s).' } },
      errors: ['invalid_form', 'invalid_signature', 'callbacks_not_configured', 'unavailable'],
    },
    {
      method: 'get',
      path: HEALTH_PATH,
      operationId: 'health',
      tag: 'operations',
      summary: 'Liveness',
      auth: 'none',
      answers: { 200: json(z.object({ status: z.literal('ok') }), 'Intake is up.') },
      errors: [],
    },
    {
      method: 'get',
      path: OPENAPI_PATH,
      operationId: 'openApiDocument',
      tag: 'operations',
      summary: 'This document',
      auth: 'none',
      answers: { 200: json(z.looseObject({ openapi: z.string(), info: z.looseObject({}), paths: z.record(z.string(), z.unknown()) }), 'Intake\'s OpenAPI 3.1 document.') },
      errors: [],
    },
    ...(opts.metrics ? [metricsOperation] : []),
  ];
}

const metricsOperation: Operation = {
  method: 'get',
  path: METRICS_PATH,
  operationId: 'metrics',
  tag: 'operations',
  summary: 'Prometheus metrics',
  description:
    'Intake\'s metrics in Prometheus\'s text format. No tenant\'s API key: limited by `METRICS_ALLOW` (the addresses it answers; others `403`) and `METRICS_TOKEN` (a bearer token it asks for; without it `401`). Its refusals are `{"error": "<message>"}`, not the error shape of the API.',
  auth: 'metrics',
  answers: {
    200: { description: 'The metrics.', schema: z.string(), mediaType: 'text/plain' },
    401: json(z.object({ error: z.string() }), '`METRICS_TOKEN` is set and the request does not carry it.'),
    403: json(z.object({ error: z.string() }), 'The address is not in `METRICS_ALLOW`.'),
  },
  errors: [],
};

/** Every route's own errors, and those every route of its kind answers. */
function errorsOf(op: Operation): ErrorCode[] {
  const codes: ErrorCode[] = ['invalid_http', 'request_timeout', 'headers_too_large', 'internal', ...op.errors];
  if (op.auth === 'apiKey') codes.push('unauthorized', 'insufficient_scope', 'unavailable');
  if (op.body) codes.push('invalid_body_encoding', 'payload_too_large', 'unsupported_encoding');
  if (op.body && !op.body.raw) codes.push('invalid_json', 'validation_failed');
  if (op.params) codes.push('invalid_path');
  if (op.params?.shape.customerId) codes.push('invalid_customer_id', 'wrong_region');
  return [...new Set(codes)];
}

/** An answer as OpenAPI writes it (the error answers are written so, not made from zod). */
type ErrorAnswer = ResponseObject | { $ref: string };

/**
 * The answer of `status` with these codes. One the same for every route that gives it (one code,
 * no figure of the route's own in it) is a component each refers to.
 */
function errorResponse(op: Operation, status: number, codes: readonly ErrorCode[], shared: Map<string, ErrorAnswer>): ErrorAnswer {
  const lines = codes.map((code) => `- \`${code}\`: ${code === 'payload_too_large' && op.body ? `the body is over ${size(op.body.limit)}` : ERRORS[code].when}`);
  const headers: NonNullable<ResponseObject['headers']> = {};
  for (const name of ['Retry-After', 'WWW-Authenticate'] as const) {
    const carrying = codes.filter((code) => (ERRORS[code] as { headers?: readonly ErrorHeader[] }).headers?.includes(name));
    if (carrying.length > 0) headers[name] = { ...headerDocs[name], required: carrying.length === codes.length };
  }
  let schema: SchemaObject = codes.length > 0 ? errorOf(codes) : ref('schemas', 'BatchResult');
  // A batch that accepted nothing answers its items' most telling status, with their results.
  const batch = op.batchStatuses?.includes(status) ?? false;
  if (batch) {
    lines.push(`- ${codes.length > 0 ? 'or ' : ''}nothing was accepted, and this is the most telling status of the items': the results say why each was refused`);
    if (codes.length > 0) schema = { anyOf: [schema, ref('schemas', 'BatchResult')] };
  }
  const answer: ErrorAnswer = {
    description: lines.join('\n'),
    ...(Object.keys(headers).length > 0 ? { headers } : {}),
    content: { 'application/json': { schema } },
  };
  const [code] = codes;
  if (batch || codes.length !== 1 || code === undefined || code === 'payload_too_large') return answer;
  shared.set(code, answer);
  return ref('responses', code);
}

const securityOf = (op: Operation): RouteConfig['security'] => {
  switch (op.auth) {
    case 'apiKey':
      return [{ apiKey: [scopeFor(op.method.toUpperCase(), op.path)] }];
    case 'sendgrid':
      return [{ sendgridSignature: [] }];
    case 'twilio':
      return [{ twilioSignature: [] }];
    case 'metrics':
      return [{}, { metricsToken: [] }];
    case 'none':
      return [];
  }
};

function routeOf(op: Operation, shared: Map<string, ErrorAnswer>): RouteConfig {
  const responses: RouteConfig['responses'] = {};
  for (const [status, answer] of Object.entries(op.answers)) {
    responses[status] = {
      description: answer.description,
      ...(answer.headers ? { headers: answer.headers } : {}),
      ...(answer.schema ? { content: { [answer.mediaType ?? 'application/json']: { schema: answer.schema } } } : {}),
    };
  }
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of errorsOf(op)) byStatus.set(ERRORS[code].status, [...(byStatus.get(ERRORS[code].status) ?? []), code]);
  for (const status of op.batchStatuses ?? []) if (!byStatus.has(status)) byStatus.set(status, []);
  for (const [status, codes] of [...byStatus].sort(([a], [b]) => a - b)) {
    if (responses[status] === undefined) responses[status] = errorResponse(op, status, codes, shared);
  }
  const security = securityOf(op);
  const scope = op.auth === 'apiKey' ? `\n\nNeeds an API key with the scope \`${scopeFor(op.method.toUpperCase(), op.path)}\`.` : '';
  return {
    method: op.method,
    path: op.path,
    operationId: op.operationId,
    tags: [op.tag],
    summary: op.summary,
    ...(op.description || scope ? { description: `${op.description ?? ''}${scope}`.trim() } : {}),
    ...(security ? { security } : {}),
    request: {
      ...(op.params ? { params: op.params } : {}),
      ...(op.query ? { query: op.query } : {}),
      ...(op.headers ? { headers: op.headers } : {}),
      ...(op.body ? { body: { required: true, content: { [op.body.mediaType ?? 'application/json']: { schema: op.body.schema } } } } : {}),
    },
    responses,
  };
}

const securitySchemes = {
  apiKey: {
    type: 'http',
    scheme: 'bearer',
    description:
      'The tenant\'s API key: `Authorization: Bearer <key>`. Each key has scopes: `send` (sending and canceling notifications, and keeping the customers they go to: profiles, devices, preferences), `read` (every `GET`), `admin` (API keys, webhook endpoints, erasing a customer). Each operation names the scope it needs in its security requirement; a key without it is answered `403 insufficient_scope`, an unknown or revoked key `401 unauthorized`.',
  },
  sendgridSignature: {
    type: 'apiKey',
    in: 'header',
    name: SENDGRID_SIGNATURE_HEADER,
    description: `Not a key: SendGrid's signature of its Signed Event Webhook (ECDSA P-256 with SHA-256 over the \`${SENDGRID_TIMESTAMP_HEADER}\` header and the raw body), verified with the secret \`SENDGRID_WEBHOOK_PUBLIC_KEY\`.`,
  },
  twilioSignature: {
    type: 'apiKey',
    in: 'header',
    name: TWILIO_SIGNATURE_HEADER,
    description:
      'Not a key: Twilio\'s request signature (HMAC-SHA1 over the URL it called and the form parameters), verified with the secret `TWILIO_AUTH_TOKEN` and the URL built from `PUBLIC_BASE_URL`.',
  },
  metricsToken: { type: 'http', scheme: 'bearer', description: '`METRICS_TOKEN`, when it is set.' },
} as const;

/** The document: every route intake serves, its requests, answers, errors and authentication. */
export function intakeOpenApiDocument(opts: OpenApiOptions): OpenApiDocument {
  const registry = new OpenAPIRegistry();
  for (const [name, scheme] of Object.entries(securitySchemes)) registry.registerComponent('securitySchemes', name, scheme);
  const shared = new Map<string, ErrorAnswer>();
  for (const op of operations(opts)) registry.registerPath(routeOf(op, shared));
  for (const [code, answer] of shared) registry.registerComponent('responses', code, answer);
  registry.registerWebhook({
    method: 'post',
    path: 'notification.status',
    operationId: 'notificationStatus',
    summary: 'A status change, POSTed to each webhook endpoint of the tenant',
    description:
      'At least once: drop repeats by `id`. A failing endpoint is retried with exponential backoff, up to 10 attempts; a `Retry-After` is honoured. Verify the signature over the raw body, and refuse a `t` more than 5 minutes off.',
    request: {
      headers: z.object({
        [WEBHOOK_SIGNATURE_HEADER]: z.string().meta({ description: '`t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>" with the endpoint\'s secret>`' }),
        'herald-event-id': z.string().meta({ description: 'The event\'s `id`.' }),
      }),
      body: { required: true, content: { 'application/json': { schema: StatusEventSchema.meta({ id: 'StatusEvent' }) } } },
    },
    responses: { 200: { description: 'Any 2xx: delivered. Anything else is retried.' } },
  });
  const codes = ERROR_CODES.map((code) => `| ${ERRORS[code].status} | \`${code}\` | ${ERRORS[code].when} |`).join('\n');
  // ApiError and BatchResult are referred to by the error answers, which are not zod, so they are
  // registered by name (registry.register would need zod extended with `.openapi`).
  const named = [ApiErrorSchema, BatchResultSchema].map((schema) => ({ type: 'schema' as const, schema }));
  return new OpenApiGeneratorV31([...registry.definitions, ...named]).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'Herald intake',
      version: '1',
      description: [
        'Herald\'s API: send customer notifications (email, SMS, push) and follow them, keep the customers they go to, and manage webhook endpoints and API keys. Sending is asynchronous: `POST` answers `202` with an id, and the status shows the notification\'s whole timeline.',
        'Every error answers `{"error": {"code", "message", "field"?, "details"?}}`; each operation lists the codes it may answer, by status:',
        `| status | code | when |\n| --- | --- | --- |\n${codes}`,
      ].join('\n\n'),
    },
    tags: [
      { name: 'notifications', description: 'Sending, status and cancelling.' },
      { name: 'customers', description: 'Profiles, devices, preferences, histories and erasure.' },
      { name: 'webhooks', description: 'Endpoints that receive status changes.' },
      { name: 'api-keys', description: 'The tenant\'s API keys (scope `admin`).' },
      { name: 'admission', description: 'Backlogs and quotas.' },
      { name: 'providers', description: 'The providers\' delivery callbacks: signed by the provider, no API key.' },
      { name: 'operations', description: 'For operators and tools: no API key.' },
    ],
  });
}
