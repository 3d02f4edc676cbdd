import { fromSendGridEvent, fromTwilioStatus } from './provider-events.js';

const id = 'ntf_01j9z8k2m4n6p8r0s2t4v6w8y0';

// Shapes as in SendGrid's "Event Webhook reference", with Herald's custom args at top level.
const sendGrid = (fields: Record<string, unknown>): Record<string, unknown> => ({
  email: 'jane@example.com',
  timestamp: 1513299569,
  'smtp-id': '<14c5d75ce93.dfd.64b469@ismtpd-555>',
  sg_event_id: 'hqFbp3HH9WxIM0R2-x2M1Q==',
  sg_message_id: '14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.0',
  category: 'cat facts',
  herald_id: id,
  herald_attempt: '2',
  ...fields,
});

describe('fromSendGridEvent', () => {
  it('maps delivered, with the time, message id and attempt', () => {
    expect(fromSendGridEvent(sendGrid({ event: 'delivered', response: '250 OK' }))).toEqual({
      schemaVersion: 1,
      notificationId: id,
      attempt: 2,
      provider: 'sendgrid',
      providerMessageId: '14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.0',
      status: 'delivered',
      at: '2017-12-15T00:59:29.000Z',
    });
  });

  it('maps a bounce with its type, SMTP status and reason, without the address', () => {
    const event = fromSendGridEvent(
      sendGrid({
        event: 'bounce',
        type: 'bounce',
        status: '5.0.0',
        reason: '550 5.1.1 <jane@example.com>: Recipient address rejected: User unknown',
        bounce_classification: 'Invalid Address',
        tls: 1,
      }),
    );
    expect(event?.status).toBe('bounced');
    expect(event?.reason).toBe('bounce 5.0.0: 550 5.1.1 <[address]>: Recipient address rejected: User unknown');
  });

  it('maps a blocked bounce', () => {
    const event = fromSendGridEvent(sendGrid({ event: 'bounce', type: 'blocked', status: '4.0.0', reason: '421 try later' }));
    expect(event).toMatchObject({ status: 'bounced', reason: 'blocked 4.0.0: 421 try later' });
  });

  it('maps dropped to undeliverable with SendGrid reason', () => {
    const event = fromSendGridEvent(sendGrid({ event: 'dropped', reason: 'Bounced Address', status: '5.0.0' }));
    expect(event).toMatchObject({ status: 'undeliverable', reason: 'Bounced Address' });
  });

  it.each(['processed', 'deferred', 'open', 'click', 'spamreport', 'unsubscribe', 'group_unsubscribe', 'group_resubscribe'])(
    'ignores %s',
    (name) => {
      expect(fromSendGridEvent(sendGrid({ event: name, response: '400 try again later', attempt: '5' }))).toBeUndefined();
    },
  );

  it('ignores events that are not Herald’s or are malformed', () => {
    expect(fromSendGridEvent(sendGrid({ event: 'delivered', herald_id: undefined }))).toBeUndefined();
    expect(fromSendGridEvent(sendGrid({ event: 'delivered', herald_id: 'ntf_short' }))).toBeUndefined();
    expect(fromSendGridEvent(sendGrid({ event: 'delivered', timestamp: 'yesterday' }))).toBeUndefined();
    expect(fromSendGridEvent(null)).toBeUndefined();
    expect(fromSendGridEvent('delivered')).toBeUndefined();
    expect(fromSendGridEvent([sendGrid({ event: 'delivered' })])).toBeUndefined();
  });

  it('leaves out a missing or malformed attempt', () => {
    expect(fromSendGridEvent(sendGrid({ event: 'delivered', herald_attempt: undefined }))).not.toHaveProperty('attempt');
    expect(fromSendGridEvent(sendGrid({ event: 'delivered', herald_attempt: '0' }))).not.toHaveProperty('attempt');
    expect(fromSendGridEvent(sendGrid({ event: 'delivered', herald_attempt: 'x' }))).not.toHaveProperty('attempt');
  });

  it('clips a long reason to the contract limit', () => {
    const event = fromSendGridEvent(sendGrid({ event: 'dropped', reason: 'x'.repeat(2000) }));
    expect(event?.reason).toHaveLength(500);
  });
});

// Parameters as in Twilio's "Outbound message status in status callbacks".
const twilio = (fields: Record<string, string>): Record<string, string> => ({
  AccountSid: 'ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX',
  ApiVersion: '2010-04-01',
  From: '+15017122661',
  To: '+15558675310',
  MessageSid: 'SM1342fe1b2c904d1ab04f0fc7a58abca9',
  SmsSid: 'SM1342fe1b2c904d1ab04f0fc7a58abca9',
  MessagingServiceSid: 'MGXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX',
  ...fields,
});
const receivedAt = new Date('2026-03-01T10:00:00.000Z');
const query = { herald_id: id, herald_attempt: '1' };

describe('fromTwilioStatus', () => {
  it('maps delivered', () => {
    expect(fromTwilioStatus(twilio({ MessageStatus: 'delivered', SmsStatus: 'delivered' }), query, receivedAt)).toEqual({
      schemaVersion: 1,
      notificationId: id,
      attempt: 1,
      provider: 'twilio',
      providerMessageId: 'SM1342fe1b2c904d1ab04f0fc7a58abca9',
      status: 'delivered',
      at: '2026-03-01T10:00:00.000Z',
    });
  });

  it('maps undelivered and failed to undeliverable with the error code', () => {
    expect(fromTwilioStatus(twilio({ MessageStatus: 'undelivered', ErrorCode: '30003' }), query, receivedAt)).toMatchObject({
      status: 'undeliverable',
      reason: 'twilio error 30003',
    });
    expect(fromTwilioStatus(twilio({ MessageStatus: 'failed', ErrorCode: '30007' }), query, receivedAt)).toMatchObject({
      status: 'undeliverable',
      reason: 'twilio error 30007',
    });
    expect(fromTwilioStatus(twilio({ MessageStatus: 'failed' }), query, receivedAt)).not.toHaveProperty('reason');
  });

  it.each(['queued', 'accepted', 'scheduled', 'sending', 'sent', 'read', 'canceled', 'receiving', 'received'])('ignores %s', (status) => {
    expect(fromTwilioStatus(twilio({ MessageStatus: status }), query, receivedAt)).toBeUndefined();
  });

  it('ignores a callback without a valid herald_id', () => {
    expect(fromTwilioStatus(twilio({ MessageStatus: 'delivered' }), {}, receivedAt)).toBeUndefined();
    expect(fromTwilioStatus(twilio({ MessageStatus: 'delivered' }), { herald_id: 'ntf_NOPE' }, receivedAt)).toBeUndefined();
  });

  it('leaves out a malformed attempt', () => {
    const event = fromTwilioStatus(twilio({ MessageStatus: 'delivered' }), { herald_id: id, herald_attempt: '-1' }, receivedAt);
    expect(event).toBeDefined();
    expect(event).not.toHaveProperty('attempt');
  });
});
