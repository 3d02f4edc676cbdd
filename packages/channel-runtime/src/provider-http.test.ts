import type { ChannelDispatch } from '@herald/contracts';
import {
  axiosTransportOutcome,
  credentialsReason,
  errorCode,
  headerValue,
  httpReason,
  isRecord,
  networkErrorReason,
  parseRetryAfter,
  providerOutcomes,
  redactDispatch,
  redactEmailLike,
  redactKnown,
  retryAfterMs,
  timeoutReason,
  unexpectedStatusReason,
} from './provider-http.js';

const NOW = Date.parse('2030-01-01T00:00:00Z');
const now = (): number => NOW;

/** core-rest-pipeline's HttpHeaders in miniature: entries in a private map, a case-insensitive get. */
function mapHeaders(entries: Record<string, string>): { get(name: string): string | undefined } {
  const map = new Map(Object.entries(entries).map(([k, v]) => [k.toLowerCase(), v]));
  return { get: (name) => map.get(name.toLowerCase()) };
}

describe('isRecord', () => {
  it('is true for objects and arrays, false for null and primitives', () => {
    expect(isRecord({})).toBe(true);
    expect(isRecord([])).toBe(true);
    expect(isRecord(null)).toBe(false);
    expect(isRecord('x')).toBe(false);
    expect(isRecord(undefined)).toBe(false);
  });
});

describe('providerOutcomes', () => {
  const { permanent, transient } = providerOutcomes('acme');

  it('builds permanent and transient outcomes named after the provider', () => {
    expect(permanent('bad address')).toEqual({ kind: 'permanent', provider: 'acme', reason: 'bad address' });
    expect(transient('busy', 3000)).toEqual({ kind: 'transient', provider: 'acme', reason: 'busy', retryAfterMs: 3000 });
  });

  it('leaves retryAfterMs out, not undefined, when there is none', () => {
    expect(Object.keys(transient('busy'))).not.toContain('retryAfterMs');
    expect(Object.keys(transient('busy', undefined))).not.toContain('retryAfterMs');
  });
});

describe('headerValue', () => {
  it('finds a header in a record whatever its case, as string, number or first of a list', () => {
    expect(headerValue({ 'Retry-After': '5' }, 'retry-after')).toBe('5');
    expect(headerValue({ 'x-ratelimit-reset': 1700000000 }, 'x-ratelimit-reset')).toBe('1700000000');
    expect(headerValue({ 'x-message-id': ['a', 'b'] }, 'x-message-id')).toBe('a');
  });

  it('reads a Headers-like object through its get', () => {
    expect(headerValue(mapHeaders({ 'Retry-After-Ms': '250' }), 'retry-after-ms')).toBe('250');
  });

  it('is undefined when absent or not headers at all', () => {
    expect(headerValue({ other: '1' }, 'retry-after')).toBeUndefined();
    expect(headerValue({ 'retry-after': true }, 'retry-after')).toBeUndefined();
    expect(headerValue(undefined, 'retry-after')).toBeUndefined();
    expect(headerValue('retry-after: 5', 'retry-after')).toBeUndefined();
  });
});

