// What each scenario offers, and when: pure data, so the schedules are unit-tested and the
// load generator only has to follow them. Times are milliseconds from the start of the
// measured run.

export type Lane = 'critical' | 'bulk';
export const LANES: readonly Lane[] = ['critical', 'bulk'];

export type ScenarioName = 'steady' | 'ramp' | 'flood' | 'outage';
export const SCENARIOS: readonly ScenarioName[] = ['steady', 'ramp', 'flood', 'outage'];

/** One open-loop stream: `ratePerSec` notifications of one lane, evenly spaced, in [startMs, endMs). */
export interface Stream {
  label: string;
  lane: Lane;
  ratePerSec: number;
  startMs: number;
  endMs: number;
}

/** A named stretch of the run (a ramp step, the flood's idle and flood phases, an outage). */
export interface Phase {
  label: string;
  startMs: number;
  endMs: number;
  /** Offered notifications/s in this phase, all lanes. */
  ratePerSec: number;
}

export interface Plan {
  scenario: ScenarioName;
  streams: Stream[];
  phases: Phase[];
  /** When the last notification is due. */
  durationMs: number;
  /** The provider outage (outage scenario only). */
  outage?: { startMs: number; endMs: number };
}

export interface SteadyParams {
  ratePerSec: number;
  durationMs: number;
  /** Share of the offered rate sent as critical (0..1). */
  criticalShare: number;
}

export interface RampParams {
  fromPerSec: number;
  toPerSec: number;
  steps: number;
  stepMs: number;
  criticalShare: number;
}

export interface FloodParams {
  criticalPerSec: number;
  idleMs: number;
  floodMs: number;
  sustainablePerSec: number;
  /** The bulk flood is `factor` times the sustainable rate. */
  factor: number;
}

export interface OutageParams extends SteadyParams {
  outageStartMs: number;
  outageMs: number;
}

/** Splits one offered rate into a bulk stream and (if the share is not 0) a critical one. */
function mixed(label: string, ratePerSec: number, criticalShare: number, startMs: number, endMs: number): Stream[] {
  const critical = ratePerSec * criticalShare;
  const streams: Stream[] = [];
  if (ratePerSec - critical > 0) streams.push({ label, lane: 'bulk', ratePerSec: ratePerSec - critical, startMs, endMs });
  if (critical > 0) streams.push({ label, lane: 'critical', ratePerSec: critical, startMs, endMs });
  return streams;
}

export function steadyPlan(p: SteadyParams): Plan {
  return {
    scenario: 'steady',
    streams: mixed('steady', p.ratePerSec, p.criticalShare, 0, p.durationMs),
    phases: [{ label: 'steady', startMs: 0, endMs: p.durationMs, ratePerSec: p.ratePerSec }],
    durationMs: p.durationMs,
  };
}

/**
 * The offered rates of a ramp: `steps` rates from `from` to `to`, evenly spaced on a log scale
 * (the knee of a system is found by doubling, not by adding), rounded to whole numbers.
 */
export function rampRates(fromPerSec: number, toPerSec: number, steps: number): number[] {
  if (steps < 1) throw new Error('a ramp needs at least one step');
  if (steps === 1) return [Math.round(fromPerSec)];
  const ratio = Math.pow(toPerSec / fromPerSec, 1 / (steps - 1));
  return Array.from({ length: steps }, (_, i) => Math.round(fromPerSec * Math.pow(ratio, i)));
}

export function rampPlan(p: RampParams): Plan {
  const rates = rampRates(p.fromPerSec, p.toPerSec, p.steps);
  const phases = rates.map((ratePerSec, i) => ({ label: `${ratePerSec}/s`, startMs: i * p.stepMs, endMs: (i + 1) * p.stepMs, ratePerSec }));
  return {
    scenario: 'ramp',
    streams: phases.flatMap((ph) => mixed(ph.label, ph.ratePerSec, p.criticalShare, ph.startMs, ph.endMs)),
    phases,
    durationMs: rates.length * p.stepMs,
  };
}

/** Critical alone (the idle baseline), then the same critical stream beside a bulk flood. */
export function floodPlan(p: FloodParams): Plan {
  const end = p.idleMs + p.floodMs;
  const bulk = p.sustainablePerSec * p.factor;
  return {
    scenario: 'flood',
    streams: [
      { label: 'critical', lane: 'critical', ratePerSec: p.criticalPerSec, startMs: 0, endMs: end },
      { label: 'flood', lane: 'bulk', ratePerSec: bulk, startMs: p.idleMs, endMs: end },
    ],
    phases: [
      { label: 'idle', startMs: 0, endMs: p.idleMs, ratePerSec: p.criticalPerSec },
      { label: 'flood', startMs: p.idleMs, endMs: end, ratePerSec: p.criticalPerSec + bulk },
    ],
    durationMs: end,
  };
}

export function outagePlan(p: OutageParams): Plan {
  const outage = { startMs: p.outageStartMs, endMs: p.outageStartMs + p.outageMs };
  if (outage.endMs > p.durationMs) throw new Error('the outage must end before the run does');
  return {
    scenario: 'outage',
    streams: mixed('steady', p.ratePerSec, p.criticalShare, 0, p.durationMs),
    phases: [
      { label: 'before', startMs: 0, endMs: outage.startMs, ratePerSec: p.ratePerSec },
      { label: 'outage', startMs: outage.startMs, endMs: outage.endMs, ratePerSec: p.ratePerSec },
      { label: 'after', startMs: outage.endMs, endMs: p.durationMs, ratePerSec: p.ratePerSec },
    ],
    durationMs: p.durationMs,
    outage,
  };
}

/** How many notifications a stream offers: one every 1000/rate ms from its start, none at its end. */
export function streamCount(s: Stream): number {
  if (s.ratePerSec <= 0 || s.endMs <= s.startMs) return 0;
  return Math.ceil(((s.endMs - s.startMs) * s.ratePerSec) / 1000 - 1e-9);
}

/** When the k-th notification of a stream is due (open loop: never later because an earlier one was slow). */
export function dueAt(s: Stream, k: number): number {
  return s.startMs + (k * 1000) / s.ratePerSec;
}

/** The plan as far as it ran: streams and phases cut at `atMs` (a ramp stopped past its knee). */
export function truncatePlan(plan: Plan, atMs: number): Plan {
  const streams = plan.streams.filter((s) => s.startMs < atMs).map((s) => ({ ...s, endMs: Math.min(s.endMs, atMs) }));
  const phases = plan.phases.filter((p) => p.startMs < atMs).map((p) => ({ ...p, endMs: Math.min(p.endMs, atMs) }));
  return { ...plan, streams, phases, durationMs: Math.min(plan.durationMs, atMs) };
}

export function plannedCount(plan: Plan): number {
  return plan.streams.reduce((n, s) => n + streamCount(s), 0);
}
