import type { NotificationView, TimelineEntry } from '@herald/contracts';
import { allFinal, detectChanges, isFinal } from './tail.js';

const at = (s: number): string => new Date(Date.UTC(2026, 11, 3, 10, 0, s)).toISOString();
const viewOf = (id: string, timeline: TimelineEntry[]): NotificationView => ({
  id,
  tenantId: 't',
  customerId: 'c-1',
  status: timeline.at(-1)?.status ?? 'accepted',
  attempts: 1,
  createdAt: at(0),
  updatedAt: at(0),
  timeline,
});
const accepted: TimelineEntry = { at: at(0), status: 'accepted', channel: 'email', attempt: 0 };
const dispatched: TimelineEntry = { at: at(1), status: 'dispatched', channel: 'email', attempt: 1 };
const retrying: TimelineEntry = { at: at(2), status: 'retrying', channel: 'email', attempt: 1, reason: 'transient' };
const sent: TimelineEntry = { at: at(3), status: 'sent', channel: 'email', attempt: 2, provider: 'sandbox-email' };

describe('detectChanges', () => {
  it('prints each entry once, however the polls fall', () => {
    let seen: ReadonlyMap<string, number> = new Map();
    const printed: string[] = [];
    for (const timeline of [[accepted], [accepted], [accepted, dispatched, retrying], [accepted, dispatched, retrying, sent], [accepted, dispatched, retrying, sent]]) {
      const r = detectChanges(seen, [viewOf('ntf_a', timeline)]);
      seen = r.seen;
      printed.push(...r.changes.map((c) => c.status));
    }
    expect(printed).toEqual(['accepted', 'dispatched', 'retrying', 'sent']);
  });

  it('says whose change it is, with the whole entry, and whether it is final', () => {
    const { changes } = detectChanges(new Map(), [viewOf('ntf_a', [accepted, sent])]);
    expect(changes).toEqual([
      { id: 'ntf_a', customerId: 'c-1', ...accepted, final: false },
      { id: 'ntf_a', customerId: 'c-1', ...sent, final: true },
    ]);
  });

  it('orders the changes of several notifications by time', () => {
    const { changes } = detectChanges(new Map(), [viewOf('ntf_b', [{ ...accepted, at: at(1) }]), viewOf('ntf_a', [accepted, { ...dispatched, at: at(2) }])]);
    expect(changes.map((c) => `${c.id}:${c.status}`)).toEqual(['ntf_a:accepted', 'ntf_b:accepted', 'ntf_a:dispatched']);
  });

  it('takes entries before `since` as seen, and prints the later ones', () => {
    const r = detectChanges(new Map(), [viewOf('ntf_old', [accepted, dispatched]), viewOf('ntf_new', [accepted, dispatched, retrying])], new Date(at(2)));
    expect(r.changes.map((c) => `${c.id}:${c.status}`)).toEqual(['ntf_new:retrying']);
    expect(r.seen).toEqual(new Map([['ntf_old', 2], ['ntf_new', 3]]));
    // A notification seen before is not held to `since` again.
    expect(detectChanges(r.seen, [viewOf('ntf_old', [accepted, dispatched, sent])], new Date(at(9))).changes.map((c) => c.status)).toEqual(['sent']);
  });

  it('does not print again what a shortened timeline repeats', () => {
    const seen = new Map([['ntf_a', 3]]);
    const shorter = detectChanges(seen, [viewOf('ntf_a', [accepted, { ...sent, at: at(9) }])]);
    expect(shorter.changes).toEqual([]);
    expect(shorter.seen.get('ntf_a')).toBe(3);
  });

  it('leaves the seen map it was given as it was', () => {
    const seen = new Map<string, number>();
    detectChanges(seen, [viewOf('ntf_a', [accepted])]);
    expect(seen.size).toBe(0);
  });
});

describe('isFinal and allFinal', () => {
  it('calls final what Herald has no more to do for', () => {
    expect(['accepted', 'scheduled', 'dispatched', 'retrying'].map((s) => isFinal(s as never))).toEqual([false, false, false, false]);
    expect(['sent', 'delivered', 'failed', 'canceled', 'expired', 'suppressed', 'bounced', 'undeliverable'].every((s) => isFinal(s as never))).toBe(true);
  });

  it('waits for every id, a not-yet-read one included', () => {
    expect(allFinal(['a', 'b'], new Map([['a', 'sent']]))).toBe(false);
    expect(allFinal(['a', 'b'], new Map([['a', 'sent'], ['b', 'retrying']]))).toBe(false);
    expect(allFinal(['a', 'b'], new Map([['a', 'sent'], ['b', 'failed']]))).toBe(true);
  });
});
