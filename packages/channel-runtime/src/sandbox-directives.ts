import type { Recipient } from '@herald/contracts';

/**
 * Failures the sandbox provider answers on demand, chosen by the recipient, so retries,
 * fallback and expiry can be tried without a real provider:
 *
 * | recipient                                            | answer                                  |
 * | ---------------------------------------------------- | --------------------------------------- |
 * | email or device token containing `fail-permanent`    | permanent failure                       |
 * | email or device token containing `fail-transient-N`  | transient failure on attempts 1..N      |
 * | phone `+15005550001`                                 | permanent failure (invalid number)      |
 * | phone `+1500555100N` (N = 1..9)                      | transient failure on attempts 1..N      |
 *
 * (The phone numbers follow the shape of Twilio's test numbers; these are the sandbox's own.)
 */
export type SandboxDirective = { kind: 'permanent' } | { kind: 'transient'; attempts: number } | undefined;

export function sandboxDirective(to: Recipient): SandboxDirective {
  if (to.phone === '+15005550001') return { kind: 'permanent' };
  const phone = /^\+1500555100([1-9])$/.exec(to.phone ?? '');
  if (phone?.[1]) return { kind: 'transient', attempts: Number(phone[1]) };
  const text = `${to.email ?? ''} ${to.deviceToken ?? ''}`;
  if (text.includes('fail-permanent')) return { kind: 'permanent' };
  const transient = /fail-transient-(\d{1,2})/.exec(text);
  if (transient?.[1]) return { kind: 'transient', attempts: Number(transient[1]) };
  return undefined;
}
