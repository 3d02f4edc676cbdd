// JSON Schemas for kubeconform, made offline from sources on the Go module proxy (scripts/setup-k8s.sh
// downloads them and runs this once per pin):
//
//   node test/dist/tools/k8s-schemas.js --out DIR --openapi SPEC [--crds PATH]...
//
// SPEC: Kubernetes' OpenAPI spec, the folder api/openapi-spec/v3 of the k8s.io/kubernetes module (or
// its api/openapi-spec/swagger.json). PATH: a CustomResourceDefinition YAML file, or a folder of them.
// It writes one file per kind, named as kubeconform's -schema-location templates expect:
//   built-in kinds:  DIR/{{.ResourceKind}}{{.KindSuffix}}.json            apps/v1 Deployment -> deployment-apps-v1.json
//   custom kinds:    DIR/{{.Group}}/{{.ResourceKind}}_{{.ResourceAPIVersion}}.json  dapr.io/v1alpha1 Component -> dapr.io/component_v1alpha1.json
// and DIR/index.json listing them.
//
// The schemas are strict, as the API server is with kubectl's default (strict) field validation:
// - every object that declares its properties rejects others (additionalProperties: false), unless
//   it has x-kubernetes-preserve-unknown-fields or declares additionalProperties itself; a custom
//   resource's top level too, and its metadata is Kubernetes' ObjectMeta, not any object;
// - int-or-string is a string or an integer; a resource.Quantity is a number or a quantity string;
//   format byte (a Secret's data) must be base64;
// - null is accepted where the API server takes it: for a field its object does not require (it
//   reads as unset), and wherever the spec says nullable;
// - each kind's apiVersion and kind are required and can only be its own.
// Each file holds the definitions its kind reaches (under "definitions", "$ref": "#/definitions/...").
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseAllDocuments } from 'yaml';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type Schema = { [key: string]: Json };

