// The run over time as one self-contained HTML page (inline SVG: no script, no network):
// throughput, latency per lane, backlog and the stack's CPU, with the scenario's phases shaded.
import type { BenchResult } from './report.js';
import type { Phase } from './schedule.js';

export interface Line {
  name: string;
  color: string;
  values: ReadonlyArray<number | undefined>;
  dashed?: boolean;
}

export interface ChartSpec {
  title: string;
  yLabel: string;
  lines: Line[];
  bucketMs: number;
  /** Log scale (latency spans milliseconds to minutes once a backlog forms). */
  log?: boolean;
  phases?: readonly Phase[];
}

const W = 960;
const H = 260;
const M = { left: 64, right: 150, top: 28, bottom: 34 };

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Round axis steps: 1, 2, 5 × 10^k. */
export function niceStep(range: number, ticks = 5): number {
  if (!(range > 0)) return 1;
  const raw = range / ticks;
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const norm = raw / mag;
  return (norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 5 ? 5 : 10) * mag;
}

export function lineChart(spec: ChartSpec): string {
  const n = Math.max(1, ...spec.lines.map((l) => l.values.length));
  const seconds = (n * spec.bucketMs) / 1000;
  const all = spec.lines.flatMap((l) => l.values.filter((v): v is number => v !== undefined && Number.isFinite(v) && (!spec.log || v > 0)));
  const maxV = all.length ? Math.max(...all) : 1;
  const minV = spec.log ? Math.max(Math.min(...(all.length ? all : [1])), 0.1) : 0;
  const lo = spec.log ? Math.floor(Math.log10(minV)) : 0;
  const hi = spec.log ? Math.max(lo + 1, Math.ceil(Math.log10(maxV))) : niceStep(maxV) * Math.ceil(maxV / niceStep(maxV) || 1);
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const x = (sec: number) => M.left + (sec / seconds) * pw;
  const y = (v: number) => (spec.log ? M.top + ph - ((Math.log10(Math.max(v, Math.pow(10, lo))) - lo) / (hi - lo)) * ph : M.top + ph - (v / hi) * ph);

  const parts: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`];
  parts.push(`<text x="${M.left}" y="16" font-size="13" font-weight="bold">${esc(spec.title)}</text>`);
  for (const [i, p] of (spec.phases ?? []).entries()) {
    const x0 = x(p.startMs / 1000);
    const x1 = x(Math.min(p.endMs / 1000, seconds));
    parts.push(`<rect x="${x0.toFixed(1)}" y="${M.top}" width="${Math.max(0, x1 - x0).toFixed(1)}" height="${ph}" fill="${i % 2 ? '#f3f3f3' : '#e9eef7'}"/>`);
    parts.push(`<text x="${(x0 + 3).toFixed(1)}" y="${M.top + 11}" fill="#777">${esc(p.label)}</text>`);
  }
  // y grid and labels
  const yTicks = spec.log ? Array.from({ length: hi - lo + 1 }, (_, i) => Math.pow(10, lo + i)) : Array.from({ length: Math.round(hi / niceStep(maxV)) + 1 }, (_, i) => i * niceStep(maxV));
  for (const t of yTicks) {
    parts.push(`<line x1="${M.left}" x2="${M.left + pw}" y1="${y(t).toFixed(1)}" y2="${y(t).toFixed(1)}" stroke="#ddd"/>`);
    parts.push(`<text x="${M.left - 6}" y="${(y(t) + 4).toFixed(1)}" text-anchor="end">${t >= 1000 ? `${t / 1000}k` : t}</text>`);
  }
  const xStep = niceStep(seconds, 10);
  for (let s = 0; s <= seconds + 1e-9; s += xStep) {
    parts.push(`<line x1="${x(s).toFixed(1)}" x2="${x(s).toFixed(1)}" y1="${M.top + ph}" y2="${M.top + ph + 4}" stroke="#888"/>`);
    parts.push(`<text x="${x(s).toFixed(1)}" y="${M.top + ph + 16}" text-anchor="middle">${Math.round(s)}</text>`);
  }
  parts.push(`<text x="${M.left + pw / 2}" y="${H - 4}" text-anchor="middle" fill="#555">seconds since the run started</text>`);
  parts.push(`<text transform="translate(14 ${M.top + ph / 2}) rotate(-90)" text-anchor="middle" fill="#555">${esc(spec.yLabel)}</text>`);
  parts.push(`<rect x="${M.left}" y="${M.top}" width="${pw}" height="${ph}" fill="none" stroke="#888"/>`);

  for (const [i, line] of spec.lines.entries()) {
    // A gap (no value in a bucket) breaks the line rather than drawing through it.
    let d = '';
    let pen = false;
    line.values.forEach((v, b) => {
      if (v === undefined || !Number.isFinite(v) || (spec.log && v <= 0)) {
        pen = false;
        return;
      }
      d += `${pen ? 'L' : 'M'}${x(((b + 0.5) * spec.bucketMs) / 1000).toFixed(1)},${y(v).toFixed(1)}`;
      pen = true;
    });
    if (d) parts.push(`<path d="${d}" fill="none" stroke="${line.color}" stroke-width="1.6"${line.dashed ? ' stroke-dasharray="5 3"' : ''}><title>${esc(line.name)}</title></path>`);
    const ly = M.top + 8 + i * 16;
    parts.push(`<line x1="${M.left + pw + 10}" x2="${M.left + pw + 30}" y1="${ly}" y2="${ly}" stroke="${line.color}" stroke-width="2"${line.dashed ? ' stroke-dasharray="5 3"' : ''}/>`);
    parts.push(`<text x="${M.left + pw + 34}" y="${ly + 4}">${esc(line.name)}</text>`);
  }
  parts.push('</svg>');
  return parts.join('');
}

const perSec = (values: readonly number[], bucketMs: number) => values.map((v) => (v * 1000) / bucketMs);

export function renderHtml(r: BenchResult, phases: readonly Phase[]): string {
  const s = r.series;
  const charts = [
    lineChart({
      title: 'Throughput',
      yLabel: 'notifications / s',
      bucketMs: s.bucketMs,
      phases,
      lines: [
        { name: 'offered', color: '#888', values: perSec(s.offered, s.bucketMs), dashed: true },
        { name: 'accepted (202)', color: '#1f77b4', values: perSec(s.accepted, s.bucketMs) },
        { name: 'shed (429)', color: '#d62728', values: perSec(s.shed, s.bucketMs) },
        { name: 'completed (sent)', color: '#2ca02c', values: perSec(s.completed, s.bucketMs) },
      ],
    }),
    lineChart({
      title: 'Accept → sent latency per lane (by when the request was made)',
      yLabel: 'ms (log)',
      bucketMs: s.bucketMs,
      phases,
      log: true,
      lines: [
        { name: 'critical p50', color: '#9467bd', values: s.sentLatency.critical.map((p) => p?.p50) },
        { name: 'critical p99', color: '#9467bd', values: s.sentLatency.critical.map((p) => p?.p99), dashed: true },
        { name: 'bulk p50', color: '#ff7f0e', values: s.sentLatency.bulk.map((p) => p?.p50) },
        { name: 'bulk p99', color: '#ff7f0e', values: s.sentLatency.bulk.map((p) => p?.p99), dashed: true },
      ],
    }),
    lineChart({
      title: 'Accept latency per lane (intake answering)',
      yLabel: 'ms (log)',
      bucketMs: s.bucketMs,
      phases,
      log: true,
      lines: [
        { name: 'critical p50', color: '#9467bd', values: s.acceptLatency.critical.map((p) => p?.p50) },
        { name: 'critical p99', color: '#9467bd', values: s.acceptLatency.critical.map((p) => p?.p99), dashed: true },
        { name: 'bulk p50', color: '#ff7f0e', values: s.acceptLatency.bulk.map((p) => p?.p50) },
        { name: 'bulk p99', color: '#ff7f0e', values: s.acceptLatency.bulk.map((p) => p?.p99), dashed: true },
      ],
    }),
    lineChart({ title: 'Backlog (accepted, not yet sent)', yLabel: 'notifications', bucketMs: s.bucketMs, phases, lines: [{ name: 'backlog', color: '#8c564b', values: s.backlog }] }),
    lineChart({ title: "Stack CPU (every process of the stack; the load generator not counted)", yLabel: 'cores', bucketMs: s.bucketMs, phases, lines: [{ name: 'cores used', color: '#17becf', values: s.stackCores }] }),
  ];
  const rows: Array<[string, string]> = [
    ['scenario', `${r.scenario} (${r.providers} providers)`],
    ['date, commit', `${r.date}, ${r.gitCommit}${r.gitDirty ? ' + uncommitted changes' : ''}`],
    ['machine', `${r.machineCores} cores, ${r.machine.cpuModel}, ${r.machine.memoryGb} GB, Node ${r.machine.node}`],
    ...(r.machine.loadAverage ? [['load average at start → end', r.machine.loadAverage.map((l) => l.toFixed(1)).join(' → ')] as [string, string]] : []),
    ...(r.machine.otherCores !== undefined ? [['cores used by other work (average)', r.machine.otherCores.toFixed(2)] as [string, string]] : []),
    ['accepted, completed, lost, unfinished, duplicates', `${r.accepted}, ${r.completed}, ${r.lost}, ${r.unfinished}, ${r.duplicates ?? 'n/a'}`],
    ['completed/s (peak 5 s)', `${r.completedPerSec.toFixed(0)} (${r.peakCompletedPerSec.toFixed(0)})`],
    ['accept p99, accept→sent p99', `${r.acceptP99Ms.toFixed(1)} ms, ${r.sentP99Ms.toFixed(0)} ms`],
    ['broker messages, state writes, CPU-ms per notification', `${r.brokerMessagesPerNotification.toFixed(2)}, ${r.stateWritesPerNotification.toFixed(2)}, ${r.cpuMsPerNotification.toFixed(2)}`],
  ];
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Herald bench: ${esc(r.scenario)} ${esc(r.date)}</title>
<style>body{font-family:sans-serif;margin:24px;color:#222}table{border-collapse:collapse;margin-bottom:16px}td{padding:2px 12px 2px 0;vertical-align:top}td:first-child{color:#555}</style>
</head><body>
<h1>Herald bench: ${esc(r.scenario)}</h1>
<table>${rows.map(([k, v]) => `<tr><td>${esc(k)}</td><td>${esc(v)}</td></tr>`).join('')}</table>
${charts.map((c) => `<div>${c}</div>`).join('\n')}
</body></html>
`;
}
