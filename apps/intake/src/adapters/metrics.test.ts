import { Registry } from '@herald/service';
import type { BacklogSnapshot } from './backlog-monitor.js';
import { countedAccepts, createIntakeMetrics } from './metrics.js';

const lane = { streamLag: 4, streamPending: 2, queued: 3, inHand: 1, drainPerSecond: 12.5, queuedByChannel: { email: 2, sms: 1 }, oldestWaitingMs: 1500 };
const snapshot: BacklogSnapshot = { lanes: { critical: lane, bulk: { ...lane, oldestWaitingMs: 0 } }, observedAt: Date.now() };

function setup() {
  const registry = new Registry();
  const metrics = createIntakeMetrics(registry, { tenantClassOf: (t) => (t === 'acme' ? 'enterprise' : 'standard'), backlog: () => snapshot });
  return { registry, metrics };
}

describe('intake metrics', () => {
  it('counts each notification an accept route answers once: accepted by lane and tenant class, refused by code', async () => {
    const { registry, metrics } = setup();
    const single = countedAccepts(async (req: { tenantId: string; body: unknown }) => (req.tenantId === 'acme' ? { status: 202, json: { id: 'x' } } : { status: 429, json: { error: { code: 'quota_exceeded' } } }), 'single', metrics);
    await single({ tenantId: 'acme', body: { priority: 'critical' } });
    await single({ tenantId: 'other', body: { priority: 'bulk' } });
    const batch = countedAccepts(
      async () => ({
        status: 202,
        json: { accepted: 2, rejected: 1, results: [{ index: 0, status: 'accepted' }, { index: 1, status: 'rejected', error: { code: 'validation_failed' } }, { index: 2, status: 'accepted' }] },
      }),
      'batch',
      metrics,
    );
    await batch({ tenantId: 'other', body: { notifications: [{ priority: 'bulk' }, {}, { priority: 'critical' }] } });
    // A batch refused whole refuses each of its notifications.
    await countedAccepts(async () => ({ status: 429, json: { error: { code: 'quota_exceeded' } } }), 'batch', metrics)({ tenantId: 'other', body: { notifications: [{}, {}] } });

    const text = await registry.metrics();
    expect(text).toContain('herald_notifications_accepted_total{lane="critical",tenant_class="enterprise"} 1');
    expect(text).toContain('herald_notifications_accepted_total{lane="bulk",tenant_class="standard"} 1');
    expect(text).toContain('herald_notifications_accepted_total{lane="critical",tenant_class="standard"} 1');
    expect(text).toContain('herald_notifications_refused_total{reason="quota_exceeded"} 3');
    expect(text).toContain('herald_notifications_refused_total{reason="validation_failed"} 1');
    expect(text).toContain('herald_accept_request_duration_seconds_count{route="single",status="2xx"} 1');
    expect(text).toContain('herald_accept_request_duration_seconds_count{route="batch",status="4xx"} 1');
  });

  it("reads the lanes' backlog from the monitor's last reading when scraped", async () => {
    const text = await setup().registry.metrics();
    expect(text).toContain('herald_lane_backlog{lane="critical",stage="stream"} 4');
    expect(text).toContain('herald_lane_backlog{lane="bulk",stage="in_hand"} 1');
    expect(text).toContain('herald_lane_oldest_age_seconds{lane="critical"} 1.5');
    expect(text).toContain('herald_channel_queue_depth{channel="email",lane="critical"} 2');
    expect(text).toContain('herald_channel_queue_depth{channel="push",lane="bulk"} 0');
    expect(text).toContain('herald_lane_drain_per_second{lane="bulk"} 12.5');
  });
});
