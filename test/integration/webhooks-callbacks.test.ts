import { createHmac, createSign } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { StatusEvent } from '@herald/contracts';
import { verifyWebhookSignature, WEBHOOK_SIGNATURE_HEADER } from '@herald/webhooks';
import { createClient, loadStack, request } from '../harness/client.js';
import { uniqueCustomer } from '../harness/ids.js';
import { waitFor } from '../harness/stack.js';

const stack = loadStack();
const api = createClient(stack);
const intake = `http://127.0.0.1:${stack.apps.intake.app}`;

/** A tenant's webhook receiver: records what it is sent, and can be told to fail first. */
function receiver(failFirst = 0) {
  const received: Array<{ body: string; signature: string | undefined; eventId: string | undefined }> = [];
  let failures = failFirst;
  let server!: Server;
  return {
    received,
    events: () => received.map((r) => JSON.parse(r.body) as StatusEvent),
    async start(): Promise<string> {
      server = createServer((req, res) => {
        let body = '';
        req.on('data', (c: Buffer) => (body += c.toString()));
        req.on('end', () => {
          if (failures-- > 0) {
            res.writeHead(503).end();
            return;
          }
          const signature = req.headers[WEBHOOK_SIGNATURE_HEADER];
          received.push({ body, signature: typeof signature === 'string' ? signature : undefined, eventId: req.headers['herald-event-id'] as string | undefined });
          res.writeHead(204).end();
        });
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      const address = server.address();
      if (!address || typeof address === 'string') throw new Error('no port');
      return `http://127.0.0.1:${address.port}/hooks/herald`;
    },
    stop: () => new Promise<void>((r) => server.close(() => r())),
  };
}

describe('webhooks', () => {
  it('POSTs every status change, signed, and retries an endpoint that fails', async () => {
    // tenant-b is this test's own tenant for webhooks, so other tests' notifications do not arrive here.
    const tenant = createClient(stack, 'tenant-b');
    const hook = receiver(2);
    const url = await hook.start();
    try {
      const created = await tenant.call('POST', '/v1/webhooks', { url });
      expect(created).toMatchObject({ status: 201, body: { url } });
      const { id: endpointId, secret } = created.body as { id: string; secret: string };
      expect(secret).toMatch(/^whsec_/);
      // The endpoint list is cached by the dispatcher for a few seconds: wait until events flow.
      const customerId = uniqueCustomer();
      const statusesOf = (id: string) => [...new Set(hook.events().filter((e) => e.notificationId === id).map((e) => e.status))].sort();
      const firstId = await waitFor('webhook deliveries to start', async () => {
        const res = await tenant.send({ customerId, channel: 'sms', to: { phone: '+14155550100' }, content: { text: 'x' } });
        const id = (res.body as { id: string }).id;
        await tenant.waitForStatus(id, 'sent', 20_000);
        return hook.events().some((e) => e.notificationId === id) ? id : undefined;
      }, 40_000, 500);
      // Once the endpoint is known, every change of the next notification arrives.
      const res = await tenant.send({ customerId, channel: 'sms', to: { phone: '+14155550100' }, content: { text: 'x' } });
      const notificationId = (res.body as { id: string }).id;
      await waitFor('every status of the notification', () => (statusesOf(notificationId).length === 3 ? true : undefined), 20_000);
      expect(statusesOf(notificationId)).toEqual(['accepted', 'dispatched', 'sent']);
      expect(firstId).not.toBe(notificationId);
      const mine = hook.received.filter((r) => (JSON.parse(r.body) as StatusEvent).notificationId === notificationId);
      for (const r of mine) {
        expect(verifyWebhookSignature(secret, r.body, r.signature)).toBe(true);
        expect(verifyWebhookSignature(secret, `${r.body} `, r.signature)).toBe(false);
        expect(r.eventId).toBe((JSON.parse(r.body) as StatusEvent).id);
        expect(r.body).not.toContain('+14155550100');
      }
      const listed = await tenant.call('GET', '/v1/webhooks');
      expect(JSON.stringify(listed.body)).not.toContain(secret);
      expect((await tenant.call('DELETE', `/v1/webhooks/${endpointId}`)).status).toBe(204);
    } finally {
      await hook.stop();
    }
  });
});

describe('provider delivery callbacks', () => {
  const sendEmail = async () => {
    const res = await api.send({ customerId: uniqueCustomer(), channel: 'email', to: { email: 'cb@example.com' }, content: { subject: 'Hi', text: 'x' } });
    const id = (res.body as { id: string }).id;
    const view = await api.waitForStatus(id, 'sent', 20_000);
    return { id, providerMessageId: view.timeline.at(-1)?.providerMessageId ?? '' };
  };

  it('moves a sent notification to delivered on a signed SendGrid event, and refuses a forged one', async () => {
    const { id, providerMessageId } = await sendEmail();
    const payload = JSON.stringify([
      { email: 'cb@example.com', timestamp: Math.floor(Date.now() / 1000), event: 'delivered', sg_message_id: `${providerMessageId}.filter0001`, herald_id: id, herald_attempt: '1' },
    ]);
    const timestamp = String(Math.floor(Date.now() / 1000));
    const signature = createSign('sha256').update(timestamp + payload).sign(stack.fixtures.sendgridPrivateKey ?? '', 'base64');
    const headers = { 'content-type': 'application/json', 'x-twilio-email-event-webhook-signature': signature, 'x-twilio-email-event-webhook-timestamp': timestamp };
    const forged = await request(`${intake}/v1/providers/sendgrid/events`, { method: 'POST', body: payload.replace('delivered', 'bounce'), headers });
    expect(forged).toMatchObject({ status: 401, body: { error: { code: 'invalid_signature' } } });
    const res = await request(`${intake}/v1/providers/sendgrid/events`, { method: 'POST', body: payload, headers });
    expect(res).toMatchObject({ status: 200, body: { recorded: 1 } });
    const view = await api.waitForStatus(id, 'delivered', 10_000);
    expect(view.timeline.at(-1)).toMatchObject({ status: 'delivered', provider: 'sendgrid' });
  });

  it('moves a sent SMS to undeliverable on a signed Twilio status callback', async () => {
    const res0 = await api.send({ customerId: uniqueCustomer(), channel: 'sms', to: { phone: '+14155550100' }, content: { text: 'x' } });
    const id = (res0.body as { id: string }).id;
    const sent = await api.waitForStatus(id, 'sent', 20_000);
    const params: Record<string, string> = { MessageSid: sent.timeline.at(-1)?.providerMessageId ?? '', MessageStatus: 'undelivered', ErrorCode: '30003', To: '+14155550100' };
    const path = `/v1/providers/twilio/status?herald_id=${id}&herald_attempt=1`;
    const signed = intake + path + Object.keys(params).sort().map((k) => k + params[k]).join('');
    const signature = createHmac('sha1', stack.fixtures.twilioAuthToken ?? '').update(signed).digest('base64');
    const form = new URLSearchParams(params).toString();
    const headers = { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature };
    expect((await request(intake + path, { method: 'POST', body: form, headers: { ...headers, 'x-twilio-signature': 'AAAA' } })).status).toBe(401);
    expect((await request(intake + path, { method: 'POST', body: form, headers })).status).toBe(204);
    const view = await api.waitForStatus(id, 'undeliverable', 10_000);
    expect(view.timeline.at(-1)?.reason).toContain('30003');
  });
});
