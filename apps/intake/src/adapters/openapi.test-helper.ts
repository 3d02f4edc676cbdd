import _Ajv2020, { type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import _addFormats from 'ajv-formats';

// What the OpenAPI tests (openapi.test.ts) read the document and the README with: JSON Schema
// validation of the document's schemas (Ajv, draft 2020-12, OpenAPI 3.1's dialect), and the
// README's examples as requests and answers.

// CommonJS modules: their default export is the module itself, which also carries `default`.
const Ajv2020 = _Ajv2020.default;
const addFormats = _addFormats.default;

/** The document as JSON (what GET /v1/openapi.json answers). */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export const isObject = (value: Json | undefined): value is JsonObject => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Every node of `value` with its JSON pointer. */
export function* nodes(value: Json, pointer = ''): Generator<[string, Json]> {
  yield [pointer, value];
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) yield* nodes(item, `${pointer}/${i}`);
  } else if (isObject(value)) {
    for (const [key, item] of Object.entries(value)) yield* nodes(item, `${pointer}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`);
  }
}

/** What a local `$ref` (`#/components/...`) points at in `doc`, or undefined. */
export function resolvePointer(doc: Json, ref: string): Json | undefined {
  if (!ref.startsWith('#/')) return undefined;
  let at: Json | undefined = doc;
  for (const raw of ref.slice(2).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    at = Array.isArray(at) ? at[Number(key)] : isObject(at) ? at[key] : undefined;
    if (at === undefined) return undefined;
  }
  return at;
}

const COMPONENTS = 'https://herald.invalid/openapi/components';

/** `node` with its references to the document's schemas pointed at the copy Ajv holds. */
function pointed(node: Json): Json {
  if (Array.isArray(node)) return node.map(pointed);
  if (!isObject(node)) return node;
  return Object.fromEntries(
    Object.entries(node).map(([key, value]) => [
      key,
      key === '$ref' && typeof value === 'string' && value.startsWith('#/components/schemas/') ? `${COMPONENTS}#/$defs/${value.slice('#/components/schemas/'.length)}` : pointed(value),
    ]),
  );
}

export interface SchemaValidator {
  /** Compiles one schema of the document (its references to components resolve); throws when it is not valid. */
  compile(schema: Json): ValidateFunction;
  errorsText(errors: ErrorObject[] | null | undefined): string;
}

/**
 * Ajv in strict mode for the document's schemas, with the components registered. `transform`
 * rewrites every schema first (the README's examples are checked with placeholders allowed).
 */
export function schemaValidator(doc: JsonObject, transform: (schema: Json) => Json = (s) => s): SchemaValidator {
  // Strict but for strictRequired: a branch that only requires (`oneOf: [{required: [a]}, {required: [b]}]`)
  // is how JSON Schema says "one of these fields", though the field is defined beside it.
  const ajv = new Ajv2020({ strict: true, strictRequired: false, allErrors: true });
  addFormats(ajv);
  // OpenAPI 3.1's base vocabulary adds these keywords to JSON Schema's; they annotate, never validate.
  ajv.addVocabulary(['discriminator', 'xml', 'externalDocs', 'example']);
  const components = isObject(doc.components) && isObject(doc.components.schemas) ? doc.components.schemas : {};
  ajv.addSchema({ $id: COMPONENTS, $defs: Object.fromEntries(Object.entries(components).map(([name, s]) => [name, pointed(transform(s))])) });
  return {
    compile: (schema) => ajv.compile(pointed(transform(schema)) as object),
    errorsText: (errors) => ajv.errorsText(errors, { separator: '; ' }),
  };
}

// ---- The README ------------------------------------------------------------------------------

/** A `curl` command of the README against intake. */
export interface CurlExample {
  line: number;
  method: string;
  /** The path and query, as written. */
  target: string;
  headers: Record<string, string>;
  /** The `-d` body, parsed (with placeholders: see parseExampleJson). */
  body?: Json;
  /** What the README shows it answered, when it shows a JSON answer. */
  answer?: Json;
}

/** A JSON block the README labels (`<!-- openapi: ... -->` on the line before its fence; `none`: not of the API). */
export interface LabelledExample {
  line: number;
  /** `POST /v1/notifications/batch 202`, `webhook notification.status`. */
  label: string;
  value: Json;
}

/** A `METHOD /path` the README's prose names. */
export interface Mention {
  line: number;
  method: string;
  target: string;
}

