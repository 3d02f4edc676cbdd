import { basicCredentials, json, type Reply } from './http-io.js';
import { retryAfterSeconds, type ProviderApi } from './provider-api.js';

// Twilio Programmable Messaging, `POST /2010-04-01/Accounts/{AccountSid}/Messages.json` with a
// form body (To, From or MessagingServiceSid, Body, StatusCallback) and Basic auth: 201 with
// the Message resource. Errors are `{code, message, more_info, status}` with Twilio's codes
// (https://www.twilio.com/docs/api/errors).

const twilioError = (status: number, code: number, message: string, headers: Record<string, string> = {}): Reply =>
  json(status, { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status }, headers);

/** Twilio's magic test numbers (docs: "Test credentials"), answered as Twilio answers them. */
const MAGIC_TO: Record<string, { code: number; message: (to: string) => string }> = {
  '+15005550001': { code: 21211, message: (to) => `The 'To' number ${to} is not a valid phone number.` },
  '+15005550002': { code: 21612, message: () => "The 'To' phone number is not currently reachable via SMS." },
  '+15005550003': { code: 21408, message: () => "Permission to send an SMS has not been enabled for the region indicated by the 'To' number." },
  '+15005550004': { code: 21610, message: () => 'Attempt to send to unsubscribed recipient' },
  '+15005550009': { code: 21614, message: (to) => `'To' number ${to} is not a valid mobile number` },
};

const E164 = /^(?:[a-z]+:)?\+[1-9]\d{6,14}$/;

export const twilioApi: ProviderApi = {
  provider: 'twilio',

  unauthorized(req) {
    if (basicCredentials(req.headers)) return undefined;
    return twilioError(401, 20003, 'Authenticate');
  },

  refuse(gate) {
    switch (gate.kind) {
      case 'outage':
        return twilioError(503, 20503, 'Service Unavailable');
      case 'fault':
        return gate.status === 500 ? twilioError(500, 20500, 'An internal server error has occurred') : twilioError(503, 20503, 'Service Unavailable');
      case 'throttled':
        return twilioError(429, 20429, 'Too Many Requests', { 'Retry-After': String(retryAfterSeconds(gate.retryAfterMs)) });
    }
  },

  handle(req, ctx) {
    const form = new URLSearchParams(req.body);
    const to = form.get('To');
    const from = form.get('From');
    const serviceSid = form.get('MessagingServiceSid');
    const body = form.get('Body');
    if (!to) return { reply: twilioError(400, 21604, "A 'To' phone number is required.") };
    if (!from && !serviceSid) return { reply: twilioError(400, 21603, "A 'From' phone number is required.") };
    if (!body && !form.has('MediaUrl') && !form.has('ContentSid')) return { reply: twilioError(400, 21602, 'Message body is required.') };
    const magic = MAGIC_TO[to];
    if (magic) return { reply: twilioError(400, magic.code, magic.message(to)) };
    if (!E164.test(to)) return { reply: twilioError(400, 21211, `The 'To' number ${to} is not a valid phone number.`) };

    const accountSid = req.params.accountSid ?? '';
    const sid = `SM${ctx.ids.hex(32)}`;
    const base = `/2010-04-01/Accounts/${accountSid}/Messages/${sid}`;
    const date = rfc2822(ctx.date);
    const message = json(201, {
      account_sid: accountSid,
      api_version: '2010-04-01',
      body: body ?? '',
      date_created: date,
      date_sent: null,
      date_updated: date,
      direction: 'outbound-api',
      error_code: null,
      error_message: null,
      from: from ?? null,
      messaging_service_sid: serviceSid ?? null,
      num_media: String(form.getAll('MediaUrl').length),
      num_segments: String(segments(body ?? '')),
      price: null,
      price_unit: 'USD',
      sid,
      // Twilio says 'accepted' while a Messaging Service still has to pick the sender.
      status: from ? 'queued' : 'accepted',
      subresource_uris: { media: `${base}/Media.json` },
      to,
      uri: `${base}.json`,
    });
    return { reply: message };
  },
};

/** Twilio's date format: `Thu, 24 Aug 2023 05:01:45 +0000`. */
const rfc2822 = (date: Date): string => date.toUTCString().replace('GMT', '+0000');

/** SMS segments: 160/153 characters in GSM-7 (approximated by printable ASCII), 70/67 in UCS-2. */
function segments(text: string): number {
  const chars = [...text].length;
  const gsm = /^[\x20-\x7e\n\r]*$/.test(text);
  const [single, multi] = gsm ? [160, 153] : [70, 67];
  return chars <= single ? 1 : Math.ceil(chars / multi);
}
