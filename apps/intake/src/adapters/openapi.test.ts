import { readdirSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { NotificationRequestSchema } from '@herald/contracts';
import { createLogger } from '@herald/service';
import { acceptPathRoutes, createIntakeApp, createIntakeServer, type IntakeDeps } from './http-app.js';
import { useIntake } from './intake-harness.test-helper.js';
import { ERROR_CODES, intakeOpenApiDocument, METRICS_PATH, OPENAPI_PATH } from './openapi.js';
import {
  isObject,
  lenientSchema,
  nodes,
  readmeExamples,
  resolvePointer,
  schemaValidator,
  type Json,
  type JsonObject,
} from './openapi.test-helper.js';
import { createProviderCallbackRouter } from './provider-callbacks.js';

// GET /v1/openapi.json: a valid OpenAPI 3.1 document, of every route intake serves (read from
// intake's own router, not from a list kept here), and one the README's examples agree with.

const intake = useIntake();
let doc: JsonObject;

beforeAll(async () => {
  doc = (await intake.call<JsonObject>('GET', OPENAPI_PATH, { key: null })).body;
});

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'] as const;

interface DocOperation {
  method: string;
  path: string;
  op: JsonObject;
}

const operationsOf = (pathItems: Json | undefined): DocOperation[] =>
  isObject(pathItems)
    ? Object.entries(pathItems).flatMap(([path, item]) =>
        METHODS.flatMap((method) => (isObject(item) && isObject(item[method]) ? [{ method, path, op: item[method] }] : [])),
      )
    : [];

/** A component or inline object, whichever `value` is (`$ref`s followed). */
const deref = (value: Json | undefined): Json | undefined => (isObject(value) && typeof value.$ref === 'string' ? deref(resolvePointer(doc, value.$ref)) : value);

const templateParams = (path: string): string[] => [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1] as string);

/** The template of `doc` a concrete path (no query) is an instance of, for `method`, with its parameters. */
function operationAt(method: string, path: string): { operation: DocOperation; params: Record<string, string> } | undefined {
  // The template with the fewest parameters first: `/v1/notifications/batch` before `/v1/notifications/{id}`.
  const candidates = operationsOf(doc.paths)
    .filter((o) => o.method === method.toLowerCase())
    .sort((a, b) => templateParams(a.path).length - templateParams(b.path).length);
  for (const operation of candidates) {
    const pattern = new RegExp(`^${operation.path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '([^/]+)')}$`);
    const m = pattern.exec(path);
    if (m) return { operation, params: Object.fromEntries(templateParams(operation.path).map((name, i) => [name, decodeURIComponent(m[i + 1] as string)])) };
  }
  return undefined;
}

const parametersOf = (op: JsonObject, where: string): JsonObject[] =>
  (Array.isArray(op.parameters) ? op.parameters : []).map(deref).filter((p): p is JsonObject => isObject(p) && p.in === where);

const jsonSchemaOf = (container: Json | undefined): Json | undefined => {
  const content = deref(container);
  const media = isObject(content) && isObject(content.content) ? content.content['application/json'] : undefined;
  return isObject(media) ? media.schema : undefined;
};

// ---- 1. A valid OpenAPI 3.1 document ---------------------------------------------------------

