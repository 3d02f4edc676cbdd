import { useTestRedis } from '../../../test/support/test-redis.js';
import { createCircuitBreaker, type CircuitBreaker, type CircuitBreakerOptions } from './circuit-breaker.js';

// Against the real Redis of the local stack, in a key namespace of its own.
const { redis, keys, connect } = await useTestRedis();
const otherReplica = await connect();

/** Polls until `check` holds, failing after `timeoutMs`. */
async function waitFor(check: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function recordMany(breaker: CircuitBreaker, outcome: 'success' | 'failure', n: number): Promise<void> {
  for (let i = 0; i < n; i++) await breaker.record(outcome);
}

const halfOpen = (breaker: CircuitBreaker) => waitFor(async () => (await breaker.state()).state === 'half-open');

let rolled = 0.2; // what `random()` returns: admission in half-open is then deterministic
const breaker = (name: string, opts: Partial<CircuitBreakerOptions> = {}, client = redis): CircuitBreaker =>
  createCircuitBreaker(client, keys, { name, ...opts }, () => rolled);

describe('circuit breaker', () => {
  beforeEach(() => {
    rolled = 0.2;
  });

  it('stays closed below the minimum number of calls and below the failure rate', async () => {
    const few = breaker('few');
    await recordMany(few, 'failure', 9);
    await expect(few.state()).resolves.toEqual({ state: 'closed', fraction: 1 });
    const mostlyFine = breaker('mostly-fine');
    await recordMany(mostlyFine, 'success', 6);
    await recordMany(mostlyFine, 'failure', 4);
    await expect(mostlyFine.state()).resolves.toEqual({ state: 'closed', fraction: 1 });
    await expect(mostlyFine.admit()).resolves.toEqual({ admitted: true });
  });

  it('opens at half of at least 10 calls failing, and rejects everything while open', async () => {
    const b = breaker('opens', { openMs: 5000 });
    await recordMany(b, 'success', 5);
    await recordMany(b, 'failure', 5);
    await expect(b.state()).resolves.toEqual({ state: 'open', fraction: 0 });
    rolled = 0; // even the luckiest call is turned away
    const answer = await b.admit();
    expect(answer.admitted).toBe(false);
    if (!answer.admitted) {
      expect(answer.retryAfterMs).toBeGreaterThan(4500);
      expect(answer.retryAfterMs).toBeLessThanOrEqual(5000);
    }
    // Results of calls that were already under way when it opened change nothing.
    await recordMany(b, 'success', 20);
    await expect(b.state()).resolves.toEqual({ state: 'open', fraction: 0 });
  });

  it('is shared: a breaker opened by one replica is open for another', async () => {
    const mine = breaker('shared', { openMs: 5000 });
    const theirs = breaker('shared', { openMs: 5000 }, otherReplica);
    await recordMany(mine, 'failure', 5);
    await recordMany(theirs, 'failure', 5);
    await expect(theirs.state()).resolves.toEqual({ state: 'open', fraction: 0 });
    await expect(mine.admit()).resolves.toMatchObject({ admitted: false });
    await expect(theirs.admit()).resolves.toMatchObject({ admitted: false });
  });

  it('forgets failures that slid out of the window', async () => {
    const windowMs = 300;
    const b = breaker('window', { failureThreshold: { windowMs } });
    const redisMs = async () => {
      const [sec, micro] = await redis.time();
      return Number(sec) * 1000 + Number(micro) / 1000;
    };
    await recordMany(b, 'failure', 9);
    const after = (await redisMs()) + windowMs + windowMs / 10;
    await waitFor(async () => (await redisMs()) > after);
    await b.record('failure');
    await expect(b.state()).resolves.toEqual({ state: 'closed', fraction: 1 });
  });

  it('after openMs lets a growing fraction through as successes come in, then closes', async () => {
    const b = breaker('ramp', { openMs: 150 });
    const other = breaker('ramp', { openMs: 150 }, otherReplica);
    await recordMany(b, 'failure', 10);
    await halfOpen(b);

    await expect(other.state()).resolves.toEqual({ state: 'half-open', fraction: 0.1 });
    // 0.2 ≥ 0.1: turned away, told to come back after most of an open period.
    await expect(b.admit()).resolves.toEqual({ admitted: false, retryAfterMs: 135 });
    rolled = 0.05;
    await expect(b.admit()).resolves.toEqual({ admitted: true });

    rolled = 0.2;
    await recordMany(b, 'success', 4);
    await expect(b.state()).resolves.toEqual({ state: 'half-open', fraction: 0.1 });
    await other.record('success'); // successes from any replica count
    await expect(b.state()).resolves.toEqual({ state: 'half-open', fraction: 0.25 });
    await expect(b.admit()).resolves.toEqual({ admitted: true });

    await recordMany(b, 'success', 5);
    await expect(b.state()).resolves.toEqual({ state: 'half-open', fraction: 0.5 });
    await recordMany(b, 'success', 5);
    await expect(b.state()).resolves.toEqual({ state: 'half-open', fraction: 1 });
    await recordMany(b, 'success', 4);
    await expect(b.state()).resolves.toEqual({ state: 'half-open', fraction: 1 });
    await b.record('success');
    await expect(b.state()).resolves.toEqual({ state: 'closed', fraction: 1 });
    await expect(other.state()).resolves.toEqual({ state: 'closed', fraction: 1 });
  });

  it('re-opens on any failure while half-open, for twice as long each time up to the cap', async () => {
    const b = breaker('reopen', { openMs: 100, maxOpenMs: 250 });
    await recordMany(b, 'failure', 10);
    const retryAfter = async (): Promise<number> => {
      const answer = await b.admit();
      if (answer.admitted) throw new Error('admitted while open');
      return answer.retryAfterMs;
    };
    expect(await retryAfter()).toBeLessThanOrEqual(100);

    await halfOpen(b);
    await recordMany(b, 'success', 7); // already on the second step: still any failure re-opens
    await b.record('failure');
    await expect(b.state()).resolves.toEqual({ state: 'open', fraction: 0 });
    const doubled = await retryAfter();
    expect(doubled).toBeGreaterThan(150);
    expect(doubled).toBeLessThanOrEqual(200);

    await halfOpen(b);
    await b.record('failure');
    const capped = await retryAfter();
    expect(capped).toBeGreaterThan(200);
    expect(capped).toBeLessThanOrEqual(250);

    // A full recovery forgets the doubling: the next outage starts at openMs again.
    await halfOpen(b);
    await recordMany(b, 'success', 20);
    await expect(b.state()).resolves.toEqual({ state: 'closed', fraction: 1 });
    await recordMany(b, 'failure', 10);
    expect(await retryAfter()).toBeLessThanOrEqual(100);
  });

  it('refuses impossible settings at start', () => {
    expect(() => breaker('bad', { rampSteps: [] })).toThrow(RangeError);
    expect(() => breaker('bad', { rampSteps: [0.5, 0.25, 1] })).toThrow(RangeError);
    expect(() => breaker('bad', { rampSteps: [0, 1] })).toThrow(RangeError);
    expect(() => breaker('bad', { failureThreshold: { rate: 0 } })).toThrow(RangeError);
    expect(() => breaker('bad', { successesPerStep: 0 })).toThrow(RangeError);
  });
});
