import { describe, expect, it } from '@jest/globals';
import { moduleOf, summarizeCpuProfile, type CpuProfile } from './profile.js';

// Four nodes: root, idle, and two functions; samples every 1 ms from t = 1,000,000 µs.
const profile: CpuProfile = {
  nodes: [
    { id: 1, callFrame: { functionName: '(root)', url: '', lineNumber: -1 }, children: [2, 3, 4] },
    { id: 2, callFrame: { functionName: '(idle)', url: '', lineNumber: -1 } },
    { id: 3, callFrame: { functionName: 'decide', url: 'file:///work/main/apps/dispatcher/dist/domain/notification-machine.js', lineNumber: 9 } },
    { id: 4, callFrame: { functionName: 'parse', url: 'file:///work/main/node_modules/zod/v4/core/parse.js', lineNumber: 0 }, children: [5] },
    { id: 5, callFrame: { functionName: 'writev', url: '', lineNumber: -1 } },
  ],
  startTime: 1_000_000,
  endTime: 1_010_000,
  //        1ms 2ms 3ms 4ms 5ms 6ms 7ms 8ms 9ms 10ms
  samples: [3, 3, 4, 2, 2, 3, 4, 5, 4, 2],
  timeDeltas: [1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000],
};

describe('CPU profile summary', () => {
  it('sums self time per function, leaves idle out, and names frames as a reader knows them', () => {
    const s = summarizeCpuProfile(profile);
    expect(s.busyMs).toBe(7);
    expect(s.windowed).toBe(false);
    expect(s.top).toEqual([
      { name: 'decide apps/dispatcher/dist/domain/notification-machine.js:10', selfMs: 3, share: 3 / 7 },
      { name: 'parse zod/v4/core/parse.js:1', selfMs: 3, share: 3 / 7 },
      { name: 'writev', selfMs: 1, share: 1 / 7 },
    ]);
  });

  it('charges a native frame to the module of its nearest caller with a source', () => {
    expect(summarizeCpuProfile(profile).modules).toEqual([
      { name: 'zod', selfMs: 4, share: 4 / 7 },
      { name: 'apps/dispatcher/domain', selfMs: 3, share: 3 / 7 },
    ]);
  });

  it('names modules by package, app folder or Node internal', () => {
    expect(moduleOf('file:///w/node_modules/@dapr/dapr/x/y.js')).toBe('@dapr/dapr');
    expect(moduleOf('file:///w/apps/intake/dist/adapters/routes/notifications.js')).toBe('apps/intake/adapters/routes');
    expect(moduleOf('file:///w/packages/dapr/dist/index.js')).toBe('packages/dapr');
    expect(moduleOf('node:internal/stream_base_commons')).toBe('node:internal/stream_base_commons');
  });

  it('keeps only the samples inside the measured window', () => {
    const s = summarizeCpuProfile(profile, 5, { fromUs: 1_005_500, toUs: 1_009_000 });
    expect(s.windowed).toBe(true);
    expect(s.top).toEqual([
      { name: 'parse zod/v4/core/parse.js:1', selfMs: 2, share: 2 / 4 },
      { name: 'decide apps/dispatcher/dist/domain/notification-machine.js:10', selfMs: 1, share: 1 / 4 },
      { name: 'writev', selfMs: 1, share: 1 / 4 },
    ]);
  });

  it('falls back to the whole profile when the window misses it', () => {
    expect(summarizeCpuProfile(profile, 5, { fromUs: 0, toUs: 10 }).busyMs).toBe(7);
  });
});
