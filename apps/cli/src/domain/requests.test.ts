import {
  apiKeyId,
  applyPreferences,
  ArgumentError,
  customerId,
  futureTime,
  historyQuery,
  keyRequest,
  notificationId,
  parseDuration,
  pastTime,
  preferenceEdits,
  profileChange,
  profileFromPatch,
  sendRequest,
} from './requests.js';

const now = new Date('2026-12-03T10:00:00.000Z');
const refused = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    if (err instanceof ArgumentError) return err.message;
    throw err;
  }
  throw new Error('not refused');
};

describe('sendRequest', () => {
  const email = { customer: 'c-1', channel: ['email'], email: 'a@example.com', subject: 'Hi', text: 'Hello' };

  it('maps the options to the request body', () => {
    expect(sendRequest(email, undefined, now)).toEqual({
      body: { customerId: 'c-1', channel: 'email', to: { email: 'a@example.com' }, content: { subject: 'Hi', text: 'Hello' } },
    });
  });

  it('makes a fallback list of several channels, comma-separated or repeated', () => {
    const body = sendRequest({ customer: 'c-1', channel: ['push,sms', 'email'], subject: 'Hi', text: 'x' }, undefined, now).body;
    expect(body).toMatchObject({ channels: ['push', 'sms', 'email'] });
    expect(body).not.toHaveProperty('channel');
    expect(body).not.toHaveProperty('to');
  });

  it('maps data, metadata, priority, times and the idempotency key', () => {
    const { body, idempotencyKey } = sendRequest(
      { customer: 'c-1', channel: ['push'], title: 'T', text: 'x', data: ['a=1', 'b=x=y'], metadata: ['order=4711'], priority: 'critical', 'send-at': '+10m', 'expires-at': '2026-12-04T00:00:00+01:00', 'idempotency-key': 'k-1' },
      undefined,
      now,
    );
    expect(body).toMatchObject({
      content: { title: 'T', text: 'x', data: { a: '1', b: 'x=y' } },
      metadata: { order: '4711' },
      priority: 'critical',
      sendAt: '2026-12-03T10:10:00.000Z',
      expiresAt: '2026-12-04T00:00:00+01:00',
    });
    expect(idempotencyKey).toBe('k-1');
  });

  it('puts the options over a request file, and keeps the file as written otherwise', () => {
    const file = { customerId: 'c-9', channels: ['sms', 'email'], to: { phone: '+14155550100' }, content: { subject: 'S', text: 'file' }, metadata: { a: '1' } };
    expect(sendRequest({}, file, now).body).toEqual(file);
    const body = sendRequest({ channel: ['email'], email: 'b@example.com', text: 'flag', metadata: ['b=2'] }, file, now).body;
    expect(body).toEqual({ customerId: 'c-9', channel: 'email', to: { phone: '+14155550100', email: 'b@example.com' }, content: { subject: 'S', text: 'flag' }, metadata: { a: '1', b: '2' } });
  });

  it.each([
    [{ ...email, customer: undefined }, /missing --customer <id>/],
    [{ ...email, channel: undefined }, /missing --channel/],
    [{ ...email, text: undefined }, /missing --text/],
    [{ ...email, channel: ['fax'] }, /--channel must be email, sms or push \(not "fax"\)/],
    [{ ...email, subject: undefined }, /--subject: required for channel "email"/],
    [{ ...email, email: 'nope' }, /--email: /],
    [{ ...email, channel: ['sms'], phone: '555' }, /--phone: must be an E.164 phone number/],
    [{ ...email, customer: 'a b' }, /--customer: only letters/],
    [{ ...email, channel: ['email,email'] }, /--channel: must not name a channel twice/],
    [{ ...email, data: ['novalue'] }, /--data takes key=value \(not "novalue"\)/],
    [{ ...email, 'send-at': 'tomorrow' }, /--send-at must be an ISO 8601 date-time with its offset/],
    [{ ...email, 'send-at': '2026-12-03T10:00:00' }, /--send-at must be an ISO 8601/],
    [{ ...email, 'send-at': '+1d', 'expires-at': '+1h' }, /--expires-at: must be after sendAt/],
    [{ ...email, 'idempotency-key': '' }, /--idempotency-key must be 1 to 255 characters/],
  ])('refuses %j', (options, message) => {
    expect(refused(() => sendRequest(options as Record<string, string | string[]>, undefined, now))).toMatch(message);
  });

  it('refuses a request file that is not one object, or has fields the request does not', () => {
    expect(refused(() => sendRequest({}, [1], now))).toMatch(/one JSON object/);
    expect(refused(() => sendRequest({}, { customerId: 'c', channel: 'sms', content: { text: 'x' }, extra: 1 }, now))).toMatch(/the request: Unrecognized key/i);
  });
});