describe('parseRetryAfter', () => {
  it('reads delta-seconds', () => {
    expect(parseRetryAfter(' 7 ', now)).toBe(7000);
    expect(parseRetryAfter('0', now)).toBe(0);
  });

  it('reads an HTTP-date against the clock, and a past date as 0', () => {
    expect(parseRetryAfter('Tue, 01 Jan 2030 00:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Mon, 31 Dec 2029 23:59:00 GMT', now)).toBe(0);
  });

  it('is undefined when absent, blank or unreadable', () => {
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter('  ', now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
  });
});

describe('retryAfterMs', () => {
  const azure = ['retry-after-ms', 'x-ms-retry-after-ms'];

  it('reads Retry-After from the headers', () => {
    expect(retryAfterMs({ 'retry-after': '2' }, now)).toBe(2000);
    expect(retryAfterMs({}, now)).toBeUndefined();
  });

  it('prefers the first millisecond header present', () => {
    expect(retryAfterMs({ 'retry-after-ms': '150', 'retry-after': '9' }, now, azure)).toBe(150);
    expect(retryAfterMs({ 'x-ms-retry-after-ms': '80', 'retry-after': '9' }, now, azure)).toBe(80);
    expect(retryAfterMs(mapHeaders({ 'x-ms-retry-after-ms': '80' }), now, azure)).toBe(80);
  });

  it('falls back to Retry-After when the first millisecond header present is unreadable', () => {
    expect(retryAfterMs({ 'retry-after-ms': 'x', 'x-ms-retry-after-ms': '80', 'retry-after': '9' }, now, azure)).toBe(9000);
  });

  it('ignores millisecond headers it was not asked to read', () => {
    expect(retryAfterMs({ 'retry-after-ms': '150', 'retry-after': '9' }, now)).toBe(9000);
  });
});

describe('reasons', () => {
  it('names provider and status, with the detail when there is one', () => {
    expect(httpReason('acme', 503)).toBe('acme HTTP 503');
    expect(httpReason('acme', 503, '')).toBe('acme HTTP 503');
    expect(httpReason('acme', 400, 'bad from')).toBe('acme HTTP 400: bad from');
    expect(credentialsReason(401)).toBe('provider rejected credentials (HTTP 401)');
    expect(credentialsReason(403, 'sender not verified')).toBe('provider rejected credentials (HTTP 403): sender not verified');
    expect(unexpectedStatusReason('acme', 302)).toBe('acme unexpected HTTP 302');
    expect(timeoutReason('acme', 2000)).toBe('acme timed out after 2000 ms');
    expect(timeoutReason('acme', 2000, 'ETIMEDOUT')).toBe('acme timed out after 2000 ms (ETIMEDOUT)');
    expect(networkErrorReason('acme', 'ECONNRESET')).toBe('acme network error: ECONNRESET');
  });
});

describe('errorCode', () => {
  it('is the string code of an error, else undefined', () => {
    expect(errorCode(Object.assign(new Error('reset'), { code: 'ECONNRESET' }))).toBe('ECONNRESET');
    expect(errorCode({ code: 404 })).toBeUndefined();
    expect(errorCode(new Error('plain'))).toBeUndefined();
    expect(errorCode('ECONNRESET')).toBeUndefined();
  });
});

describe('axiosTransportOutcome', () => {
  const failure = (code: string, message = 'failed'): Error => Object.assign(new Error(message), { code });

  it('reports a socket error by its code only', () => {
    expect(axiosTransportOutcome('acme', failure('ENOTFOUND', 'getaddrinfo ENOTFOUND api.acme.test'), 1000)).toEqual({
      kind: 'transient',
      provider: 'acme',
      reason: 'acme network error: ENOTFOUND',
    });
  });

  it('reports ETIMEDOUT, and ECONNABORTED saying timeout, as a timeout', () => {
    expect(axiosTransportOutcome('acme', failure('ETIMEDOUT'), 1000)).toMatchObject({ reason: 'acme timed out after 1000 ms (ETIMEDOUT)' });
    expect(axiosTransportOutcome('acme', failure('ECONNABORTED', 'timeout of 1000ms exceeded'), 1000)).toMatchObject({
      reason: 'acme timed out after 1000 ms (ECONNABORTED)',
    });
    expect(axiosTransportOutcome('acme', failure('ECONNABORTED', 'aborted'), 1000)).toMatchObject({ reason: 'acme network error: ECONNABORTED' });
  });

  it('is undefined for what is not a transport failure', () => {
    expect(axiosTransportOutcome('acme', new TypeError('bug'), 1000)).toBeUndefined();
    expect(axiosTransportOutcome('acme', { code: 500 }, 1000)).toBeUndefined();
  });
});

describe('redaction', () => {
  it('replaces every occurrence of each known value', () => {
    expect(redactKnown('to +15550001 from +15550002, again +15550001', ['+15550001', '+15550002'], '<number>')).toBe(
      'to <number> from <number>, again <number>',
    );
    expect(redactKnown('nothing here', [], '<x>')).toBe('nothing here');
  });

  it('replaces anything shaped like an email address', () => {
    expect(redactEmailLike('duplicate of [jane@example.com] and <bob@corp.test>')).toBe('duplicate of [<address>] and <<address>>');
    expect(redactEmailLike('no address')).toBe('no address');
  });

  it('replaces everything a dispatch opened, longest first, and leaves values too short to matter', () => {
    const message: ChannelDispatch = {
      schemaVersion: 2,
      notificationId: 'ntf_01jd0000000000000000000000',
      tenantId: 'acme',
      customerId: 'cus_1',
      attempt: 1,
      channel: 'push',
      priority: 'bulk',
      to: { devices: [{ platform: 'fcmv1', token: 'fcm-token-0001' }] },
      content: { title: 'Hi', text: 'Your code is 4829', data: { code: '4829' } },
    };
    expect(redactDispatch('no Hi for fcm-token-0001: "Your code is 4829" (4829), bob@corp.test', message)).toBe(
      'no Hi for <redacted>: "<redacted>" (<redacted>), <address>',
    );
  });

  it('can be used twice in a row: the address pattern keeps no state between calls', () => {
    expect(redactEmailLike('a@b.c')).toBe('<address>');
    expect(redactEmailLike('a@b.c')).toBe('<address>');
  });
});
