// What the state machine's tests share: a clock, the decision context, and a customer's data
// sealed as intake seals it (the machine only carries it).
import { newDataKey, seal } from '@herald/stores';
import type { DecideContext, NotificationState, PreferencesLookup } from './notification-machine.js';

export const t0 = new Date('2026-11-25T10:00:00.000Z');
export const at = (ms: number): Date => new Date(t0.getTime() + ms);
export const ctx = (over: Partial<DecideContext> = {}): DecideContext => ({
  now: t0,
  random: 0.5,
  policy: { maxAttempts: 3, baseDelayMs: 1_000, maxDelayMs: 60_000 },
  dispatch: { timeoutMs: 300_000, maxHandoffs: 3 },
  ...over,
});
export const none: PreferencesLookup = { kind: 'none' };

export function must(state: NotificationState | undefined): NotificationState {
  if (!state) throw new Error('expected state');
  return state;
}

const key = newDataKey();
export const sealed = (text: string) => seal(key, { tenantId: 'tenant-a', customerId: 'c-1' }, text);
export const to = { email: sealed('a@example.com'), phone: sealed('+14155550100'), deviceToken: sealed('device-token-1') };
