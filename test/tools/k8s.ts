// `npm run k8s`: renders every region's overlay (k8s/overlays/<region>) with kustomize and checks
// it: every object against the Kubernetes schemas and the CRDs of Dapr and KEDA (kubeconform,
// strict: an unknown field fails), every app with requests, limits, probes, a PodDisruptionBudget
// and an autoscaler and its image pinned, and no name of another region. Prints the objects per
// overlay; exits 1 naming each object and field that fails. The tools and the schemas come from
// scripts/setup-k8s.sh, built from the Go module proxy once and cached.
import { execFileSync, spawnSync } from 'node:child_process';
import { setupExports } from '../harness/stack.js';
import { join } from 'node:path';
import { ROOT } from '../harness/root.js';
import { readRegions } from './components.js';
import { appProblems, countByKind, foreignNames, objectsOf, type K8sObject } from './k8s-checks.js';

export interface K8sTools {
  kustomize: string;
  kubeconform: string;
  /** kubeconform's arguments that point it at the cached schemas, and nowhere else. */
  schemaArgs: string[];
}

/** kustomize, kubeconform and the schemas, as scripts/setup-k8s.sh finds or builds them. */
export function k8sTools(): K8sTools {
  const { HERALD_KUSTOMIZE, HERALD_KUBECONFORM, HERALD_K8S_SCHEMA_LOCATION_BUILTIN, HERALD_K8S_SCHEMA_LOCATION_CUSTOM } = setupExports('setup-k8s.sh');
  if (!HERALD_KUSTOMIZE || !HERALD_KUBECONFORM || !HERALD_K8S_SCHEMA_LOCATION_BUILTIN || !HERALD_K8S_SCHEMA_LOCATION_CUSTOM) throw new Error('setup-k8s.sh printed no tools');
  return {
    kustomize: HERALD_KUSTOMIZE,
    kubeconform: HERALD_KUBECONFORM,
    schemaArgs: ['-schema-location', HERALD_K8S_SCHEMA_LOCATION_BUILTIN, '-schema-location', HERALD_K8S_SCHEMA_LOCATION_CUSTOM],
  };
}

/** `kustomize build` of a folder (relative to the root): the rendered YAML. */
export function render(tools: K8sTools, dir: string): string {
  return execFileSync(tools.kustomize, ['build', join(ROOT, dir)], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
}

export interface Validation {
  /** Objects kubeconform found valid. */
  valid: number;
  /** One line per object that failed: `Kind name: what`, as kubeconform says it. */
  problems: string[];
}

/** kubeconform, strict, over a rendered YAML text; every object must have a schema. */
export function validate(tools: K8sTools, yaml: string): Validation {
  const run = spawnSync(tools.kubeconform, ['-strict', '-summary', '-output', 'json', ...tools.schemaArgs, '-'], { input: yaml, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (run.error) throw run.error;
  const report = JSON.parse(run.stdout || '{}') as { resources?: Array<{ kind: string; name: string; status: string; msg?: string }>; summary?: { valid: number } };
  // Its message holds every failing field (" - at '/spec/replicas': got string, …"); its
  // validationErrors only the outermost ("/spec: validation failed").
  const fields = (msg: string) => [...msg.matchAll(/- at '([^']*)': (.*?)(?=\s+- at '|$)/g)].map(([, path, what]) => `${path || '(object)'}: ${what}`).filter((f) => !f.endsWith(': validation failed'));
  const problems = (report.resources ?? [])
    .filter((r) => r.status !== 'statusValid')
    .map((r) => `${r.kind} ${r.name}: ${fields(r.msg ?? '').join('; ') || (r.msg ?? r.status)}`);
  if (run.status !== 0 && problems.length === 0) throw new Error(`kubeconform failed (${run.status}): ${run.stderr}`);
  return { valid: report.summary?.valid ?? 0, problems };
}

export interface OverlayReport {
  region: string;
  objects: K8sObject[];
  counts: Record<string, number>;
  problems: string[];
}

/** One overlay rendered and checked: schemas, the apps' completeness, other regions' names. */
export function checkOverlay(tools: K8sTools, region: string): OverlayReport {
  const yaml = render(tools, `k8s/overlays/${region}`);
  const objects = objectsOf(yaml);
  const { regions } = readRegions();
  const others = Object.entries(regions).filter(([r]) => r !== region).map(([r, spec]) => [r, spec.markers] as [string, string[]]);
  const problems = [...validate(tools, yaml).problems, ...appProblems(objects), ...foreignNames(objects, others)];
  return { region, objects, counts: countByKind(objects), problems };
}

if (process.argv[1] && import.meta.filename === process.argv[1]) {
  const tools = k8sTools();
  let failed = false;
  for (const region of Object.keys(readRegions().regions)) {
    const report = checkOverlay(tools, region);
    const counts = Object.entries(report.counts).map(([k, n]) => `${n} ${k}`).join(', ');
    console.log(`k8s/overlays/${region}: ${report.objects.length} objects (${counts})`);
    for (const p of report.problems) console.log(`  ${p}`);
    failed ||= report.problems.length > 0;
  }
  if (failed) process.exitCode = 1;
  else console.log('every overlay renders, and every object is valid and complete');
}
