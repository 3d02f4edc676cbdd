import { createProviderGate } from './provider-gate.js';
import { DEFAULT_BEHAVIOUR, type ProviderBehaviour } from './sim-config.js';

const never = (): number => {
  throw new Error('no draw expected');
};
const behaviour = (patch: Partial<ProviderBehaviour>): ProviderBehaviour => ({ ...DEFAULT_BEHAVIOUR, ...patch });

describe('provider gate', () => {
  it('lets everything through by default, without drawing', () => {
    const gate = createProviderGate();
    for (let t = 0; t < 100; t++) expect(gate.decide(DEFAULT_BEHAVIOUR, t, never)).toEqual({ kind: 'pass' });
  });

  it('admits ratePerSec requests in a second, then throttles until the oldest is a second old', () => {
    const gate = createProviderGate();
    const limited = behaviour({ ratePerSec: 3 });
    expect([0, 10, 20].map((t) => gate.decide(limited, t, never).kind)).toEqual(['pass', 'pass', 'pass']);
    expect(gate.decide(limited, 400, never)).toEqual({ kind: 'throttled', limit: 3, retryAfterMs: 600 });
    expect(gate.decide(limited, 999, never)).toEqual({ kind: 'throttled', limit: 3, retryAfterMs: 1 });
    expect(gate.decide(limited, 1_000, never)).toEqual({ kind: 'pass' });
    // Throttled requests do not count against the limit.
    expect(gate.decide(limited, 1_010, never)).toEqual({ kind: 'pass' });
  });

  it('answers an outage before anything else and counts nothing against the limit', () => {
    const gate = createProviderGate();
    expect(gate.decide(behaviour({ outage: true, ratePerSec: 1, errorRate: 1 }), 0, never)).toEqual({ kind: 'outage' });
    expect(gate.decide(behaviour({ ratePerSec: 1 }), 1, never)).toEqual({ kind: 'pass' });
  });

  it('fails the drawn share of requests, 500 in the lower half of the band and 503 above', () => {
    const gate = createProviderGate();
    const flaky = behaviour({ errorRate: 0.4 });
    expect(gate.decide(flaky, 0, () => 0.1)).toEqual({ kind: 'fault', status: 500 });
    expect(gate.decide(flaky, 0, () => 0.3)).toEqual({ kind: 'fault', status: 503 });
    expect(gate.decide(flaky, 0, () => 0.4)).toEqual({ kind: 'pass' });
    expect(gate.decide(behaviour({ errorRate: 1 }), 0, () => 0.999)).toEqual({ kind: 'fault', status: 503 });
  });

  it('forgets the admitted requests when cleared', () => {
    const gate = createProviderGate();
    const limited = behaviour({ ratePerSec: 1 });
    gate.decide(limited, 0, never);
    expect(gate.decide(limited, 1, never).kind).toBe('throttled');
    gate.clear();
    expect(gate.decide(limited, 2, never).kind).toBe('pass');
  });
});