describe('ids and times', () => {
  it('takes ids of the right form, and names what it expected', () => {
    expect(notificationId('ntf_01m886ytc1hd3842gt1fg0axj9')).toBe('ntf_01m886ytc1hd3842gt1fg0axj9');
    expect(refused(() => notificationId('ntf_x'))).toMatch(/expected a notification id such as ntf_/);
    expect(customerId('c-1:a@b.c')).toBe('c-1:a@b.c');
    expect(refused(() => customerId('..'))).toMatch(/expected a customer id/);
    expect(apiKeyId('key_0123456789abcdef')).toBe('key_0123456789abcdef');
    expect(apiKeyId('0123456789abcdef')).toBe('0123456789abcdef');
  });

  it('refuses a whole API key where a key id goes, without repeating it', () => {
    const key = 'hk_bG9jYWwtZGV2.key_0123456789abcdef.secretsecretsecretsecretsecretsecretsecret1';
    const message = refused(() => apiKeyId(key));
    expect(message).toMatch(/not a key/);
    expect(message).not.toContain('secret');
  });

  it('reads durations and times', () => {
    expect(parseDuration('1.5', 'x')).toBe(1500);
    expect(parseDuration('500ms', 'x')).toBe(500);
    expect(parseDuration('2h', 'x')).toBe(7_200_000);
    expect(refused(() => parseDuration('soon', 'timeout'))).toMatch(/--timeout must be a duration/);
    expect(futureTime('+90s', 'send-at', now)).toBe('2026-12-03T10:01:30.000Z');
    expect(pastTime('10m', 'since', now).toISOString()).toBe('2026-12-03T09:50:00.000Z');
    expect(pastTime('2026-12-01T00:00:00Z', 'since', now).toISOString()).toBe('2026-12-01T00:00:00.000Z');
    expect(refused(() => pastTime('yesterday', 'since', now))).toMatch(/--since must be/);
  });
});

describe('profileChange', () => {
  it('changes the fields given with a PATCH, --unset as null', () => {
    expect(profileChange({ email: 'a@example.com', device: ['fcmv1:abc:def-123'], unset: ['phone,locale'] }, undefined)).toEqual({
      method: 'PATCH',
      body: { email: 'a@example.com', devices: [{ platform: 'fcmv1', token: 'abc:def-123' }], phone: null, locale: null },
    });
  });

  it('replaces the profile with --replace or a file', () => {
    expect(profileChange({ phone: '+14155550100', replace: true }, undefined)).toEqual({ method: 'PUT', body: { phone: '+14155550100' } });
    expect(profileChange({}, { email: 'a@example.com' })).toEqual({ method: 'PUT', body: { email: 'a@example.com' } });
  });

  it('makes a PATCH into the PUT of a new profile without what it removes', () => {
    expect(profileFromPatch({ email: 'a@example.com', phone: null })).toEqual({ email: 'a@example.com' });
  });

  it.each([
    [{}, /nothing to set/],
    [{ phone: '12' }, /--phone: must be an E.164/],
    [{ timezone: 'Mars/Base' }, /--timezone: must be an IANA time zone/],
    [{ device: ['ios:abcdefgh'] }, /--device takes <platform>:<token>/],
    [{ device: ['abcdefgh'] }, /--device takes <platform>:<token>.*no platform/],
    [{ device: ['apns:abcdefgh', 'fcmv1:abcdefgh'] }, /--device \(devices.1.token\): listed twice/],
    [{ unset: ['name'] }, /--unset takes email, phone, locale, timezone, devices/],
    [{ email: 'a@example.com', unset: ['email'] }, /--email and --unset email contradict/],
  ])('refuses %j', (options, message) => {
    expect(refused(() => profileChange(options as Record<string, string | string[]>, undefined))).toMatch(message);
  });

  it('refuses a file with options, or a file that is not a profile', () => {
    expect(refused(() => profileChange({ email: 'a@example.com' }, {}))).toMatch(/either with --file or with options/);
    expect(refused(() => profileChange({}, { email: 'x' }))).toMatch(/the file's email/);
  });
});

describe('preferences', () => {
  const current = { timezone: 'Europe/Berlin', optedOut: ['sms' as const] };

  it('changes what intake has by the options', () => {
    expect(applyPreferences(current, preferenceEdits({ 'quiet-hours': '22:00-07:00', 'opt-out': ['push,email'] }))).toEqual({
      timezone: 'Europe/Berlin',
      quietHours: { start: '22:00', end: '07:00' },
      optedOut: ['email', 'sms', 'push'],
    });
    expect(applyPreferences({ ...current, quietHours: { start: '22:00', end: '07:00' } }, preferenceEdits({ 'no-quiet-hours': true, 'opt-in': ['sms'] }))).toEqual({ timezone: 'Europe/Berlin' });
  });

  it('starts from nothing with --replace', () => {
    expect(applyPreferences(current, preferenceEdits({ replace: true, 'opt-out': ['email'] }))).toEqual({ optedOut: ['email'] });
  });

  it('refuses what cannot work before anything is read, and what the result would not allow', () => {
    expect(refused(() => preferenceEdits({}))).toMatch(/nothing to set/);
    expect(refused(() => preferenceEdits({ 'quiet-hours': '10pm-7am' }))).toMatch(/--quiet-hours takes HH:MM-HH:MM/);
    expect(refused(() => preferenceEdits({ 'opt-out': ['fax'] }))).toMatch(/take email, sms or push \(not "fax"\)/);
    expect(refused(() => preferenceEdits({ 'opt-out': ['sms'], 'opt-in': ['sms'] }))).toMatch(/contradict/);
    expect(refused(() => applyPreferences({}, preferenceEdits({ 'quiet-hours': '22:00-07:00' })))).toMatch(/--timezone: required with quietHours/);
  });
});

describe('historyQuery and keyRequest', () => {
  it('maps and checks the history page', () => {
    expect(historyQuery({ limit: '50', before: 'cursor' })).toEqual({ limit: '50', before: 'cursor' });
    expect(refused(() => historyQuery({ limit: '500' }))).toMatch(/--limit must be a whole number from 1 to 100/);
  });

  it('maps and checks a key request', () => {
    expect(keyRequest({ scopes: ['send,read', 'read'], name: 'billing' })).toEqual({ scopes: ['send', 'read'], name: 'billing' });
    expect(refused(() => keyRequest({}))).toMatch(/missing --scopes/);
    expect(refused(() => keyRequest({ scopes: ['write'] }))).toMatch(/--scopes takes send, read, admin \(not "write"\)/);
  });
});
