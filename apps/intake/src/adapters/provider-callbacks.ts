import express, { type ErrorRequestHandler, type Request, type RequestHandler, type Response } from 'express';
import { TWILIO_STATUS_PATH, type ProviderEvent } from '@herald/contracts';
import { errMessage, type Logger } from '@herald/service';
import { apiError } from '../domain/api-error.js';
import { fromSendGridEvent, fromTwilioStatus } from '../domain/provider-events.js';
import {
  SENDGRID_SIGNATURE_HEADER,
  SENDGRID_TIMESTAMP_HEADER,
  TWILIO_SIGNATURE_HEADER,
  verifySendGridSignature,
  verifyTwilioSignature,
} from './provider-signatures.js';
import { sendAnswer } from './routes/answer.js';
import { bodyErrorAnswer } from './routes/body-errors.js';
import { mapLimit, unavailable } from './routes/common.js';

export interface ProviderCallbackDeps {
  /** SendGrid's Signed Event Webhook verification key (secret SENDGRID_WEBHOOK_PUBLIC_KEY). */
  sendgridPublicKey?: string | undefined;
  /** Twilio's auth token (secret TWILIO_AUTH_TOKEN), the HMAC key of its callbacks. */
  twilioAuthToken?: string | undefined;
  /** How Twilio sees us, e.g. https://herald.example.com: Twilio signs the URL it requested. */
  publicBaseUrl: string;
  /** Hands the event to the notification; idempotent, so a redelivered batch is harmless. */
  record: (event: ProviderEvent) => Promise<void>;
  log: Logger;
  now?: () => Date;
}

export const SENDGRID_EVENTS_PATH = '/v1/providers/sendgrid/events';

/** The largest callback body read. */
export const BODY_LIMIT_BYTES = 1024 * 1024;
/** Events of one SendGrid batch recorded at once: enough to answer quickly, few enough for the sidecar. */
const RECORD_CONCURRENCY = 8;

/**
 * The providers' delivery callbacks. Each route checks the provider's signature over the raw
 * body before parsing anything, maps the callback with the pure functions in
 * domain/provider-events.ts, and records what maps. When recording fails the answer is 503, so
 * the provider delivers again (SendGrid retries the whole batch; recording is idempotent).
 * Callback bodies carry recipients (SendGrid `email`, Twilio `To`/`From`): nothing but
 * notification id, provider and status is logged.
 */
export function createProviderCallbackRouter(deps: ProviderCallbackDeps): express.Router {
  const now = deps.now ?? (() => new Date());
  const baseUrl = deps.publicBaseUrl.replace(/\/+$/, '');
  const router = express.Router();
  // Raw bytes, whatever the content type: signatures cover the body exactly as sent.
  const raw = express.raw({ limit: BODY_LIMIT_BYTES, type: () => true });

  const record = async (event: ProviderEvent): Promise<boolean> => {
    const ids = { notificationId: event.notificationId, provider: event.provider, status: event.status };
    try {
      await deps.record(event);
      deps.log.info(ids, 'provider event recorded');
      return true;
    } catch (err) {
      deps.log.error({ ...ids, err: errMessage(err) }, 'recording provider event failed');
      return false;
    }
  };

  const sendGridEvents =
    (publicKey: string): RequestHandler =>
    async (req, res) => {
      const body = bodyOf(req);
      const signature = req.header(SENDGRID_SIGNATURE_HEADER) ?? '';
      const timestamp = req.header(SENDGRID_TIMESTAMP_HEADER) ?? '';
      if (!verifySendGridSignature(publicKey, body, signature, timestamp)) {
        invalidSignature(res, deps.log, 'sendgrid', SENDGRID_SIGNATURE_HEADER);
        return;
      }
      let batch: unknown;
      try {
        batch = JSON.parse(body.toString('utf8'));
      } catch {
        res.status(400).json(apiError('invalid_json', 'body is not valid JSON', '(body)'));
        return;
      }
      if (!Array.isArray(batch)) {
        res.status(400).json(apiError('validation_failed', 'body must be a JSON array of events', '(body)'));
        return;
      }
      const events = batch.map(fromSendGridEvent).filter((e): e is ProviderEvent => e !== undefined);
      const results = await mapLimit(events, RECORD_CONCURRENCY, record);
      if (results.includes(false)) {
        unavailable(res, 'could not record the callback now; deliver it again later', 5);
        return;
      }
      res.json({ received: batch.length, recorded: events.length, ignored: batch.length - events.length });
    };

  const twilioStatus =
    (authToken: string): RequestHandler =>
    async (req, res) => {
      const params = formOf(bodyOf(req));
      if (!params) {
        res.status(400).json(apiError('invalid_form', 'body must be a form with each parameter once', '(body)'));
        return;
      }
      // Twilio signs the URL it requested: our public base, then path and query as received.
      const url = baseUrl + req.originalUrl;
      if (!verifyTwilioSignature(authToken, url, params, req.header(TWILIO_SIGNATURE_HEADER) ?? '')) {
        invalidSignature(res, deps.log, 'twilio', TWILIO_SIGNATURE_HEADER);
        return;
      }
      const query = { herald_id: queryString(req, 'herald_id'), herald_attempt: queryString(req, 'herald_attempt') };
      const event = fromTwilioStatus(params, query, now());
      if (event && !(await record(event))) {
        unavailable(res, 'could not record the callback now; deliver it again later', 5);
        return;
      }
      res.status(204).end();
    };

  router.post(
    SENDGRID_EVENTS_PATH,
    ...(deps.sendgridPublicKey ? [raw, sendGridEvents(deps.sendgridPublicKey)] : [notConfigured('SendGrid', 'SENDGRID_WEBHOOK_PUBLIC_KEY')]),
    onBodyError,
  );
  router.post(
    TWILIO_STATUS_PATH,
    ...(deps.twilioAuthToken ? [raw, twilioStatus(deps.twilioAuthToken)] : [notConfigured('Twilio', 'TWILIO_AUTH_TOKEN')]),
    onBodyError,
  );
  return router;
}

/** Without the secret nothing can be verified, so nothing is accepted; 503 makes the provider retry later. */
const notConfigured =
  (provider: string, secret: string): RequestHandler =>
  (_req, res) => {
    res.status(503).json(apiError('callbacks_not_configured', `${provider} callbacks are not configured: secret ${secret} is not set`));
  };

function invalidSignature(res: Response, log: Logger, provider: string, header: string): void {
  log.warn({ provider }, 'callback signature invalid');
  res.status(401).json(apiError('invalid_signature', `missing or invalid ${header}`, header));
}

/** A body that could not be read is the caller's fault: answered here, in intake's shape. */
const onBodyError: ErrorRequestHandler = (err: unknown, req, res, next) => {
  const answer = bodyErrorAnswer(err, req, BODY_LIMIT_BYTES);
  if (answer) sendAnswer(res, answer);
  else next(err);
};

const bodyOf = (req: Request): Buffer => (Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0));

/** A urlencoded form as name → value; undefined when a name repeats (Twilio's callbacks never do). */
function formOf(body: Buffer): Record<string, string> | undefined {
  const entries = [...new URLSearchParams(body.toString('utf8'))];
  if (new Set(entries.map(([name]) => name)).size !== entries.length) return undefined;
  // fromEntries defines own properties: a parameter named __proto__ stays a parameter.
  return Object.fromEntries(entries);
}

function queryString(req: Request, name: string): string | undefined {
  const value: unknown = (req.query as Record<string, unknown>)[name];
  return typeof value === 'string' ? value : undefined;
}
