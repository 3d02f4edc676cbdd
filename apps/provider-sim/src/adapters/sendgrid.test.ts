import { createLogger } from '@herald/service';
import { createSimulator } from '../domain/simulator.js';
import { startSimServer, type RunningSim } from './server.js';

const simulator = createSimulator();
let sim: RunningSim;
beforeAll(async () => {
  sim = await startSimServer({ simulator, log: createLogger('provider-sim', 'silent') }, 0, '127.0.0.1');
});
afterAll(() => sim.close());
beforeEach(() => simulator.reset());

const mail = {
  personalizations: [{ to: [{ email: 'ada@example.com' }] }],
  from: { email: 'herald@example.com', name: 'Herald' },
  subject: 'Your code',
  content: [{ type: 'text/plain', value: '123456' }],
};

const send = (body: unknown, headers: Record<string, string> = { Authorization: 'Bearer SG.test' }) =>
  fetch(`${sim.url}/v3/mail/send`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(5_000),
  });

describe('SendGrid POST /v3/mail/send', () => {
  it('answers 202 with an empty body and a 22-character X-Message-Id', async () => {
    const res = await send(mail);
    expect(res.status).toBe(202);
    expect(await res.text()).toBe('');
    expect(res.headers.get('x-message-id')).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(simulator.stats().sendgrid).toMatchObject({ received: 1, accepted: 1 });
  });

  it('accepts a template send without subject or content', async () => {
    const { subject: _s, content: _c, ...bare } = mail;
    expect((await send({ ...bare, template_id: 'd-123' })).status).toBe(202);
  });

  it('answers 401 with an errors body without a Bearer token', async () => {
    const missing = await send(mail, {});
    expect(missing.status).toBe(401);
    expect(await missing.json()).toEqual({ errors: [{ message: 'authorization required', field: null, help: null }] });
    const basic = await send(mail, { Authorization: 'Basic dXNlcjpwYXNz' });
    expect(basic.status).toBe(401);
    expect(simulator.stats().sendgrid).toMatchObject({ received: 2, rejected4xx: 2, accepted: 0 });
  });

  it('answers 400 naming the field when personalizations or from are missing', async () => {
    const res = await send({ subject: 's', content: [{ type: 'text/plain', value: 'x' }] });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      errors: [
        { message: 'The personalizations field is required and must have at least one personalization.', field: 'personalizations', help: null },
        {
          message: 'The from object must be provided for every email send. It is an object that requires the email parameter, but may also contain a name parameter.',
          field: 'from',
          help: null,
        },
      ],
    });
  });

  it('answers 400 for malformed JSON', async () => {
    const res = await send('{"personalizations":');
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ errors: [{ message: 'Bad Request', field: null, help: null }] });
  });

  it('refuses a recipient containing "invalid" permanently, naming it by position', async () => {
    const res = await send({ ...mail, personalizations: [{ to: [{ email: 'ada@example.com' }, { email: 'invalid@example.com' }] }] });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ errors: [{ message: 'Does not contain a valid address.', field: 'personalizations.0.to.1.email', help: null }] });
  });

  it('holds custom_args to the API description: an object of strings per personalization, a string at the top', async () => {
    const args = { herald_id: 'ntf_01jd0000000000000000000000', herald_attempt: '1' };
    expect((await send({ ...mail, personalizations: [{ to: [{ email: 'ada@example.com' }], custom_args: args }] })).status).toBe(202);
    const top = await send({ ...mail, custom_args: args });
    expect(top.status).toBe(400);
    expect(((await top.json()) as { errors: unknown[] }).errors).toEqual([expect.objectContaining({ field: 'custom_args' })]);
    const numbers = await send({ ...mail, personalizations: [{ to: [{ email: 'ada@example.com' }], custom_args: { herald_attempt: 1 } }] });
    expect(((await numbers.json()) as { errors: unknown[] }).errors).toEqual([expect.objectContaining({ field: 'personalizations.0.custom_args' })]);
  });

  it('answers 429 with Retry-After and X-RateLimit-Reset over the rate limit', async () => {
    simulator.configure({ sendgrid: { ratePerSec: 1 } });
    try {
      expect((await send(mail)).status).toBe(202);
      const res = await send(mail);
      expect(res.status).toBe(429);
      expect(res.headers.get('retry-after')).toBe('1');
      expect(res.headers.get('x-ratelimit-limit')).toBe('1');
      expect(res.headers.get('x-ratelimit-remaining')).toBe('0');
      expect(Number(res.headers.get('x-ratelimit-reset'))).toBeGreaterThanOrEqual(Math.floor(Date.now() / 1_000));
      expect(await res.json()).toEqual({ errors: [{ message: 'too many requests', field: null }] });
    } finally {
      simulator.configure({ sendgrid: { ratePerSec: 0 } });
    }
  });
});
