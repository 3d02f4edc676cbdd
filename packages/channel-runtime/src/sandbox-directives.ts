import type { ChannelDispatch } from '@herald/contracts';

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
 * A device token is the request's `deviceToken` or any of the profile's `devices` (the sandbox
 * asks once per platform, with that platform's devices).
 *
 * (The phone numbers follow the shape of Twilio's test numbers; these are the sandbox's own.)
 */
export type SandboxDirective = { kind: 'permanent' } | { kind: 'transient'; attempts: number } | undefined;

export function sandboxDirective(to: ChannelDispatch['to']): SandboxDirective {
  if (to.phone === '+15005550001') return { kind: 'permanent' };
  const phone = /^\+1500555100([1-9])$/.exec(to.phone ?? '');
  if (phone?.[1]) return { kind: 'transient', attempts: Number(phone[1]) };
  const text = [to.email, to.deviceToken, ...(to.devices ?? []).map((d) => d.token)].join(' ');
  if (text.includes('fail-permanent')) return { kind: 'permanent' };
  const transient = /fail-transient-(\d{1,2})/.exec(text);
  if (transient?.[1]) return { kind: 'transient', attempts: Number(transient[1]) };
  return undefined;
}
