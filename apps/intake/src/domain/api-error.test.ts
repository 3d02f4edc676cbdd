import { NotificationRequestSchema } from '@herald/contracts';
import { timingError, validationError } from './api-error.js';

function errorFor(body: unknown) {
  const parsed = NotificationRequestSchema.safeParse(body);
  if (parsed.success) throw new Error('expected a validation failure');
  return validationError(parsed.error.issues).error;
}

const valid = { customerId: 'c-1', channel: 'email', to: { email: 'a@example.com' }, content: { subject: 'Hi', text: 'Hello' } };

describe('validationError', () => {
  it('names a missing field', () => {
    const { customerId: _omit, ...body } = valid;
    expect(errorFor(body)).toMatchObject({ code: 'validation_failed', field: 'customerId', details: [{ field: 'customerId', code: 'required' }] });
  });

  it('gives an unknown channel its own code', () => {
    expect(errorFor({ ...valid, channel: 'pigeon' })).toMatchObject({ code: 'unknown_channel', field: 'channel' });
  });

  it('gives an unknown channel inside the fallback list the same code', () => {
    const { channel: _omit, ...body } = valid;
    expect(errorFor({ ...body, channels: ['email', 'pigeon'] })).toMatchObject({ code: 'unknown_channel', field: 'channels.1' });
  });

  it('names a recipient field of the wrong type', () => {
    expect(errorFor({ ...valid, channel: 'push', to: { deviceToken: 42 } })).toMatchObject({ code: 'validation_failed', field: 'to.deviceToken' });
  });

  it('rejects a phone number that is not E.164', () => {
    expect(errorFor({ ...valid, channel: 'sms', to: { phone: '415-555-0100' } })).toMatchObject({ field: 'to.phone', details: [{ code: 'invalid_format' }] });
  });

  it('rejects an invalid email address', () => {
    expect(errorFor({ ...valid, to: { email: 'not-an-address' } })).toMatchObject({ field: 'to.email', details: [{ code: 'invalid_format' }] });
  });

  it('requires a subject for email', () => {
    expect(errorFor({ ...valid, content: { text: 'Hello' } })).toMatchObject({ field: 'content.subject' });
  });

  it('rejects fields it does not know, so typos do not pass silently', () => {
    expect(errorFor({ ...valid, prority: 'critical' })).toMatchObject({ details: [{ code: 'unknown_field' }] });
  });

  it('lists every offending field', () => {
    expect(errorFor({ channel: 'email', to: 'a@example.com' }).details?.map((d) => d.field)).toEqual(['customerId', 'to', 'content']);
  });
});

describe('timingError', () => {
  it('answers like validationError: the first field at fault, every one in details', () => {
    expect(timingError([{ field: 'expiresAt', message: 'has already passed' }, { field: 'sendAt', message: 'must be at most 366 days ahead' }])).toEqual({
      error: {
        code: 'validation_failed',
        message: 'expiresAt: has already passed',
        field: 'expiresAt',
        details: [
          { field: 'expiresAt', message: 'has already passed', code: 'invalid_time' },
          { field: 'sendAt', message: 'must be at most 366 days ahead', code: 'invalid_time' },
        ],
      },
    });
  });
});
