import { describe, expect, it } from '@jest/globals';
import { formatHop, hopStep, parseHopArgs } from './hop.js';

describe('the sidecar round-trip measurement', () => {
  it('takes concurrencies and a step length, and refuses what it cannot run', () => {
    expect(parseHopArgs([])).toEqual({ concurrency: [1, 4, 16, 64], seconds: 8, json: undefined });
    expect(parseHopArgs(['--concurrency', '2, 8', '--seconds', '3', '--json', 'x.json'])).toEqual({ concurrency: [2, 8], seconds: 3, json: 'x.json' });
    expect(() => parseHopArgs(['--concurrency', '0'])).toThrow(/--concurrency/);
    expect(() => parseHopArgs(['--concurrency', '4,x'])).toThrow(/--concurrency/);
    expect(() => parseHopArgs(['--seconds', '0.5'])).toThrow(/--seconds/);
  });

  it('divides each process\'s CPU by the calls of its step', () => {
    const step = hopStep(16, 2000, 4, 1240, 300, 360);
    expect(step).toEqual({ concurrency: 16, callsPerSec: 500, cpuMsPerCall: { sidecar: 0.62, app: 0.15, caller: 0.18 } });
    expect(hopStep(1, 0, 4, 10, 10, 10).cpuMsPerCall.sidecar).toBeNaN();
    expect(formatHop([step])).toMatch(/^\s+16\s+500\s+0\.620\s+0\.150\s+0\.770\s+0\.180$/m);
  });
});
