// What a rendered overlay must hold beyond its schemas, as pure checks over its objects: every
// app with requests, limits, probes, a PodDisruptionBudget and an autoscaler, its image pinned by
// tag; and no name of another region anywhere. Each problem names the object and the field.
import { parseAllDocuments } from 'yaml';

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; annotations?: Record<string, string> };
  spec?: Record<string, unknown>;
  [field: string]: unknown;
}

/** The objects of a multi-document YAML text (`kustomize build`'s output). */
export function objectsOf(yaml: string): K8sObject[] {
  return parseAllDocuments(yaml)
    .map((doc) => {
      if (doc.errors.length > 0) throw new Error(`not YAML: ${doc.errors[0]!.message}`);
      return doc.toJS() as K8sObject | null;
    })
    .filter((o): o is K8sObject => o !== null);
}

/** `Kind namespace/name`, as the problems name an object. */
export const nameOf = (o: K8sObject): string => `${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`;

interface Container {
  name: string;
  image?: string;
  resources?: { requests?: Record<string, unknown>; limits?: Record<string, unknown> };
  readinessProbe?: unknown;
  livenessProbe?: unknown;
}

const SIDECAR_ANNOTATIONS = ['dapr.io/sidecar-cpu-request', 'dapr.io/sidecar-cpu-limit', 'dapr.io/sidecar-memory-request', 'dapr.io/sidecar-memory-limit'];

/** Whether a selector's labels pick the pods of a Deployment. */
function selects(selector: unknown, labels: Record<string, string>): boolean {
  const match = (selector as { matchLabels?: Record<string, string> } | undefined)?.matchLabels;
  return match !== undefined && Object.keys(match).length > 0 && Object.entries(match).every(([k, v]) => labels[k] === v);
}

/**
 * Every Deployment: a Dapr app id, each container with CPU and memory requests and limits, both
 * probes and an image pinned by a tag other than `latest` (or a digest); its sidecar's requests
 * and limits; a PodDisruptionBudget selecting its pods; an HPA or a KEDA ScaledObject scaling it.
 */
export function appProblems(objects: K8sObject[]): string[] {
  const problems: string[] = [];
  const deployments = objects.filter((o) => o.kind === 'Deployment');
  if (deployments.length === 0) problems.push('no Deployment at all');
  for (const d of deployments) {
    const who = nameOf(d);
    const template = (d.spec?.template ?? {}) as { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> }; spec?: { containers?: Container[] } };
    const annotations = template.metadata?.annotations ?? {};
    if (annotations['dapr.io/enabled'] !== 'true' || !annotations['dapr.io/app-id']) problems.push(`${who}: spec.template.metadata.annotations has no dapr.io/enabled and dapr.io/app-id`);
    for (const a of SIDECAR_ANNOTATIONS) if (!annotations[a]) problems.push(`${who}: spec.template.metadata.annotations.${a} is missing (the sidecar's requests and limits)`);
    const containers = template.spec?.containers ?? [];
    if (containers.length === 0) problems.push(`${who}: spec.template.spec.containers is empty`);
    for (const c of containers) {
      const at = `${who}: spec.template.spec.containers[${c.name}]`;
      for (const kind of ['requests', 'limits'] as const) {
        for (const r of ['cpu', 'memory']) if (c.resources?.[kind]?.[r] === undefined) problems.push(`${at}.resources.${kind}.${r} is missing`);
      }
      for (const p of ['readinessProbe', 'livenessProbe'] as const) if (!c[p]) problems.push(`${at}.${p} is missing`);
      const image = c.image ?? '';
      const tag = /@sha256:[0-9a-f]{64}$/.test(image) ? 'digest' : /:([\w][\w.-]{0,127})$/.exec(image.replace(/^[^/]*:\d+\//, ''))?.[1];
      if (!tag || tag === 'latest') problems.push(`${at}.image "${image}" is not pinned by a tag`);
    }
    const labels = template.metadata?.labels ?? {};
    if (!objects.some((o) => o.kind === 'PodDisruptionBudget' && selects(o.spec?.selector, labels))) problems.push(`${who}: no PodDisruptionBudget selects its pods`);
    const scaled = objects.some(
      (o) =>
        (o.kind === 'HorizontalPodAutoscaler' && (o.spec?.scaleTargetRef as { kind?: string; name?: string } | undefined)?.name === d.metadata.name) ||
        (o.kind === 'ScaledObject' && (o.spec?.scaleTargetRef as { name?: string } | undefined)?.name === d.metadata.name),
    );
    if (!scaled) problems.push(`${who}: no HorizontalPodAutoscaler or ScaledObject scales it`);
  }
  return problems;
}

/** Every string in `value`, with its path (`spec.metadata[connectionString].value`). */
function* stringsOf(value: unknown, path: string): Generator<[string, string]> {
  if (typeof value === 'string') {
    yield [path, value];
  } else if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) {
      const key = (v as { name?: unknown } | null)?.name;
      yield* stringsOf(v, `${path}[${typeof key === 'string' ? key : i}]`);
    }
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      yield* stringsOf(v, path ? `${path}.${k}` : k);
    }
  }
}

/**
 * Where an object names something of another region: each `[region, names]` are the names that
 * belong to that region alone (components/regions.json, markers). Names the object, the field
 * and the name.
 */
export function foreignNames(objects: K8sObject[], others: Array<[string, string[]]>): string[] {
  const found: string[] = [];
  for (const o of objects) {
    for (const [path, text] of stringsOf(o, '')) {
      for (const [region, names] of others) {
        for (const name of names) if (text.includes(name)) found.push(`${nameOf(o)}: ${path} names "${name}" of region ${region}`);
      }
    }
  }
  return found;
}

/** Objects counted by kind, for a report: `{ Deployment: 5, Component: 9, … }`. */
export function countByKind(objects: K8sObject[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const o of objects) counts[o.kind] = (counts[o.kind] ?? 0) + 1;
  return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => a.localeCompare(b)));
}
