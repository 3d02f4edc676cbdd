import { performance } from 'node:perf_hooks';
import { createLogger } from '@herald/service';
import { createSimulator, type Simulator } from '../domain/simulator.js';
import { startSimServer, type RunningSim, type SimServerDeps } from './server.js';

const log = createLogger('provider-sim', 'silent');
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((close) => close()));
});

async function start(deps: Partial<SimServerDeps> = {}): Promise<{ sim: RunningSim; simulator: Simulator }> {
  const simulator = deps.simulator ?? createSimulator();
  const sim = await startSimServer({ log, ...deps, simulator }, 0, '127.0.0.1');
  cleanups.push(sim.close);
  return { sim, simulator };
}

const call = (sim: RunningSim, method: string, path: string, body?: unknown) =>
  fetch(`${sim.url}${path}`, {
    method,
    headers: { 'Content-Type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(5_000),
  });

const sendEmail = (sim: RunningSim) =>
  fetch(`${sim.url}/v3/mail/send`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: 'Bearer SG.test' },
    body: JSON.stringify({
      personalizations: [{ to: [{ email: 'ada@example.com' }] }],
      from: { email: 'herald@example.com' },
      subject: 's',
      content: [{ type: 'text/plain', value: 'x' }],
    }),
    signal: AbortSignal.timeout(5_000),
  });

async function burst(sim: RunningSim, count: number): Promise<Response[]> {
  const responses = await Promise.all(Array.from({ length: count }, () => sendEmail(sim)));
  await Promise.all(responses.map((res) => res.arrayBuffer()));
  return responses;
}

describe('control API', () => {
  it('answers the full configuration after a partial update, and on GET', async () => {
    const { sim } = await start();
    const put = await call(sim, 'PUT', '/_sim/config', { twilio: { latencyMs: 5 }, sendgrid: { errorRate: 0.25 } });
    expect(put.status).toBe(200);
    const expected = {
      sendgrid: { latencyMs: 0, ratePerSec: 0, errorRate: 0.25, outage: false },
      twilio: { latencyMs: 5, ratePerSec: 0, errorRate: 0, outage: false },
      notificationhubs: { latencyMs: 0, ratePerSec: 0, errorRate: 0, outage: false },
    };
    expect(await put.json()).toEqual(expected);
    await call(sim, 'PUT', '/_sim/config', { twilio: { ratePerSec: 3 } });
    expect(await (await call(sim, 'GET', '/_sim/config')).json()).toEqual({ ...expected, twilio: { ...expected.twilio, ratePerSec: 3 } });
  });

  it('answers 400 naming the field for an invalid configuration, and changes nothing', async () => {
    const { sim, simulator } = await start();
    const res = await call(sim, 'PUT', '/_sim/config', { sendgrid: { errorRate: 2 } });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: 'invalid_config', issues: [{ path: 'sendgrid.errorRate' }] });
    expect(simulator.config().sendgrid.errorRate).toBe(0);
  });

  it('answers stats per provider and clears them on reset, keeping the configuration', async () => {
    const { sim } = await start();
    await call(sim, 'PUT', '/_sim/config', { sendgrid: { latencyMs: 1 } });
    await burst(sim, 3);
    const stats = await (await call(sim, 'GET', '/_sim/stats')).json();
    expect(stats).toEqual({
      sendgrid: { received: 3, accepted: 3, rejected429: 0, failed5xx: 0, rejected4xx: 0, maxPerSecond: 3 },
      twilio: { received: 0, accepted: 0, rejected429: 0, failed5xx: 0, rejected4xx: 0, maxPerSecond: 0 },
      notificationhubs: { received: 0, accepted: 0, rejected429: 0, failed5xx: 0, rejected4xx: 0, maxPerSecond: 0, devices: 0 },
    });
    expect((await call(sim, 'POST', '/_sim/reset')).status).toBe(204);
    expect(await (await call(sim, 'GET', '/_sim/stats')).json()).toMatchObject({ sendgrid: { received: 0, accepted: 0, maxPerSecond: 0 } });
    expect(await (await call(sim, 'GET', '/_sim/config')).json()).toMatchObject({ sendgrid: { latencyMs: 1 } });
  });

  it('answers /healthz, 404 JSON for unknown routes and 405 for a wrong method', async () => {
    const { sim } = await start();
    expect(await (await call(sim, 'GET', '/healthz')).json()).toEqual({ status: 'ok' });
    const missing = await call(sim, 'POST', '/v2/mail/send', {});
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: 'not_found', message: 'no route for POST /v2/mail/send' });
    const wrong = await call(sim, 'GET', '/v3/mail/send');
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('POST');
  });

  it("routes Notification Hubs' single and batch send paths, and nothing else under messages", async () => {
    const { sim } = await start();
    for (const path of ['/herald/messages', '/herald/messages/', '/herald/messages/$batch']) {
      expect([path, (await call(sim, 'GET', path)).status]).toEqual([path, 405]);
    }
    for (const path of ['/herald/messages/batch', '/herald/messages/$batch/', '/herald/messages$batch']) {
      expect([path, (await call(sim, 'POST', path)).status]).toEqual([path, 404]);
    }
  });
});

