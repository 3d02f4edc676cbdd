// Profiles of a bench run: Node's own CPU profiles of the apps (--cpu-prof, written when each
// app exits) summarised by self time within the measured window, and a Go pprof CPU profile of
// each sidecar taken during that window from daprd's profiling server (--enable-profiling).
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StackInfo } from '../harness/stack.js';

/** The parts of a V8 `.cpuprofile` the summary reads. */
export interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }>;
  /** Microseconds, on the monotonic clock (the same as process.hrtime). */
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface HotFunction {
  name: string;
  selfMs: number;
  /** Share of the sampled time in the window, idle excluded. */
  share: number;
}

export interface ProfileSummary {
  /** Sampled time in the window that was not idle. */
  busyMs: number;
  /** Whether the window overlapped the profile (otherwise the whole profile is summarised). */
  windowed: boolean;
  top: HotFunction[];
  /**
   * The same time by module: a native or Node-internal frame (writev, a socket write, a JSON
   * parse) is charged to the nearest caller outside Node itself, so a socket write for undici's
   * fetch in the sidecar client shows as packages/dapr, one for pino as pino.
   */
  modules: HotFunction[];
}

const IDLE = '(idle)';

/** The module of a source URL: a package, an app or shared package file's folder, or a Node internal. */
export function moduleOf(url: string): string {
  const path = url.replace(/^file:\/\//, '');
  const mod = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(path);
  if (mod?.[1]) return mod[1];
  const own = /\/((?:apps|packages)\/[^/]+)\/(?:dist|src)\/(.*)\/[^/]+$/.exec(path) ?? /\/((?:apps|packages)\/[^/]+)\/(?:dist|src)\//.exec(path);
  if (own?.[1]) return own[2] ? `${own[1]}/${own[2]}` : own[1];
  return path;
}

function frameName(f: CpuProfile['nodes'][number]['callFrame']): string {
  const fn = f.functionName || '(anonymous)';
  if (!f.url) return fn;
  // node_modules/<pkg>/… or the app's own dist path, shortened to what a reader recognises.
  const url = f.url.replace(/^file:\/\//, '');
  const mod = /node_modules\/((?:@[^/]+\/)?[^/]+)\/(.*)$/.exec(url);
  const where = mod ? `${mod[1]}/${mod[2]}` : url.replace(/^.*\/(apps|packages)\//, '$1/').replace(/^node:/, 'node:');
  return `${fn} ${where}:${f.lineNumber + 1}`;
}

/**
 * Self time per function, from the samples taken in [fromUs, toUs] (each sample stands for the
 * interval since the one before it). Falls back to the whole profile when the window misses it.
 */
export function summarizeCpuProfile(profile: CpuProfile, topN = 12, window?: { fromUs: number; toUs: number }): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const moduleCache = new Map<number, string>();
  const moduleOfNode = (id: number): string => {
    const cached = moduleCache.get(id);
    if (cached) return cached;
    // Charged to the nearest caller outside Node's own modules (the code that asked for the
    // work), else to the nearest Node module, else to the frame itself ((garbage collector)).
    let cur: number | undefined = id;
    let internal: string | undefined;
    let found: string | undefined;
    while (cur !== undefined && !found) {
      const url = byId.get(cur)?.callFrame.url;
      if (url && !url.startsWith('node:')) found = moduleOf(url);
      else if (url) internal ??= url;
      cur = parent.get(cur);
    }
    const name = found ?? internal ?? byId.get(id)?.callFrame.functionName ?? '(unknown)';
    moduleCache.set(id, name);
    return name;
  };
  const modules = new Map<string, number>();
  const windowed = window !== undefined && window.fromUs < profile.endTime && window.toUs > profile.startTime;
  const self = new Map<string, number>();
  let t = profile.startTime;
  let busyUs = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const delta = profile.timeDeltas[i] ?? 0;
    t += delta;
    if (windowed && (t < window.fromUs || t > window.toUs)) continue;
    const node = byId.get(profile.samples[i]!);
    if (!node) continue;
    const name = frameName(node.callFrame);
    if (node.callFrame.functionName === IDLE) continue;
    self.set(name, (self.get(name) ?? 0) + delta);
    const mod = moduleOfNode(node.id);
    modules.set(mod, (modules.get(mod) ?? 0) + delta);
    busyUs += delta;
  }
  const rank = (m: Map<string, number>) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
      .slice(0, topN)
      .map(([name, us]) => ({ name, selfMs: us / 1000, share: busyUs ? us / busyUs : 0 }));
  return { busyMs: busyUs / 1000, windowed, top: rank(self), modules: rank(modules) };
}

/** Every `.cpuprofile` in `dir`, by the app that wrote it (Node names them CPU.<date>.<pid>.…). */
export function cpuProfilesIn(dir: string, pidToName: ReadonlyMap<number, string>): Array<{ app: string; file: string }> {
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
  } catch {
    return [];
  }
  return files.map((f) => {
    const pid = Number(/^CPU\.\d+\.\d+\.(\d+)\./.exec(f)?.[1]);
    return { app: pidToName.get(pid) ?? `pid ${pid}`, file: join(dir, f) };
  });
}