function isObject(v: Json | undefined): v is Schema {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The documents of a YAML stream (empty documents left out); a document that is not valid YAML stops it, naming the file. */
export function parseYamlDocuments(text: string, source = 'yaml'): Json[] {
  return parseAllDocuments(text).flatMap((doc) => {
    if (doc.errors.length > 0) throw new Error(`${source}: ${doc.errors[0]!.message}`);
    const value = doc.toJS() as Json;
    return value === null ? [] : [value];
  });
}

// ---------------------------------------------------------------------------------------------
// OpenAPI -> JSON Schema (draft 4, which kubeconform compiles schemas without $schema as)

const INT_OR_STRING = 'io.k8s.apimachinery.pkg.util.intstr.IntOrString';
const QUANTITY = 'io.k8s.apimachinery.pkg.api.resource.Quantity';
const OBJECT_META = 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta';
const GVK = 'x-kubernetes-group-version-kind';
/** What resource.ParseQuantity accepts. */
const QUANTITY_PATTERN = '^(\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))))?$';
const BASE64_PATTERN = '^([A-Za-z0-9+/]{4})*([A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$';
/** A definition's twin that also accepts null (for the fields that may be null). */
const OR_NULL = '-or-null';
/** JSON Schema keywords kept as they are (the rest: x-kubernetes-*, default, example... are dropped). */
const KEEP = ['description', 'type', 'format', 'enum', 'pattern', 'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf',
  'minLength', 'maxLength', 'minItems', 'maxItems', 'uniqueItems', 'minProperties', 'maxProperties', 'required'];
const SCHEMA_DRAFT = 'http://json-schema.org/draft-04/schema#';

export interface GroupVersionKind { group: string; version: string; kind: string }

const apiVersionOf = (g: GroupVersionKind): string => (g.group ? `${g.group}/${g.version}` : g.version);

/** kubeconform's {{.ResourceKind}}{{.KindSuffix}}.json: apps/v1 Deployment -> deployment-apps-v1.json. */
export function builtinFileName(apiVersion: string, kind: string): string {
  const [group = '', version] = apiVersion.split('/');
  return `${kind.toLowerCase()}-${(group.split('.')[0] ?? '').toLowerCase()}${version === undefined ? '' : `-${version.toLowerCase()}`}.json`;
}

/** kubeconform's {{.Group}}/{{.ResourceKind}}_{{.ResourceAPIVersion}}.json: dapr.io/v1alpha1 Component -> dapr.io/component_v1alpha1.json. */
export function customFileName(apiVersion: string, kind: string): string {
  const parts = apiVersion.split('/');
  return `${parts[0] ?? ''}/${kind.toLowerCase()}_${parts[parts.length - 1] ?? ''}.json`;
}

function refName(ref: string): string {
  const m = /^#\/(?:definitions|components\/schemas)\/(.+)$/.exec(ref);
  if (!m?.[1]) throw new Error(`unsupported $ref ${ref}`);
  return m[1];
}

/** The definition a schema only points to ({$ref} or OpenAPI v3's {allOf: [{$ref}], default, description}). */
function onlyRef(s: Schema): string | undefined {
  if (typeof s.$ref === 'string') return refName(s.$ref);
  const all = s.allOf;
  if (Array.isArray(all) && all.length === 1 && isObject(all[0]) && typeof all[0].$ref === 'string'
    && Object.keys(s).every((k) => ['allOf', 'default', 'description', 'nullable'].includes(k) || k.startsWith('x-'))) {
    return refName(all[0].$ref);
  }
  return undefined;
}

function intOrString(s: Schema): Schema {
  const str: Schema = { type: 'string' };
  if (typeof s.pattern === 'string') str.pattern = s.pattern;
  return { ...(typeof s.description === 'string' ? { description: s.description } : {}), oneOf: [str, { type: 'integer' }] };
}

function quantity(s: Schema): Schema {
  return { ...(typeof s.description === 'string' ? { description: s.description } : {}), oneOf: [{ type: 'string', pattern: QUANTITY_PATTERN }, { type: 'number' }] };
}

/** `s`, accepting null as well. */
export function orNull(s: Schema): Schema {
  if (typeof s.$ref === 'string') return s.$ref.endsWith(OR_NULL) ? s : { $ref: s.$ref + OR_NULL };
  const out: Schema = { ...s };
  if (Array.isArray(s.enum) && !s.enum.includes(null)) out.enum = [...s.enum, null];
  if (typeof s.type === 'string') {
    if (s.type !== 'null') out.type = [s.type, 'null'];
    return out;
  }
  if (Array.isArray(s.type)) {
    if (!s.type.includes('null')) out.type = [...s.type, 'null'];
    return out;
  }
  const alternatives = s.oneOf ?? s.anyOf;
  const key = s.oneOf ? 'oneOf' : 'anyOf';
  if (Array.isArray(alternatives) && !s.allOf && !s.not && !(s.oneOf && s.anyOf)
    && alternatives.every((a) => isObject(a) && typeof a.type === 'string')) {
    if (!alternatives.some((a) => isObject(a) && a.type === 'null')) out[key] = [...alternatives, { type: 'null' }];
    return out;
  }
  // With no type, enum or combination, a schema's keywords only apply to objects, arrays or strings.
  if (!s.allOf && !s.anyOf && !s.oneOf && !s.not) return out;
  return { anyOf: [{ type: 'null' }, s] };
}

export class Converter {
  private readonly converted = new Map<string, Schema>();

  /** `defs`: Kubernetes' definitions by name (empty to convert CRDs alone, metadata then left as they declare it). */
  constructor(private readonly defs: ReadonlyMap<string, Schema> = new Map()) {}

  private ref(name: string, nullable = false): Schema {
    if (!this.defs.has(name)) throw new Error(`$ref to a definition the spec does not have: ${name}`);
    return { $ref: `#/definitions/${name}${nullable ? OR_NULL : ''}` };
  }

  /** Definition `name` converted (refs in it are left as refs). */
  definition(name: string): Schema {
    let d = this.converted.get(name);
    if (!d) {
      if (name.endsWith(OR_NULL)) {
        d = orNull(this.definition(name.slice(0, -OR_NULL.length)));
      } else {
        const src = this.defs.get(name);
        if (!src) throw new Error(`no definition ${name}`);
        d = name === INT_OR_STRING ? intOrString(src) : name === QUANTITY ? quantity(src) : this.schema(src);
      }
      this.converted.set(name, d);
    }
    return d;
  }

  /** An OpenAPI schema as a strict JSON Schema. */
  schema(s: Schema): Schema {
    const nullable = s.nullable === true;
    const ref = onlyRef(s);
    if (ref !== undefined) return this.ref(ref, nullable);
    let out: Schema;
    if (s['x-kubernetes-int-or-string'] === true || s.format === 'int-or-string') {
      out = intOrString(s);
    } else {
      out = {};
      for (const k of KEEP) if (s[k] !== undefined) out[k] = s[k];
      // draft 4 wants both non-empty
      if (Array.isArray(out.required) && out.required.length === 0) delete out.required;
      if (Array.isArray(out.enum) && out.enum.length === 0) delete out.enum;
      // kubeconform does not check format byte; the API server decodes it (a Secret's data...)
      if (s.format === 'byte' && s.pattern === undefined) out.pattern = BASE64_PATTERN;
      const props = s.properties;
      if (isObject(props)) {
        const required = new Set(Array.isArray(s.required) ? s.required : []);
        const outProps: Schema = {};
        for (const [name, p] of Object.entries(props)) {
          if (!isObject(p)) throw new Error(`property ${name} is not a schema`);
          const c = this.schema(p);
          outProps[name] = required.has(name) ? c : orNull(c);
        }
        if (s['x-kubernetes-embedded-resource'] === true) this.embedded(outProps);
        out.properties = outProps;
        if (s.additionalProperties === undefined && s['x-kubernetes-preserve-unknown-fields'] !== true) out.additionalProperties = false;
      }
      if (isObject(s.additionalProperties)) out.additionalProperties = this.schema(s.additionalProperties);
      else if (typeof s.additionalProperties === 'boolean') out.additionalProperties = s.additionalProperties;
      if (isObject(s.items)) out.items = this.schema(s.items);
      else if (Array.isArray(s.items)) out.items = s.items.map((i) => this.schema(i as Schema));
      for (const k of ['allOf', 'anyOf', 'oneOf'] as const) {
        const list = s[k];
        if (Array.isArray(list)) out[k] = list.map((i) => this.schema(i as Schema));
      }
      if (isObject(s.not)) out.not = this.schema(s.not);
    }
    return nullable ? orNull(out) : out;
  }

  /** An embedded resource has apiVersion, kind and metadata whether or not its schema lists them. */
  private embedded(props: Schema): void {
    props.apiVersion ??= { type: ['string', 'null'] };
    props.kind ??= { type: ['string', 'null'] };
    const meta = props.metadata;
    if (this.defs.has(OBJECT_META) && (meta === undefined || (isObject(meta) && !isObject(meta.properties)))) props.metadata = this.ref(OBJECT_META, true);
  }

  /** A kind's file: its schema with apiVersion and kind pinned, and the definitions it reaches. */
  kindFile(root: Schema, apiVersion: string, kind: string, metadataIsObjectMeta: boolean): Schema {
    const props = isObject(root.properties) ? { ...root.properties } : {};
    const describe = (p: Json | undefined): Schema => (isObject(p) && typeof p.description === 'string' ? { description: p.description } : {});
    props.apiVersion = { ...describe(props.apiVersion), type: 'string', enum: [apiVersion] };
    props.kind = { ...describe(props.kind), type: 'string', enum: [kind] };
    if (metadataIsObjectMeta && this.defs.has(OBJECT_META)) props.metadata = this.ref(OBJECT_META, true);
    const required = [...new Set([...(Array.isArray(root.required) ? root.required : []), 'apiVersion', 'kind'])];
    const top: Schema = { $schema: SCHEMA_DRAFT, ...root, type: 'object', properties: props, required };
    if (top.additionalProperties === undefined) top.additionalProperties = false;
    const definitions: Schema = {};
    const queue = refsIn(top);
    for (let name = queue.pop(); name !== undefined; name = queue.pop()) {
      if (definitions[name] !== undefined) continue;
      const d = this.definition(name);
      definitions[name] = d;
      queue.push(...refsIn(d));
    }
    if (Object.keys(definitions).length > 0) top.definitions = Object.fromEntries(Object.entries(definitions).sort(([a], [b]) => a.localeCompare(b)));
    return top;
  }
}

/** The definitions a schema refers to (walking its subschemas, not its data: enum, default...). */
function refsIn(s: Schema): string[] {
  const out: string[] = [];
  const walk = (v: Json | undefined): void => {
    if (Array.isArray(v)) {
      v.forEach(walk);
      return;
    }
    if (!isObject(v)) return;
    if (typeof v.$ref === 'string') out.push(refName(v.$ref));
    if (isObject(v.properties)) Object.values(v.properties).forEach(walk);
    for (const k of ['items', 'additionalProperties', 'not', 'allOf', 'anyOf', 'oneOf']) walk(v[k]);
  };
  walk(s);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Sources

/** Kubernetes' definitions from the OpenAPI v3 folder (one file per group-version) or swagger.json. */
export function readOpenApi(path: string): Map<string, Schema> {
  const files = statSync(path).isDirectory()
    ? readdirSync(path).filter((f) => f.endsWith('.json')).sort().map((f) => join(path, f))
    : [path];
  const defs = new Map<string, Schema>();
  for (const file of files) {
    const spec = JSON.parse(readFileSync(file, 'utf8')) as Schema;
    const components = spec.components;
    const schemas = isObject(spec.definitions) ? spec.definitions : isObject(components) && isObject(components.schemas) ? components.schemas : {};
    for (const [name, s] of Object.entries(schemas)) {
      if (!isObject(s)) continue;
      const seen = defs.get(name);
      if (!seen) {
        defs.set(name, s);
        continue;
      }
      // Each group-version's file lists the kinds of the shared ones (DeleteOptions, WatchEvent) it
      // serves them as: the union is every kind.
      const { [GVK]: gvks, ...rest } = s;
      const { [GVK]: seenGvks, ...seenRest } = seen;
      if (JSON.stringify(rest) !== JSON.stringify(seenRest)) {
        process.stderr.write(`[k8s-schemas] ${file}: ${name} differs from an earlier file's; keeping the first\n`);
      } else if (Array.isArray(gvks) && Array.isArray(seenGvks)) {
        const all = new Map([...seenGvks, ...gvks].map((g) => [JSON.stringify(g), g]));
        defs.set(name, { ...seen, [GVK]: [...all.values()] });
      }
    }
  }
  if (defs.size === 0) throw new Error(`${path}: no OpenAPI definitions`);
  return defs;
}

export interface Crd { source: string; group: string; kind: string; version: string; schema: Schema }

/** The schema of each version of each CustomResourceDefinition in a YAML file or a folder of them. */
export function readCrds(path: string): Crd[] {
  const files = statSync(path).isDirectory()
    ? readdirSync(path).filter((f) => /\.ya?ml$/.test(f)).sort().map((f) => join(path, f))
    : [path];
  const out: Crd[] = [];
  for (const file of files) {
    for (const doc of parseYamlDocuments(readFileSync(file, 'utf8'), file)) {
      if (!isObject(doc) || doc.kind !== 'CustomResourceDefinition') continue;
      const spec = doc.spec;
      if (!isObject(spec) || typeof spec.group !== 'string' || !isObject(spec.names) || typeof spec.names.kind !== 'string' || !Array.isArray(spec.versions)) {
        throw new Error(`${file}: a CustomResourceDefinition without spec.group, spec.names.kind or spec.versions (apiextensions.k8s.io/v1 expected)`);
      }
      for (const v of spec.versions) {
        const schema = isObject(v) && isObject(v.schema) ? v.schema.openAPIV3Schema : undefined;
        if (!isObject(v) || typeof v.name !== 'string' || !isObject(schema)) {
          process.stderr.write(`[k8s-schemas] ${file}: ${spec.names.kind} has a version without a schema; skipped\n`);
          continue;
        }
        out.push({ source: file, group: spec.group, kind: spec.names.kind, version: v.name, schema });
      }
    }
  }
  return out;
}

export interface Written { builtin: Record<string, string>; custom: Record<string, string> }

/** Writes every kind's schema into `out`; returns "apiVersion Kind" -> file (relative to `out`). */
export function writeSchemas(out: string, defs: ReadonlyMap<string, Schema>, crds: Crd[]): Written {
  const converter = new Converter(defs);
  const written: Written = { builtin: {}, custom: {} };
  const files = new Map<string, string>();
  const put = (file: string, id: string, schema: Schema): boolean => {
    const other = files.get(file);
    if (other !== undefined) {
      process.stderr.write(`[k8s-schemas] ${id} would be written to ${file} as ${other} is; kept ${other}\n`);
      return false;
    }
    files.set(file, id);
    mkdirSync(dirname(join(out, file)), { recursive: true });
    writeFileSync(join(out, file), `${JSON.stringify(schema)}\n`);
    return true;
  };
  for (const [name, def] of [...defs].sort(([a], [b]) => a.localeCompare(b))) {
    const gvks = def[GVK];
    if (!Array.isArray(gvks)) continue;
    const root = converter.definition(name);
    for (const g of gvks as unknown as GroupVersionKind[]) {
      const apiVersion = apiVersionOf(g);
      const file = builtinFileName(apiVersion, g.kind);
      if (put(file, `${apiVersion} ${g.kind}`, converter.kindFile(root, apiVersion, g.kind, false))) written.builtin[`${apiVersion} ${g.kind}`] = file;
    }
  }
  for (const crd of crds) {
    const apiVersion = `${crd.group}/${crd.version}`;
    const file = customFileName(apiVersion, crd.kind);
    if (put(file, `${apiVersion} ${crd.kind}`, converter.kindFile(converter.schema(crd.schema), apiVersion, crd.kind, true))) written.custom[`${apiVersion} ${crd.kind}`] = file;
  }
  return written;
}

function main(argv: string[]): void {
  let out: string | undefined;
  let openapi: string | undefined;
  const crdPaths: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (value === undefined) throw new Error(`${flag} needs a value`);
    if (flag === '--out') out = value;
    else if (flag === '--openapi') openapi = value;
    else if (flag === '--crds') crdPaths.push(value);
    else throw new Error(`unknown argument ${flag}`);
    i++;
  }
  if (!out || (!openapi && crdPaths.length === 0)) {
    throw new Error('usage: k8s-schemas --out DIR --openapi <api/openapi-spec/v3 folder or swagger.json> [--crds <CRD file or folder>]...');
  }
  const defs = openapi ? readOpenApi(openapi) : new Map<string, Schema>();
  const crds = crdPaths.flatMap(readCrds);
  const written = writeSchemas(out, defs, crds);
  writeFileSync(join(out, 'index.json'), `${JSON.stringify({
    templates: ['{{.ResourceKind}}{{.KindSuffix}}.json', '{{.Group}}/{{.ResourceKind}}_{{.ResourceAPIVersion}}.json'],
    sources: { openapi: openapi ?? null, crds: crdPaths },
    ...written,
  }, null, 1)}\n`);
  process.stderr.write(`[k8s-schemas] wrote ${Object.keys(written.builtin).length} built-in and ${Object.keys(written.custom).length} custom kinds into ${out}\n`);
}

if (process.argv[1] && import.meta.filename === process.argv[1]) {
  try {
    main(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`[k8s-schemas] ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  }
}
