import { isSampled, nearestParent, traceIdOf } from './trace.js';

const A = '4bf92f3577b34da6a3ce929d0e0e4736';
const B = '0af7651916cd43dd8448eb211c80319c';

describe('trace context', () => {
  it('reads the trace id of a well-formed traceparent only', () => {
    expect(traceIdOf(`00-${A}-00f067aa0ba902b7-01`)).toBe(A);
    expect(traceIdOf('00-xyz-00f067aa0ba902b7-01')).toBeUndefined();
    expect(traceIdOf(undefined)).toBeUndefined();
  });

  it("continues the sidecar's span when it is of the message's trace, else the message's own", () => {
    const carried = `00-${A}-00f067aa0ba902b7-01`;
    const sidecarsSpan = `00-${A}-b7ad6b7169203331-01`;
    expect(nearestParent(sidecarsSpan, carried)).toBe(sidecarsSpan);
    // A trace the sidecar started itself (a reminder, a shared bulk request): the message's wins.
    expect(nearestParent(`00-${B}-b7ad6b7169203331-01`, carried)).toBe(carried);
    expect(nearestParent(undefined, carried)).toBe(carried);
    expect(nearestParent('garbage', carried)).toBe(carried);
    expect(nearestParent(sidecarsSpan, undefined)).toBe(sidecarsSpan);
    expect(nearestParent(undefined, undefined)).toBeUndefined();
  });
});

describe('isSampled', () => {
  it('reads the sampled bit of the flags, and says no to what is not a traceparent', () => {
    expect(isSampled(`00-${A}-00f067aa0ba902b7-01`)).toBe(true);
    expect(isSampled(`00-${A}-00f067aa0ba902b7-03`)).toBe(true);
    expect(isSampled(`00-${A}-00f067aa0ba902b7-00`)).toBe(false);
    expect(isSampled(`00-${A}-00f067aa0ba902b7`)).toBe(false);
    expect(isSampled(undefined)).toBe(false);
  });
});