describe('programmable behaviour', () => {
  it('with ratePerSec 20, lets 20 of a 60-request burst through and throttles the rest with Retry-After', async () => {
    // A frozen clock makes the burst one instant however slow the machine is.
    let clock = 1_000;
    const { sim, simulator } = await start({ now: () => clock });
    simulator.configure({ sendgrid: { ratePerSec: 20 } });
    const responses = await burst(sim, 60);
    expect(responses.filter((r) => r.status === 202)).toHaveLength(20);
    const throttled = responses.filter((r) => r.status === 429);
    expect(throttled).toHaveLength(40);
    expect(throttled.every((r) => r.headers.get('retry-after') === '1')).toBe(true);
    expect(simulator.stats().sendgrid).toEqual({ received: 60, accepted: 20, rejected429: 40, failed5xx: 0, rejected4xx: 0, maxPerSecond: 20 });

    clock += 999;
    expect((await sendEmail(sim)).status).toBe(429);
    clock += 1;
    expect((await sendEmail(sim)).status).toBe(202);
    expect(simulator.stats().sendgrid.maxPerSecond).toBe(20);
  });

  it('holds maxPerSecond to the limit on the real clock too', async () => {
    const { sim, simulator } = await start();
    simulator.configure({ sendgrid: { ratePerSec: 20 } });
    const responses = await burst(sim, 60);
    const accepted = responses.filter((r) => r.status === 202).length;
    expect(accepted).toBeGreaterThanOrEqual(20);
    expect(responses.filter((r) => r.status === 429).length).toBe(60 - accepted);
    expect(simulator.stats().sendgrid.maxPerSecond).toBeLessThanOrEqual(20);
  });

  it('with errorRate 1, fails every request with 500 or 503', async () => {
    const { sim, simulator } = await start();
    simulator.configure({ sendgrid: { errorRate: 1 } });
    const responses = await burst(sim, 10);
    expect(responses.every((r) => r.status === 500 || r.status === 503)).toBe(true);
    expect(simulator.stats().sendgrid).toMatchObject({ received: 10, accepted: 0, failed5xx: 10 });
  });

  it('uses the injected draw to choose between 500 and 503', async () => {
    const draws = [0.1, 0.9];
    const { sim, simulator } = await start({ random: () => draws.shift() ?? 0 });
    simulator.configure({ sendgrid: { errorRate: 1 } });
    expect((await sendEmail(sim)).status).toBe(500);
    expect((await sendEmail(sim)).status).toBe(503);
  });

  it('answers 503 to everything during an outage, and recovers when it ends', async () => {
    const { sim } = await start();
    await call(sim, 'PUT', '/_sim/config', { sendgrid: { outage: true } });
    const down = await sendEmail(sim);
    expect(down.status).toBe(503);
    expect(await down.json()).toEqual({ errors: [{ message: 'service unavailable', field: null, help: null }] });
    await call(sim, 'PUT', '/_sim/config', { sendgrid: { outage: false } });
    expect((await sendEmail(sim)).status).toBe(202);
  });

  it('delays answers by the configured latency', async () => {
    const { sim } = await start();
    await call(sim, 'PUT', '/_sim/config', { sendgrid: { latencyMs: 150 } });
    const started = performance.now();
    const res = await sendEmail(sim); // bounded by the 5 s abort signal
    const elapsed = performance.now() - started;
    expect(res.status).toBe(202);
    // Node's timers may fire up to a millisecond early against performance.now().
    expect(elapsed).toBeGreaterThanOrEqual(149);
  });
});