export interface ReadmeExamples {
  curls: CurlExample[];
  labelled: LabelledExample[];
  /** JSON blocks without a label: every JSON block of the README is one of the API's. */
  unlabelled: number[];
  mentions: Mention[];
}

/** Intake's addresses in the README: the local stack, and the second region's. */
const INTAKE = /^http:\/\/127\.0\.0\.1:(3000|4000)(\/.*)$/;

/** Shell words as sh reads them: quotes, backslash-newline continuations; one command up to an unquoted newline. */
export function shellWords(text: string): { words: string[]; rest: string } {
  const words: string[] = [];
  let word: string | undefined;
  let i = 0;
  const push = (c: string) => (word = (word ?? '') + c);
  for (; i < text.length; i++) {
    const c = text[i] as string;
    if (c === '\\' && text[i + 1] === '\n') {
      i++;
    } else if (c === '\n') {
      break;
    } else if (c === ' ' || c === '\t') {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) throw new Error(`unterminated quote: ${text.slice(i, i + 40)}`);
      push(text.slice(i + 1, end));
      i = end;
    } else if (c === '"') {
      let j = i + 1;
      let out = '';
      for (; j < text.length && text[j] !== '"'; j++) out += text[j] === '\\' && /["\\$`]/.test(text[j + 1] ?? '') ? (text[++j] as string) : text[j];
      push(out);
      i = j;
    } else if (c === '\\') {
      push(text[++i] ?? '');
    } else {
      push(c);
    }
  }
  if (word !== undefined) words.push(word);
  return { words, rest: text.slice(i + 1) };
}

/**
 * JSON as the README writes it: `…` stands for what is left out. A string with `…` in it, or a
 * whole `<placeholder>`, is a value not shown; a bare `…` in an object is fields left out (kept as
 * a member `"…": true`, which lenientSchema accepts in place of any required field), and in an
 * array items left out (dropped).
 */
export function parseExampleJson(text: string): Json {
  let out = '';
  const stack: string[] = [];
  let inString = false;
  let last = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (inString) {
      out += c;
      if (c === '\\') out += text[++i] ?? '';
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === '{' || c === '[') stack.push(c);
    else if (c === '}' || c === ']') stack.pop();
    if (c === '…') {
      const member = stack.at(-1) === '{' && last !== ':';
      out += member ? `"${ELIDED}":true` : `"${ELIDED}"`;
      last = '"';
      continue;
    }
    out += c;
    if (!/\s/.test(c)) last = c;
  }
  const dropItems = (value: Json): Json =>
    Array.isArray(value) ? value.filter((v) => v !== ELIDED).map(dropItems) : isObject(value) ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, dropItems(v)])) : value;
  return dropItems(JSON.parse(out) as Json);
}

export const ELIDED = '…';
/** A value the README does not show: `…` in it, or a whole `<placeholder>`. */
const PLACEHOLDER = '…|^<[^<>]+>$';

const SUBSCHEMA_MAPS = ['properties', 'patternProperties', 'dependentSchemas', '$defs'];
const SUBSCHEMA_LISTS = ['allOf', 'anyOf', 'oneOf', 'prefixItems'];
const SUBSCHEMAS = ['items', 'additionalProperties', 'unevaluatedProperties', 'propertyNames', 'contains', 'not', 'if', 'then', 'else'];

/**
 * `schema` for checking the README's examples: any string constraint also takes a value not
 * shown, and an object with fields left out (`"…": true`) need not have its required ones; but an
 * object takes no field its schema does not name (the document's answers are open, so that
 * fields can be added, but an example with a misspelt one is wrong). Within `allOf`, whose parts
 * each name only some of the fields, objects stay open.
 */
export function lenientSchema(schema: Json, inAllOf = false): Json {
  if (!isObject(schema)) return schema;
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(schema)) {
    if (SUBSCHEMA_MAPS.includes(key) && isObject(value)) out[key] = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, lenientSchema(v, inAllOf)]));
    else if (SUBSCHEMA_LISTS.includes(key) && Array.isArray(value)) out[key] = value.map((v) => lenientSchema(v, inAllOf || key === 'allOf'));
    else if (SUBSCHEMAS.includes(key)) out[key] = lenientSchema(value, inAllOf);
    else out[key] = value;
  }
  if (isObject(out.properties) && out.additionalProperties === undefined && !inAllOf) out.additionalProperties = false;
  if (Array.isArray(out.required)) {
    out.allOf = [...(Array.isArray(out.allOf) ? out.allOf : []), { anyOf: [{ required: [ELIDED] }, { required: out.required }] }];
    delete out.required;
  }
  if (out.additionalProperties === false) out.properties = { ...(isObject(out.properties) ? out.properties : {}), [ELIDED]: true };
  const stringy = out.type === 'string' || typeof out.pattern === 'string' || typeof out.format === 'string' || (Array.isArray(out.enum) && out.enum.every((v) => typeof v === 'string')) || typeof out.const === 'string';
  return stringy ? { anyOf: [{ type: 'string', pattern: PLACEHOLDER }, out] } : out;
}

