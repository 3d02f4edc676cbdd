import { NotificationIdSchema, ProviderEventSchema, type ProviderEvent } from '@herald/contracts';

/*
 * Providers' delivery callbacks, reduced to Herald's `ProviderEvent`.
 *
 * Correlation: Herald's channel apps put the notification id and attempt on every message they
 * hand to a provider, and the provider echoes them back.
 *   - SendGrid: mail is sent with `custom_args: { herald_id: <notification id>, herald_attempt: "<n>" }` in its personalization.
 *     SendGrid's Event Webhook returns custom args as top-level fields of each event in the
 *     JSON array it posts ("Event Webhook reference": "Custom Arguments").
 *   - Twilio: messages are sent with
 *     `statusCallback: <public base>/v1/providers/twilio/status?herald_id=<id>&herald_attempt=<n>`,
 *     so the ids come back in the query string of the status callback.
 * A callback without a valid herald_id is not ours to record (a test event, another system
 * sharing the account) and maps to undefined.
 */

export type TwilioCallbackQuery = { herald_id?: string | undefined; herald_attempt?: string | undefined };

/**
 * One event of SendGrid's Event Webhook array ("Event Webhook reference").
 * - delivered → delivered
 * - bounce (`type` bounce or blocked) → bounced
 * - dropped (SendGrid will not even try: bounced/unsubscribed/invalid address…) → undeliverable
 * - processed, deferred (SendGrid is still retrying), open, click, spamreport, unsubscribe,
 *   group_unsubscribe, group_resubscribe, anything new → undefined (not a delivery outcome)
 */
export function fromSendGridEvent(raw: unknown): ProviderEvent | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined;
  const fields = raw as Record<string, unknown>;
  const status = sendGridStatus(fields.event);
  if (!status) return undefined;
  const seconds = fields.timestamp;
  if (typeof seconds !== 'number' || !Number.isFinite(seconds)) return undefined;
  const at = new Date(seconds * 1000);
  if (Number.isNaN(at.getTime())) return undefined;
  return build({
    notificationId: fields.herald_id,
    attempt: fields.herald_attempt,
    provider: 'sendgrid',
    providerMessageId: stringOf(fields.sg_message_id),
    status,
    reason: sendGridReason(fields),
    at,
  });
}

/**
 * One Twilio status callback (form parameters, plus Herald's query string), after
 * "Outbound message status in status callbacks":
 * - delivered → delivered
 * - undelivered (the carrier refused it), failed (Twilio could not send it) → undeliverable
 * - queued, accepted, scheduled, sending, sent, read, canceled, … → undefined
 * Twilio's callback carries no event time, so `receivedAt` (the caller's clock) stands in.
 */
export function fromTwilioStatus(
  params: Record<string, string>,
  query: TwilioCallbackQuery,
  receivedAt: Date,
): ProviderEvent | undefined {
  const status = twilioStatus(params.MessageStatus ?? params.SmsStatus);
  if (!status) return undefined;
  const errorCode = params.ErrorCode;
  return build({
    notificationId: query.herald_id,
    attempt: query.herald_attempt,
    provider: 'twilio',
    providerMessageId: params.MessageSid ?? params.SmsSid,
    status,
    reason: errorCode && /^\d+$/.test(errorCode) ? `twilio error ${errorCode}` : undefined,
    at: receivedAt,
  });
}

function sendGridStatus(event: unknown): ProviderEvent['status'] | undefined {
  switch (event) {
    case 'delivered':
      return 'delivered';
    case 'bounce':
      return 'bounced';
    case 'dropped':
      return 'undeliverable';
    default:
      return undefined;
  }
}

function twilioStatus(status: string | undefined): ProviderEvent['status'] | undefined {
  switch (status) {
    case 'delivered':
      return 'delivered';
    case 'undelivered':
    case 'failed':
      return 'undeliverable';
    default:
      return undefined;
  }
}

/** "bounce 5.0.0: 550 5.1.1 mailbox unavailable", "blocked 4.0.0: …", "Bounced Address". */
function sendGridReason(fields: Record<string, unknown>): string | undefined {
  const reason = stringOf(fields.reason);
  if (fields.event !== 'bounce') return reason;
  const head = [stringOf(fields.type) ?? 'bounce', stringOf(fields.status)].filter(Boolean).join(' ');
  return reason ? `${head}: ${reason}` : head;
}

interface Draft {
  notificationId: unknown;
  attempt: unknown;
  provider: string;
  providerMessageId: string | undefined;
  status: ProviderEvent['status'];
  reason: string | undefined;
  at: Date;
}

function build(draft: Draft): ProviderEvent | undefined {
  const id = NotificationIdSchema.safeParse(draft.notificationId);
  if (!id.success) return undefined;
  const attempt = attemptOf(draft.attempt);
  const reason = draft.reason === undefined ? undefined : withoutAddresses(draft.reason).slice(0, 500);
  const event = ProviderEventSchema.safeParse({
    schemaVersion: 1,
    notificationId: id.data,
    ...(attempt === undefined ? {} : { attempt }),
    provider: draft.provider,
    ...(draft.providerMessageId ? { providerMessageId: draft.providerMessageId } : {}),
    status: draft.status,
    ...(reason ? { reason } : {}),
    at: draft.at.toISOString(),
  });
  return event.success ? event.data : undefined;
}

/** SendGrid custom args are strings ("3"); a missing or malformed attempt is left out, not fatal. */
function attemptOf(value: unknown): number | undefined {
  const text = typeof value === 'number' ? String(value) : value;
  if (typeof text !== 'string' || !/^[1-9]\d{0,8}$/.test(text)) return undefined;
  return Number(text);
}

const stringOf = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

// Bounce reasons quote the remote MTA, which often names the recipient
// ("550 5.1.1 <jane@example.com>: Recipient address rejected"); Herald records no addresses.
const withoutAddresses = (text: string): string => text.replace(/[^\s<>()[\]"',;:]+@[^\s<>()[\]"',;:]+/g, '[address]');