export function readCpuProfile(file: string): CpuProfile {
  return JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
}

/** Takes a `seconds`-long CPU profile from a daprd's pprof server into `file`. */
export async function captureDaprdProfile(port: number, seconds: number, file: string): Promise<void> {
  const res = await fetch(`http://127.0.0.1:${port}/debug/pprof/profile?seconds=${seconds}`, { signal: AbortSignal.timeout((seconds + 30) * 1000) });
  if (!res.ok) throw new Error(`daprd pprof on port ${port} answered ${res.status}`);
  writeFileSync(file, Buffer.from(await res.arrayBuffer()));
}

/** `go tool pprof -top` of a Go CPU profile: its header and the first `n` rows, or why not. */
export function pprofTop(file: string, n = 12): string[] {
  try {
    const out = execFileSync('go', ['tool', 'pprof', '-top', `-nodecount=${n}`, file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 180_000 });
    return out.split('\n').filter((l) => l.trim() && !/^(File|Build ID|Type|Time):/.test(l));
  } catch (err) {
    return [`(go tool pprof failed: ${err instanceof Error ? err.message.split('\n')[0] : String(err)})`];
  }
}

/** Starts a CPU profile of every sidecar now; resolves with where each went and its top functions. */
export async function startDaprdProfiles(stack: StackInfo, dir: string, seconds: number): Promise<Array<{ name: string; file: string; top: string[] }>> {
  const ports = Object.entries(stack.profilePorts ?? {});
  const captured = await Promise.all(
    ports.map(async ([name, port]) => {
      const file = join(dir, `${name}-daprd.pprof`);
      try {
        await captureDaprdProfile(port, seconds, file);
        return { name: `${name} daprd`, file };
      } catch (err) {
        return { name: `${name} daprd`, file, failed: `(no profile: ${err instanceof Error ? err.message : String(err)})` };
      }
    }),
  );
  // Only now: `go tool pprof` runs synchronously, and while it ran the other captures' reads
  // stalled past their timeouts (every sidecar but the first came back "aborted").
  return captured.map(({ name, file, failed }) => ({ name, file, top: failed ? [failed] : pprofTop(file) }));
}

/** Summarises the apps' `.cpuprofile` files in `dir` (written as each app exited) over the measured window. */
export function collectProfiles(dir: string, stack: StackInfo, window: { fromUs: number; toUs: number }) {
  const names = new Map(stack.processes.map((p) => [p.pid, p.name]));
  const apps = cpuProfilesIn(dir, names).map(({ app, file }) => {
    try {
      return { app, file, ...summarizeCpuProfile(readCpuProfile(file), 12, window) };
    } catch (err) {
      return { app, file, busyMs: NaN, windowed: false, top: [{ name: `(unreadable: ${err instanceof Error ? err.message : String(err)})`, selfMs: 0, share: 0 }], modules: [] };
    }
  });
  return { apps };
}
