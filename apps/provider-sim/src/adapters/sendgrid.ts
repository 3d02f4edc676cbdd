import { header, parseJson } from '@herald/service';
import { empty, json, type Reply } from './http-io.js';
import { retryAfterSeconds, type ProviderApi } from './provider-api.js';

// SendGrid v3 Mail Send, `POST /v3/mail/send`: 202 with an empty body and X-Message-Id on
// success; errors are `{"errors":[{"message","field","help"}]}` (docs: "Mail Send errors").

interface SendGridError {
  message: string;
  field: string | null;
  help: null;
}

const errors = (status: number, list: SendGridError[], headers: Record<string, string> = {}): Reply =>
  json(status, { errors: list }, headers);
const error = (message: string, field: string | null = null): SendGridError => ({ message, field, help: null });

export const sendgridApi: ProviderApi = {
  provider: 'sendgrid',

  unauthorized(req) {
    const auth = header(req.headers, 'authorization');
    if (auth === undefined) return errors(401, [error('authorization required')]);
    if (!/^Bearer\s+\S+/i.test(auth)) return errors(401, [error('The provided authorization grant is invalid, expired, or revoked')]);
    return undefined;
  },

  refuse(gate, ctx) {
    switch (gate.kind) {
      case 'outage':
        return errors(503, [error('service unavailable')]);
      case 'fault':
        return errors(gate.status, [error(gate.status === 500 ? 'internal server error' : 'service unavailable')]);
      case 'throttled': {
        const seconds = retryAfterSeconds(gate.retryAfterMs);
        return json(
          429,
          { errors: [{ message: 'too many requests', field: null }] },
          {
            'Retry-After': String(seconds),
            // SendGrid's own signal: when the limit resets, in Unix seconds.
            'X-RateLimit-Limit': String(gate.limit),
            'X-RateLimit-Remaining': '0',
            'X-RateLimit-Reset': String(Math.ceil(ctx.date.getTime() / 1_000) + seconds),
          },
        );
      }
    }
  },

  handle(req, ctx) {
    const body = parseJson(req.body);
    if (!isRecord(body)) return { reply: errors(400, [error('Bad Request')]) };
    const problems = validateMail(body);
    if (problems.length > 0) return { reply: errors(400, problems) };
    return { reply: empty(202, { 'X-Message-Id': ctx.ids.token(22) }) };
  },
};

// Checked by hand rather than with a schema: each rule answers SendGrid's own message and
// field path, which is what a client's error mapping looks at.
function validateMail(mail: Record<string, unknown>): SendGridError[] {
  const problems: SendGridError[] = [];
  const personalizations = mail.personalizations;
  if (!Array.isArray(personalizations) || personalizations.length === 0) {
    problems.push(error('The personalizations field is required and must have at least one personalization.', 'personalizations'));
  } else {
    personalizations.forEach((p: unknown, i) => {
      const to = isRecord(p) ? p.to : undefined;
      if (!Array.isArray(to) || to.length === 0) {
        problems.push(
          error(
            'The to array is required for all personalization objects, and must have at least one email object with a valid email address.',
            `personalizations.${i}.to`,
          ),
        );
      }
      const customArgs = isRecord(p) ? p.custom_args : undefined;
      if (customArgs !== undefined && !(isRecord(customArgs) && Object.values(customArgs).every((v) => typeof v === 'string'))) {
        problems.push(error('The custom_args of a personalization must be an object of string values.', `personalizations.${i}.custom_args`));
      }
      for (const kind of ['to', 'cc', 'bcc'] as const) {
        const list = isRecord(p) ? p[kind] : undefined;
        if (!Array.isArray(list)) continue;
        list.forEach((address: unknown, j) => {
          if (!isDeliverable(emailOf(address))) problems.push(error('Does not contain a valid address.', `personalizations.${i}.${kind}.${j}.email`));
        });
      }
    });
  }
  // SendGrid's API description types the mail's top-level custom_args as a string (the per
  // personalization ones are the object); a client sending an object there is held to that.
  if (mail.custom_args !== undefined && typeof mail.custom_args !== 'string') {
    problems.push(error('The custom_args of the mail must be a string; per-recipient custom_args go in each personalization.', 'custom_args'));
  }
  const from = emailOf(mail.from);
  if (from === undefined) {
    problems.push(
      error(
        'The from object must be provided for every email send. It is an object that requires the email parameter, but may also contain a name parameter.',
        'from',
      ),
    );
  } else if (!isAddress(from)) {
    problems.push(error('The from email does not contain a valid address.', 'from.email'));
  }
  if (typeof mail.template_id !== 'string') {
    const everyHasSubject = Array.isArray(personalizations) && personalizations.length > 0 && personalizations.every((p: unknown) => isRecord(p) && typeof p.subject === 'string');
    if (typeof mail.subject !== 'string' && !everyHasSubject) {
      problems.push(
        error(
          'The subject is required. You can get around this requirement if you use a template with a subject defined or if every personalization has a subject defined.',
          'subject',
        ),
      );
    }
    if (!Array.isArray(mail.content) || mail.content.length === 0) {
      problems.push(error('Unless a valid template_id is provided, the content parameter is required. There must be at least one defined content block.', 'content'));
    }
  }
  return problems;
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const emailOf = (address: unknown): string | undefined => (isRecord(address) && typeof address.email === 'string' ? address.email : undefined);
const isAddress = (email: string): boolean => /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email);
/** A recipient containing `invalid` is refused as SendGrid refuses a malformed one: permanently. */
const isDeliverable = (email: string | undefined): boolean => email !== undefined && isAddress(email) && !email.toLowerCase().includes('invalid');
