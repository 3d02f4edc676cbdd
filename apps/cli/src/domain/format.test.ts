import type { NotificationView } from '@herald/contracts';
import { abbreviate, fields, formatChange, formatHistory, formatKeys, formatProfile, formatProfileSummary, formatStatus, formatTrace, table, traceView } from './format.js';

const view: NotificationView = {
  id: 'ntf_01m886ytc1hd3842gt1fg0axj9',
  tenantId: 'local-dev',
  customerId: 'c-1',
  channel: 'email',
  channels: ['push', 'email'],
  priority: 'bulk',
  status: 'sent',
  attempts: 1,
  createdAt: '2026-12-03T10:00:00.000Z',
  updatedAt: '2026-12-03T10:00:01.000Z',
  metadata: { order: '4711' },
  timeline: [
    { at: '2026-12-03T10:00:00.000Z', status: 'accepted', channel: 'push', attempt: 0, traceId: '4b8d0000000000000000000000000001' },
    { at: '2026-12-03T10:00:00.100Z', status: 'dispatched', channel: 'push', attempt: 1, traceId: '4b8d0000000000000000000000000001' },
    { at: '2026-12-03T10:00:00.200Z', status: 'retrying', channel: 'push', attempt: 1, provider: 'sandbox-push', reason: 'push failed: no device\nfalling back to email' },
    { at: '2026-12-03T10:00:00.300Z', status: 'dispatched', channel: 'email', attempt: 1 },
    { at: '2026-12-03T10:00:01.000Z', status: 'sent', channel: 'email', attempt: 1, provider: 'sandbox-email', providerMessageId: 'sbx_1', traceId: '9f9f0000000000000000000000000002' },
  ],
};

describe('table and fields', () => {
  it('aligns columns under upper-case headers, with no blanks at the ends of lines', () => {
    expect(table(['id', 'status', 'reason'], [['a', 'sent', undefined], ['bbbb', null, 'x']])).toBe('ID    STATUS  REASON\na     sent\nbbbb          x\n');
  });

  it('keeps a cell with line breaks on its line', () => {
    expect(table(['a', 'b'], [['x\r\n  y', 1]])).toBe('A    B\nx y  1\n');
  });

  it('labels values and leaves out empty ones', () => {
    expect(fields([['id', 'x'], ['customer', undefined], ['attempts', 0]])).toBe('id        x\nattempts  0\n');
  });

  it('abbreviates long values only', () => {
    expect(abbreviate('short')).toBe('short');
    expect(abbreviate('0123456789abcdefghijklmnop')).toBe('01234567…mnop');
  });
});

describe('notification views', () => {
  it('shows the status with the channel among its list, the metadata and the timeline', () => {
    const text = formatStatus(view);
    expect(text).toMatch(/^id +ntf_01m886ytc1hd3842gt1fg0axj9\nstatus +sent\ncustomer +c-1\nchannel +email \(of push, email\)\n/);
    expect(text).toMatch(/metadata +order=4711/);
    expect(text).toMatch(/AT +STATUS +CHANNEL +ATTEMPT +REASON/);
    expect(text).toMatch(/retrying +push +1 +push failed: no device falling back to email/);
  });

  it('shows the trace: attempts, providers, reasons and a page for each trace id', () => {
    const text = formatTrace(view, 'http://127.0.0.1:16686/');
    expect(text).toMatch(/sent +email +1 +sandbox-email +sbx_1/);
    expect(text).toContain('traces:\n  http://127.0.0.1:16686/trace/4b8d0000000000000000000000000001\n  http://127.0.0.1:16686/trace/9f9f0000000000000000000000000002\n');
    expect(traceView(view, 'http://jaeger:16686')).toMatchObject({
      traceIds: ['4b8d0000000000000000000000000001', '9f9f0000000000000000000000000002'],
      traceUrl: 'http://jaeger:16686/trace/4b8d0000000000000000000000000001',
    });
  });

  it('says so when the timeline carries no trace id', () => {
    const untraced = { ...view, timeline: view.timeline.map(({ traceId: _t, ...e }) => e) };
    expect(formatTrace(untraced, 'http://x')).toMatch(/trace: none in the timeline/);
    expect(traceView(untraced, 'http://x')).not.toHaveProperty('traceUrl');
    expect(formatTrace({ ...view, timeline: [view.timeline[0]!] }, 'http://x')).toContain('trace: http://x/trace/4b8d0000000000000000000000000001\n');
  });

  it('prints a change on one line, final ones marked', () => {
    expect(formatChange({ id: 'ntf_a', at: 'T', status: 'sent', channel: 'email', attempt: 1, provider: 'p', final: true })).toBe('T  ntf_a  sent           email  attempt 1  p  (final)');
  });

  it('lists a history, with where the next page starts', () => {
    expect(formatHistory([view], 'cur')).toMatch(/^ID +STATUS +CHANNEL +PRIORITY +ATTEMPTS +CREATED +UPDATED\nntf_01m886ytc1hd3842gt1fg0axj9 +sent +email +bulk +1 /);
    expect(formatHistory([view], 'cur')).toMatch(/older: --before cur\n$/);
    expect(formatHistory([])).toBe('no notifications\n');
  });
});

describe('customers and keys', () => {
  const profile = { customerId: 'c-1', email: 'a@example.com', devices: [{ id: 'dev0123456789abc', platform: 'fcmv1' as const, token: 'tok-0123456789abcdefghij' }], updatedAt: 'T' };

  it('shows a profile, device tokens shortened', () => {
    const text = formatProfile(profile);
    expect(text).toMatch(/email +a@example.com/);
    expect(text).toMatch(/dev0123456789abc +fcmv1 +tok-0123…ghij/);
  });

  it('reports a change without the values', () => {
    const text = formatProfileSummary(profile, 'updated');
    expect(text).toBe('updated the profile of c-1: email; devices dev0123456789abc (fcmv1)\n');
    expect(text).not.toContain('a@example.com');
    expect(text).not.toContain('tok-');
  });

  it('lists keys by id, name, scopes and hint', () => {
    expect(formatKeys([{ id: 'key_1', name: 'billing', scopes: ['send', 'read'], hint: 'Xw2k', source: 'api', createdAt: 'T' }])).toMatch(/key_1 +billing +send,read +Xw2k +api +T\n/);
    expect(formatKeys([])).toBe('no keys\n');
  });
});
