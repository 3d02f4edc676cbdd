import type { DeliveryOutcome } from '@herald/contracts';
import { combinePlatformOutcomes, devicesByPlatform } from './push-devices.js';

const sent = (id: string): DeliveryOutcome => ({ kind: 'sent', provider: 'nh', providerMessageId: id });
const transient = (reason: string, retryAfterMs?: number): DeliveryOutcome => ({ kind: 'transient', provider: 'nh', reason, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) });
const permanent = (reason: string): DeliveryOutcome => ({ kind: 'permanent', provider: 'nh', reason });

describe('devices by platform', () => {
  it('groups the tokens of each platform, in the order the platforms first appear, each token once', () => {
    const groups = devicesByPlatform([
      { platform: 'fcmv1', token: 'f1' },
      { platform: 'apns', token: 'a1' },
      { platform: 'fcmv1', token: 'f2' },
      { platform: 'fcmv1', token: 'f1' },
    ]);
    expect([...groups]).toEqual([
      ['fcmv1', ['f1', 'f2']],
      ['apns', ['a1']],
    ]);
  });
});

describe('combined outcome of one push per platform', () => {
  it('is sent when any platform\'s call was accepted, with each accepted call\'s id', () => {
    expect(combinePlatformOutcomes('nh', [{ platform: 'apns', outcome: sent('a-1') }, { platform: 'fcmv1', outcome: sent('f-1') }])).toEqual(sent('apns:a-1,fcmv1:f-1'));
    expect(combinePlatformOutcomes('nh', [{ platform: 'apns', outcome: permanent('HTTP 410') }, { platform: 'fcmv1', outcome: sent('f-1') }])).toEqual(sent('fcmv1:f-1'));
    expect(combinePlatformOutcomes('nh', [{ platform: 'apns', outcome: transient('HTTP 503') }, { platform: 'fcmv1', outcome: sent('f-1') }])).toEqual(sent('fcmv1:f-1'));
  });

  it('is transient when none was accepted and one failure may pass, waiting the longest wait asked for', () => {
    expect(
      combinePlatformOutcomes('nh', [
        { platform: 'apns', outcome: transient('HTTP 429', 2_000) },
        { platform: 'fcmv1', outcome: transient('HTTP 429', 5_000) },
      ]),
    ).toEqual(transient('apns: HTTP 429; fcmv1: HTTP 429', 5_000));
    expect(combinePlatformOutcomes('nh', [{ platform: 'apns', outcome: permanent('HTTP 410') }, { platform: 'fcmv1', outcome: transient('HTTP 503') }])).toEqual(
      transient('apns: HTTP 410; fcmv1: HTTP 503'),
    );
  });

  it('is permanent when every platform refused for good', () => {
    expect(combinePlatformOutcomes('nh', [{ platform: 'apns', outcome: permanent('HTTP 410') }, { platform: 'fcmv1', outcome: permanent('HTTP 400') }])).toEqual(
      permanent('apns: HTTP 410; fcmv1: HTTP 400'),
    );
  });
});