/** The README's examples of intake's API: curl commands, labelled JSON blocks, and `METHOD /path` in prose. */
export function readmeExamples(markdown: string): ReadmeExamples {
  const lines = markdown.split('\n');
  const examples: ReadmeExamples = { curls: [], labelled: [], unlabelled: [], mentions: [] };
  let fence: { lang: string; start: number } | undefined;
  for (const [i, line] of lines.entries()) {
    const opening = /^\s*```(\w*)\s*$/.exec(line);
    if (opening && !fence) {
      fence = { lang: opening[1] ?? '', start: i + 1 };
      continue;
    }
    if (opening && fence) {
      const body = lines.slice(fence.start, i);
      if (fence.lang === 'console') examples.curls.push(...curlsIn(body, fence.start));
      if (fence.lang === 'json') {
        const label = /^<!--\s*openapi:\s*(.+?)\s*-->$/.exec(lines[fence.start - 2]?.trim() ?? '')?.[1];
        if (label === 'none') examples.labelled.push({ line: fence.start, label, value: null });
        else if (label) examples.labelled.push({ line: fence.start, label, value: parseExampleJson(body.join('\n')) });
        else examples.unlabelled.push(fence.start);
      }
      fence = undefined;
      continue;
    }
    if (fence) continue;
    // Intake's API is under /v1/ (the provider simulator's `/_sim/...` is not its).
    for (const m of line.matchAll(/`(GET|POST|PUT|PATCH|DELETE) (\/v1\/[^`]*)`/g)) examples.mentions.push({ line: i + 1, method: m[1] as string, target: m[2] as string });
  }
  return examples;
}

/** The curl commands of a console block (`$ curl ...`), each with the JSON it answered, if shown. */
function curlsIn(block: string[], firstLine: number): CurlExample[] {
  const found: CurlExample[] = [];
  let i = 0;
  while (i < block.length) {
    if (!(block[i] as string).startsWith('$ ')) {
      i++;
      continue;
    }
    const line = firstLine + i + 1;
    // The command may run over several lines (continuations, a quoted body): read it whole.
    const text = block.slice(i).join('\n').slice(2);
    const { words, rest } = shellWords(text);
    i += rest === '' ? block.length - i : text.split('\n').length - rest.split('\n').length;
    const answerLines: string[] = [];
    while (i < block.length && !(block[i] as string).startsWith('$ ')) answerLines.push(block[i++] as string);
    const curl = curlOf(words, line);
    if (!curl) continue;
    const answer = answerLines.join('\n').trim();
    found.push({ ...curl, ...(answer.startsWith('{') || answer.startsWith('[') ? { answer: parseExampleJson(answer) } : {}) });
  }
  return found;
}

function curlOf(words: string[], line: number): CurlExample | undefined {
  if (words[0] !== 'curl') return undefined;
  let method: string | undefined;
  let url: string | undefined;
  let data: string | undefined;
  const headers: Record<string, string> = {};
  for (let i = 1; i < words.length; i++) {
    const word = words[i] as string;
    if (word === '-X' || word === '--request') method = words[++i];
    else if (word === '-H' || word === '--header') {
      const [name = '', ...value] = (words[++i] ?? '').split(':');
      headers[name.trim().toLowerCase()] = value.join(':').trim();
    } else if (word === '-d' || word === '--data' || word === '--data-raw') data = words[++i];
    else if (word.startsWith('-')) continue;
    else url = word;
  }
  const target = url === undefined ? undefined : INTAKE.exec(url)?.[2];
  if (target === undefined) return undefined;
  return { line, method: method ?? (data === undefined ? 'GET' : 'POST'), target, headers, ...(data === undefined ? {} : { body: parseExampleJson(data) }) };
}
