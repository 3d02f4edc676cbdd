import { createSimulator } from './simulator.js';
import { simConfigPatchSchema } from './sim-config.js';

describe('simulator', () => {
  it('merges partial configuration per provider and field', () => {
    const sim = createSimulator({ twilio: { latencyMs: 50 } });
    const config = sim.configure({ twilio: { ratePerSec: 10 }, notificationhubs: { outage: true } });
    expect(config).toEqual({
      sendgrid: { latencyMs: 0, ratePerSec: 0, errorRate: 0, outage: false },
      twilio: { latencyMs: 50, ratePerSec: 10, errorRate: 0, outage: false },
      notificationhubs: { latencyMs: 0, ratePerSec: 0, errorRate: 0, outage: true },
    });
    config.twilio.latencyMs = 999;
    expect(sim.config().twilio.latencyMs).toBe(50);
  });

  it('rejects unknown providers, unknown fields and out-of-range values', () => {
    expect(simConfigPatchSchema.safeParse({ mailgun: {} }).success).toBe(false);
    expect(simConfigPatchSchema.safeParse({ sendgrid: { latency: 5 } }).success).toBe(false);
    expect(simConfigPatchSchema.safeParse({ sendgrid: { errorRate: 1.5 } }).success).toBe(false);
    expect(simConfigPatchSchema.safeParse({ sendgrid: { ratePerSec: -1 } }).success).toBe(false);
  });

  it('keeps statistics per provider and clears them, and the rate windows, on reset', () => {
    const sim = createSimulator({ sendgrid: { ratePerSec: 1 } });
    expect(sim.gate('sendgrid', 0, Math.random).kind).toBe('pass');
    sim.record('sendgrid', 202, 0);
    expect(sim.gate('sendgrid', 1, Math.random).kind).toBe('throttled');
    sim.record('sendgrid', 429, 1);
    sim.record('twilio', 401, 1);
    expect(sim.stats().sendgrid).toEqual({ received: 2, accepted: 1, rejected429: 1, failed5xx: 0, rejected4xx: 0, maxPerSecond: 1 });
    expect(sim.stats().twilio.rejected4xx).toBe(1);

    sim.reset();
    expect(sim.stats().sendgrid.received).toBe(0);
    expect(sim.gate('sendgrid', 2, Math.random).kind).toBe('pass');
    expect(sim.config().sendgrid.ratePerSec).toBe(1);
  });

  it("counts the devices of Notification Hubs' accepted requests only, and clears them on reset", () => {
    const sim = createSimulator();
    sim.record('notificationhubs', 201, 0, 3);
    sim.record('notificationhubs', 201, 1, 1);
    sim.record('notificationhubs', 503, 2, 5);
    sim.record('sendgrid', 202, 3, 7);
    expect(sim.stats().notificationhubs).toMatchObject({ received: 3, accepted: 2, failed5xx: 1, devices: 4 });
    expect(sim.stats().sendgrid).not.toHaveProperty('devices');

    sim.reset();
    expect(sim.stats().notificationhubs.devices).toBe(0);
  });
});