// The parts of OpenAPI 3.1 the document uses, strictly (an unknown or misspelt field fails), as
// the specification defines them; `x-` extensions allowed anywhere.
const Extensible = <T extends z.ZodRawShape>(shape: T) => z.object(shape).catchall(z.unknown()).superRefine((o, ctx) => {
  for (const key of Object.keys(o)) if (!(key in shape) && !key.startsWith('x-')) ctx.addIssue({ code: 'custom', message: `unknown field ${key}`, path: [key] });
});
const Ref = z.object({ $ref: z.string().startsWith('#/'), summary: z.string().optional(), description: z.string().optional() }).strict();
const Schema = z.union([z.boolean(), z.record(z.string(), z.unknown())]);
const Header = Extensible({ description: z.string().optional(), required: z.boolean().optional(), deprecated: z.boolean().optional(), schema: Schema });
const MediaType = Extensible({ schema: Schema.optional(), example: z.unknown().optional(), examples: z.unknown().optional() });
const Response = z.union([Ref, Extensible({ description: z.string(), headers: z.record(z.string(), z.union([Ref, Header])).optional(), content: z.record(z.string(), MediaType).optional() })]);
const Parameter = Extensible({
  name: z.string().min(1),
  in: z.enum(['query', 'header', 'path', 'cookie']),
  description: z.string().optional(),
  required: z.boolean().optional(),
  deprecated: z.boolean().optional(),
  schema: Schema,
  example: z.unknown().optional(),
}).refine((p) => p.in !== 'path' || p.required === true, 'a path parameter is required');
const SecurityRequirement = z.record(z.string(), z.array(z.string()));
const Operation = Extensible({
  operationId: z.string().min(1),
  tags: z.array(z.string()).optional(),
  summary: z.string().optional(),
  description: z.string().optional(),
  parameters: z.array(z.union([Ref, Parameter])).optional(),
  requestBody: z.union([Ref, Extensible({ description: z.string().optional(), required: z.boolean().optional(), content: z.record(z.string(), MediaType) })]).optional(),
  responses: z.record(z.string().regex(/^([1-5](\d\d|XX)|default)$/), Response).refine((r) => Object.keys(r).length > 0, 'no responses'),
  security: z.array(SecurityRequirement).optional(),
  deprecated: z.boolean().optional(),
});
const PathItem = Extensible({ summary: z.string().optional(), description: z.string().optional(), ...Object.fromEntries(METHODS.map((m) => [m, Operation.optional()])) });
const SecurityScheme = z.discriminatedUnion('type', [
  z.object({ type: z.literal('http'), scheme: z.string(), bearerFormat: z.string().optional(), description: z.string().optional() }).strict(),
  z.object({ type: z.literal('apiKey'), name: z.string(), in: z.enum(['query', 'header', 'cookie']), description: z.string().optional() }).strict(),
]);
const Document = Extensible({
  openapi: z.string().regex(/^3\.1\.\d+$/),
  info: Extensible({ title: z.string(), version: z.string(), summary: z.string().optional(), description: z.string().optional() }),
  jsonSchemaDialect: z.string().optional(),
  servers: z.array(z.unknown()).optional(),
  paths: z.record(z.string().regex(/^\/[^?#]*$/), PathItem),
  webhooks: z.record(z.string(), PathItem).optional(),
  components: Extensible({
    schemas: z.record(z.string().regex(/^[A-Za-z0-9._-]+$/), Schema).optional(),
    responses: z.record(z.string().regex(/^[A-Za-z0-9._-]+$/), Response).optional(),
    parameters: z.record(z.string(), z.union([Ref, Parameter])).optional(),
    securitySchemes: z.record(z.string(), SecurityScheme).optional(),
  }),
  security: z.array(SecurityRequirement).optional(),
  tags: z.array(Extensible({ name: z.string(), description: z.string().optional() })).optional(),
});

describe('GET /v1/openapi.json', () => {
  it('answers anyone, with or without an API key, the same JSON each time', async () => {
    const first = await intake.h.send('GET', OPENAPI_PATH);
    expect(first.status).toBe(200);
    expect(first.headers['content-type']).toBe('application/json; charset=utf-8');
    const second = await intake.h.send('GET', OPENAPI_PATH, { headers: { authorization: 'Bearer not-a-known-key-0123456789' } });
    expect(second).toMatchObject({ status: 200, text: first.text });
  });

  it('is an OpenAPI 3.1 document in structure', () => {
    const parsed = Document.safeParse(doc);
    expect(parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toEqual([]);

    const problems: string[] = [];
    const operations = [...operationsOf(doc.paths), ...operationsOf(doc.webhooks)];
    const ids = operations.map((o) => o.op.operationId);
    if (new Set(ids).size !== ids.length) problems.push('operationIds repeat');
    const schemes = isObject(doc.components) && isObject(doc.components.securitySchemes) ? doc.components.securitySchemes : {};
    const tags = new Set((Array.isArray(doc.tags) ? doc.tags : []).map((t) => (isObject(t) ? t.name : undefined)));
    for (const { method, path, op } of operationsOf(doc.paths)) {
      const at = `${method.toUpperCase()} ${path}`;
      const inPath = parametersOf(op, 'path').map((p) => JSON.stringify(p.name));
      const inTemplate = templateParams(path).map((name) => JSON.stringify(name));
      if ([...inPath].sort().join() !== [...inTemplate].sort().join()) problems.push(`${at}: path parameters ${inPath.join()} for a template of ${inTemplate.join()}`);
      const all = (Array.isArray(op.parameters) ? op.parameters : []).map(deref).filter(isObject).map((p) => JSON.stringify([p.in, p.name]));
      if (new Set(all).size !== all.length) problems.push(`${at}: a parameter twice`);
      if (!Object.keys(isObject(op.responses) ? op.responses : {}).some((s) => s.startsWith('2'))) problems.push(`${at}: no success answer`);
      if (!Array.isArray(op.security)) problems.push(`${at}: no security requirement (an open route says [])`);
      for (const requirement of Array.isArray(op.security) ? op.security : []) {
        for (const name of Object.keys(isObject(requirement) ? requirement : {})) if (!(name in schemes)) problems.push(`${at}: security scheme ${name} is not defined`);
      }
      for (const tag of Array.isArray(op.tags) ? op.tags : []) if (!tags.has(tag)) problems.push(`${at}: tag ${JSON.stringify(tag)} is not declared`);
    }
    for (const [pointer, node] of nodes(doc)) {
      if (isObject(node) && typeof node.$ref === 'string' && resolvePointer(doc, node.$ref) === undefined) problems.push(`${pointer}: $ref ${node.$ref} resolves to nothing`);
    }
    expect(problems).toEqual([]);
  });

  it('has schemas that all compile as JSON Schema 2020-12 (Ajv, strict), the components and every one in place', () => {
    const validator = schemaValidator(doc);
    const schemas = isObject(doc.components) && isObject(doc.components.schemas) ? doc.components.schemas : {};
    for (const name of Object.keys(schemas)) expect(() => validator.compile({ $ref: `#/components/schemas/${name}` })).not.toThrow();
    let inPlace = 0;
    for (const [pointer, node] of nodes(doc)) {
      // A schema in place: of a parameter, a header or a media type (not the components, compiled above).
      if (!/\/(parameters\/\d+|headers\/[^/]+|content\/[^/]+)$/.test(pointer) || pointer.startsWith('/components/schemas') || !isObject(node) || node.schema === undefined) continue;
      expect(() => validator.compile(node.schema as Json)).not.toThrow();
      inPlace++;
    }
    expect(inPlace).toBeGreaterThan(100);
  });

  it("takes what the routes' zod schemas take, refinements included", () => {
    const validate = schemaValidator(doc).compile({ $ref: '#/components/schemas/NotificationRequest' });
    const base = { customerId: 'c-1', to: { email: 'a@example.com' }, content: { subject: 'Hi', text: 'Hello' } };
    const samples: unknown[] = [
      { ...base, channel: 'email' },
      { ...base, channels: ['push', 'email'] },
      { ...base, channel: 'sms', content: { text: 'Hello' } },
      { ...base, channels: ['sms', 'email'], content: { text: 'Hello' } },
      { ...base, channel: 'email', content: { text: 'no subject' } },
      { ...base },
      { ...base, channel: 'email', channels: ['email'] },
      { ...base, channel: 'fax' },
      { ...base, channel: 'email', priority: 'critical', sendAt: '2026-11-25T18:00:00Z', metadata: { order: '42' } },
      { ...base, channel: 'email', sendAt: 'tomorrow' },
      { ...base, channel: 'email', to: { email: 'not an address' } },
      { ...base, channel: 'sms', to: { phone: '4155550100' }, content: { text: 'x' } },
      { ...base, channel: 'email', surprise: true },
      { ...base, channel: 'email', customerId: '' },
    ];
    for (const sample of samples) expect([sample, validate(sample)]).toEqual([sample, NotificationRequestSchema.safeParse(sample).success]);
  });

  it('lists every error code intake answers with, and only those', () => {
    const sources = (dir: URL): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
        e.isDirectory() ? sources(new URL(`${e.name}/`, dir)) : /(?<!\.test|\.test-helper)\.ts$/.test(e.name) ? [readFileSync(new URL(e.name, dir), 'utf8')] : [],
      );
    const text = sources(new URL('../', import.meta.url)).join('\n');
    const codes = new Set<string>();
    // `apiError('code', ...)`, also in a conditional (`apiError(bad ? 'a' : 'b', ...)`), `code: '...'`
    // (a quota's verdict) and `const code = ...` (validationError's choice).
    for (const m of text.matchAll(/apiError\(([^,]*),/g)) for (const c of (m[1] as string).matchAll(/(?:^|[?:]\s*)'([a-z_]+)'/g)) codes.add(c[1] as string);
    for (const m of text.matchAll(/\bcode: '([a-z_]+)'/g)) codes.add(m[1] as string);
    for (const m of text.matchAll(/\bconst code = ([^;\n]+)/g)) for (const c of (m[1] as string).matchAll(/'([a-z_]+)'/g)) codes.add(c[1] as string);
    // The codes of `details` (api-error.ts), not of errors.
    codes.delete('invalid_time');
    expect([...codes].sort()).toEqual([...ERROR_CODES].sort());
  });
});

// ---- 2. Every route intake serves ------------------------------------------------------------

const log = createLogger('openapi-test', 'silent');
/** What createIntakeApp reads while it mounts its routes: the routes' own dependencies are never called here. */
const mountingDeps = (more: Partial<IntakeDeps> = {}): IntakeDeps =>
  ({
    log,
    bodyLimitBytes: 64 * 1024,
    batchBodyLimitBytes: 1024 * 1024,
    authenticator: { authenticate: async () => undefined },
    providerCallbacks: createProviderCallbackRouter({ publicBaseUrl: 'https://herald.example.com', record: async () => undefined, log }),
    ...more,
  }) as unknown as IntakeDeps;

interface RouterLayer {
  route?: { path: unknown; methods: Record<string, boolean | undefined> };
  handle?: { stack?: RouterLayer[] };
  rawPath?: unknown;
}

/** Every method and path express's router serves, in OpenAPI's spelling (`:id` → `{id}`), read from the router itself. */
function expressRoutes(stack: RouterLayer[], prefix = ''): string[] {
  return stack.flatMap((layer) => {
    if (layer.route) {
      const path = layer.route.path;
      if (typeof path !== 'string' || /[*?(]/.test(path)) throw new Error(`a route whose path this test cannot read: ${String(path)}`);
      return Object.keys(layer.route.methods)
        .filter((m) => m !== '_all')
        .map((m) => `${m.toUpperCase()} ${prefix}${path.replace(/:(\w+)/g, '{$1}')}`);
    }
    if (layer.handle?.stack) {
      const at = layer.rawPath;
      if (at !== undefined && at !== '/' && typeof at !== 'string') throw new Error('a router mounted where this test cannot read its path');
      return expressRoutes(layer.handle.stack, prefix + (typeof at === 'string' && at !== '/' ? at : ''));
    }
    return [];
  });
}

const documented = (): Set<string> => new Set(operationsOf(doc.paths).map((o) => `${o.method.toUpperCase()} ${o.path}`));
/** A documented path with each parameter filled in. */
const concrete = (path: string): string => path.replace(/\{[^}]+\}/g, 'x1');

describe('the document covers every route intake serves', () => {
  it('documents every route of its express app', () => {
    const app = createIntakeApp(mountingDeps()) as unknown as { router: { stack: RouterLayer[] } };
    const served = expressRoutes(app.router.stack);
    expect(served.length).toBeGreaterThan(20);
    expect(served.filter((route) => !documented().has(route))).toEqual([]);
  });

  it('documents every route of its lean accept path', () => {
    const lean = Object.keys(acceptPathRoutes(mountingDeps())).map((path) => `POST ${path}`);
    expect(lean.length).toBeGreaterThan(0);
    expect(lean.filter((route) => !documented().has(route))).toEqual([]);
  });

  it('serves every operation it documents, and no other method at those paths', async () => {
    const wrong: string[] = [];
    for (const path of Object.keys(isObject(doc.paths) ? doc.paths : {})) {
      for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE']) {
        // No API key: nothing is done, whatever the route.
        const res = await intake.h.send(method, concrete(path));
        const unrouted = res.status === 404 && res.text.includes('"route_not_found"');
        const expected = operationAt(method, concrete(path)) !== undefined;
        if (expected === unrouted) wrong.push(`${method} ${path}: ${expected ? 'documented, not served' : `served (${res.status}), not documented`}`);
      }
    }
    expect(wrong).toEqual([]);
    expect(intake.h.writes()).toBe(0);
    expect(await intake.h.send('GET', '/v1/undocumented')).toMatchObject({ status: 404 });
  });

  it('documents GET /metrics where intake serves it', async () => {
    const server = createIntakeServer(
      mountingDeps({ metricsRoute: (req) => (req.path === METRICS_PATH ? Promise.resolve({ status: 200, body: '# metrics\n' }) : undefined) }),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      expect((await fetch(base + METRICS_PATH)).status).toBe(200);
      const served = (await (await fetch(base + OPENAPI_PATH)).json()) as JsonObject;
      expect(isObject(served.paths) && isObject(served.paths[METRICS_PATH]) && isObject(served.paths[METRICS_PATH].get)).toBe(true);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
    expect((doc.paths as JsonObject)[METRICS_PATH]).toBeUndefined();
    expect(intakeOpenApiDocument({ bodyLimitBytes: 1, batchBodyLimitBytes: 1, profileBodyLimitBytes: 1, metrics: true }).paths?.[METRICS_PATH]?.get).toBeDefined();
  });
});

// ---- 3. The README's examples ----------------------------------------------------------------

const README = new URL('../../../../README.md', import.meta.url);

/** What is wrong with the README's examples of intake's API, as `README.md:<line>: ...`. */
function readmeProblems(markdown: string): string[] {
  const problems: string[] = [];
  const validator = schemaValidator(doc, lenientSchema);
  const check = (line: number, what: string, schema: Json | undefined, value: Json | undefined): void => {
    if (schema === undefined) return void problems.push(`README.md:${line}: ${what}: the document has no schema for it`);
    const validate = validator.compile(schema);
    if (!validate(value)) problems.push(`README.md:${line}: ${what}: ${validator.errorsText(validate.errors)}`);
  };
  /** The operation a `METHOD /path?query` names, after checking its path and query against it. */
  const named = (line: number, method: string, target: string): DocOperation | undefined => {
    const [path = '', query] = target.split('?');
    const found = operationAt(method, path);
    if (!found) return void problems.push(`README.md:${line}: ${method} ${target}: no such operation in the document`);
    const { operation, params } = found;
    for (const [name, value] of Object.entries(params)) {
      check(line, `${method} ${target}: path parameter ${name}`, parametersOf(operation.op, 'path').find((p) => p.name === name)?.schema, value);
    }
    const known = parametersOf(operation.op, 'query');
    for (const [name, value] of new URLSearchParams(query ?? '')) {
      const schema = known.find((p) => p.name === name)?.schema;
      if (schema === undefined) problems.push(`README.md:${line}: ${method} ${target}: query parameter ${name} is not documented`);
      // A query's values are text: a number is checked as the number it reads as.
      else check(line, `${method} ${target}: query parameter ${name}`, schema, isObject(schema) && (schema.type === 'integer' || schema.type === 'number') && value !== '' && Number.isFinite(Number(value)) ? Number(value) : value);
    }
    return operation;
  };

  const examples = readmeExamples(markdown);
  for (const line of examples.unlabelled) {
    problems.push(`README.md:${line}: a JSON block without a label on the line before: <!-- openapi: METHOD /path STATUS -->, <!-- openapi: webhook NAME -->, or <!-- openapi: none --> for JSON that is not intake's API`);
  }

  for (const curl of examples.curls) {
    const at = `${curl.method} ${curl.target}`;
    const operation = named(curl.line, curl.method, curl.target);
    if (!operation) continue;
    const { op } = operation;
    const needsKey = Array.isArray(op.security) && op.security.some((r) => isObject(r) && 'apiKey' in r);
    if (needsKey && !/^Bearer \S+$/.test(curl.headers.authorization ?? '')) problems.push(`README.md:${curl.line}: ${at}: no API key (Authorization: Bearer <key>)`);
    if (curl.body !== undefined) check(curl.line, `${at}: body`, jsonSchemaOf(op.requestBody), curl.body);
    else if (isObject(op.requestBody) && op.requestBody.required === true) problems.push(`README.md:${curl.line}: ${at}: no body`);
    if (curl.answer !== undefined) {
      const answers = Object.entries(isObject(op.responses) ? op.responses : {})
        .filter(([status]) => status.startsWith('2'))
        .map(([, response]) => jsonSchemaOf(response))
        .filter((s): s is Json => s !== undefined);
      check(curl.line, `${at}: answer`, answers.length > 0 ? { anyOf: answers } : undefined, curl.answer);
    }
  }

  for (const example of examples.labelled) {
    if (example.label === 'none') continue;
    const webhook = /^webhook (\S+)$/.exec(example.label);
    if (webhook) {
      const hook = isObject(doc.webhooks) ? doc.webhooks[webhook[1] as string] : undefined;
      check(example.line, example.label, isObject(hook) && isObject(hook.post) ? jsonSchemaOf(hook.post.requestBody) : undefined, example.value);
      continue;
    }
    const answer = /^(GET|POST|PUT|PATCH|DELETE) (\S+) (\d{3})$/.exec(example.label);
    if (!answer) {
      problems.push(`README.md:${example.line}: label "${example.label}" is neither "METHOD /path STATUS" nor "webhook NAME"`);
      continue;
    }
    const [, method = '', target = '', status = ''] = answer;
    const operation = named(example.line, method, target);
    const response = isObject(operation?.op.responses) ? operation.op.responses[status] : undefined;
    if (operation && response === undefined) problems.push(`README.md:${example.line}: ${method} ${target} does not answer ${status}`);
    else if (operation) check(example.line, example.label, jsonSchemaOf(response), example.value);
  }

  for (const mention of examples.mentions) named(mention.line, mention.method, mention.target);
  return problems;
}

describe("the README's examples", () => {
  const markdown = readFileSync(README, 'utf8');

  it('are found: requests, answers, labelled JSON and the calls the prose names', () => {
    const examples = readmeExamples(markdown);
    expect(examples.curls.length).toBeGreaterThanOrEqual(5);
    expect(examples.curls.filter((c) => c.body !== undefined).length).toBeGreaterThanOrEqual(4);
    expect(examples.curls.filter((c) => c.answer !== undefined).length).toBeGreaterThanOrEqual(3);
    expect(examples.labelled.length).toBeGreaterThanOrEqual(3);
    expect(examples.mentions.length).toBeGreaterThanOrEqual(20);
  });

  it('agree with the document: paths, parameters, bodies, answers and API keys', () => {
    expect(readmeProblems(markdown)).toEqual([]);
  });

  // The check above is only worth something if a wrong example fails it.
  it.each([
    ['an unknown channel in a body', '"channel":"email","to"', '"channel":"emial","to"'],
    ['a field the request does not take', '"name":"billing service"', '"label":"billing service"'],
    ['a path with no operation', 'http://127.0.0.1:3000/v1/api-keys -H', 'http://127.0.0.1:3000/v1/api-key -H'],
    ['an answer with a wrong status', '"status":"sent","attempts":1', '"status":"delivering","attempts":1'],
    ['a labelled answer missing a field', '{"accepted": 2, "rejected": 1,', '{"accepted": 2,'],
    ['a misspelt field in an answer', '"status":"sent","attempts":1', '"status":"sent","atempts":1'],
    ['a query value the route refuses', 'notifications?limit=20&', 'notifications?limit=200&'],
    ['a JSON block without its label', '<!-- openapi: webhook notification.status -->\n', ''],
    ['a call the prose names that is not there', '`GET /v1/erasures/<erasure id>`', '`GET /v1/erasure/<erasure id>`'],
    ['a request without its API key', "-X PUT http://127.0.0.1:3000/v1/customers/c-1 \\\n    -H 'Authorization: Bearer herald-local-dev-key'", '-X PUT http://127.0.0.1:3000/v1/customers/c-1 \\\n    -H \'X-Nothing: 1\''],
  ])('fail on %s', (_what, from, to) => {
    expect(markdown).toContain(from);
    expect(readmeProblems(markdown.replace(from, to)).length).toBeGreaterThan(readmeProblems(markdown).length);
  });
});
