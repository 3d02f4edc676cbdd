import { createLogger } from '@herald/service';
import { createSimulator } from '../domain/simulator.js';
import { startSimServer, type RunningSim } from './server.js';

const NOW = new Date('2026-03-01T10:00:00.000Z');
const ACCOUNT = `AC${'0'.repeat(32)}`;
const simulator = createSimulator();
let sim: RunningSim;
beforeAll(async () => {
  sim = await startSimServer({ simulator, log: createLogger('provider-sim', 'silent'), date: () => NOW }, 0, '127.0.0.1');
});
afterAll(() => sim.close());
beforeEach(() => simulator.reset());

const BASIC = `Basic ${Buffer.from(`${ACCOUNT}:secret`).toString('base64')}`;

const create = (form: Record<string, string>, headers: Record<string, string> = { Authorization: BASIC }) =>
  fetch(`${sim.url}/2010-04-01/Accounts/${ACCOUNT}/Messages.json`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(form).toString(),
    signal: AbortSignal.timeout(5_000),
  });

describe('Twilio POST /2010-04-01/Accounts/:sid/Messages.json', () => {
  it("answers 201 with Twilio's message resource, queued", async () => {
    const res = await create({ To: '+15551234567', From: '+15557654321', Body: 'Your code is 123456', StatusCallback: 'https://herald.example/cb' });
    expect(res.status).toBe(201);
    const message = (await res.json()) as Record<string, unknown>;
    const sid = message.sid as string;
    expect(sid).toMatch(/^SM[0-9a-f]{32}$/);
    expect(message).toEqual({
      account_sid: ACCOUNT,
      api_version: '2010-04-01',
      body: 'Your code is 123456',
      date_created: 'Sun, 01 Mar 2026 10:00:00 +0000',
      date_sent: null,
      date_updated: 'Sun, 01 Mar 2026 10:00:00 +0000',
      direction: 'outbound-api',
      error_code: null,
      error_message: null,
      from: '+15557654321',
      messaging_service_sid: null,
      num_media: '0',
      num_segments: '1',
      price: null,
      price_unit: 'USD',
      sid,
      status: 'queued',
      subresource_uris: { media: `/2010-04-01/Accounts/${ACCOUNT}/Messages/${sid}/Media.json` },
      to: '+15551234567',
      uri: `/2010-04-01/Accounts/${ACCOUNT}/Messages/${sid}.json`,
    });
  });

  it("says 'accepted' when a Messaging Service picks the sender", async () => {
    const res = await create({ To: '+15551234567', MessagingServiceSid: `MG${'1'.repeat(32)}`, Body: 'hi' });
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ status: 'accepted', from: null, messaging_service_sid: `MG${'1'.repeat(32)}` });
  });

  it('answers 401 (code 20003) without Basic credentials', async () => {
    const res = await create({ To: '+15551234567', From: '+15557654321', Body: 'hi' }, {});
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ code: 20003, message: 'Authenticate', more_info: 'https://www.twilio.com/docs/errors/20003', status: 401 });
  });

  it('refuses an invalid To with 21211, permanently', async () => {
    for (const to of ['+15005550001', '555-not-e164']) {
      const res = await create({ To: to, From: '+15557654321', Body: 'hi' });
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({
        code: 21211,
        message: `The 'To' number ${to} is not a valid phone number.`,
        more_info: 'https://www.twilio.com/docs/errors/21211',
        status: 400,
      });
    }
    expect(simulator.stats().twilio).toMatchObject({ received: 2, rejected4xx: 2, accepted: 0 });
  });

  it("answers Twilio's codes for missing parameters and other magic test numbers", async () => {
    const codeOf = async (form: Record<string, string>) => ((await (await create(form)).json()) as { code: number }).code;
    expect(await codeOf({ From: '+15557654321', Body: 'hi' })).toBe(21604);
    expect(await codeOf({ To: '+15551234567', Body: 'hi' })).toBe(21603);
    expect(await codeOf({ To: '+15551234567', From: '+15557654321' })).toBe(21602);
    expect(await codeOf({ To: '+15005550004', From: '+15557654321', Body: 'hi' })).toBe(21610);
  });

  it('answers 429 (code 20429) with Retry-After over the rate limit', async () => {
    simulator.configure({ twilio: { ratePerSec: 1 } });
    try {
      expect((await create({ To: '+15551234567', From: '+15557654321', Body: 'hi' })).status).toBe(201);
      const res = await create({ To: '+15551234567', From: '+15557654321', Body: 'hi' });
      expect(res.status).toBe(429);
      expect(res.headers.get('retry-after')).toBe('1');
      expect(await res.json()).toEqual({ code: 20429, message: 'Too Many Requests', more_info: 'https://www.twilio.com/docs/errors/20429', status: 429 });
    } finally {
      simulator.configure({ twilio: { ratePerSec: 0 } });
    }
  });
});
