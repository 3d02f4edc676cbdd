import { errMessage } from '@herald/service';
import { SidecarError } from './sidecar-error.js';
import { createSidecarHttp } from './sidecar-http.js';
import { createStatePort, type StatePort } from './state.js';

export { SidecarError } from './sidecar-error.js';

// A small client for the Dapr sidecar's HTTP API (Dapr docs, "API reference"): the calls
// Herald makes on its hot path, over keep-alive node:http connections (sidecar-http.ts), with nothing hidden. The @dapr/dapr
// SDK's client checks the sidecar's metadata on construction and wraps every call; here each
// call is one request.

function failedEntriesOf(body: string): Map<string, string> | undefined {
  try {
    const parsed = JSON.parse(body) as { failedEntries?: Array<{ entryId?: unknown; error?: unknown }> };
    if (!Array.isArray(parsed.failedEntries) || parsed.failedEntries.length === 0) return undefined;
    return new Map(parsed.failedEntries.map((f) => [String(f.entryId), typeof f.error === 'string' ? f.error : 'failed']));
  } catch {
    return undefined;
  }
}

export interface RequestOptions {
  traceparent?: string | undefined;
  timeoutMs?: number;
  /** Component metadata for this request (`?metadata.<key>=`), e.g. a message's priority. */
  metadata?: Record<string, string>;
}

export interface ReminderSpec {
  /** Go duration ("1500ms", "2m") or RFC 3339 time. Never days: they serialise wrongly. */
  dueTime: string;
  period?: string;
  data?: unknown;
}

/** One entry of a bulk publish: `entryId` names it in the answer. */
export interface BulkPublishEntry {
  entryId: string;
  event: unknown;
  /** This message's component metadata (e.g. its priority). */
  metadata?: Record<string, string>;
}

// The sidecar's API in the narrow ports its users need: each takes only the port it uses, so
// a fake in a test implements what it fakes and nothing else.

/** Publishes one event. */
export interface PublishPort {
  publish(pubsub: string, topic: string, data: unknown, opts?: RequestOptions): Promise<void>;
}

export interface BulkPublishPort {
  /**
   * Publishes many events in one request (Dapr docs, "Pub/sub API", bulk publish, alpha API).
   * Resolves with the entries that failed, by entryId, and their error; rejects when the
   * sidecar could not be asked at all (then none is known to be published).
   */
  publishBulk(pubsub: string, topic: string, entries: readonly BulkPublishEntry[], opts?: RequestOptions): Promise<Map<string, string>>;
}

/** Calls a method of an actor, wherever placement has it. */
export interface ActorPort {
  invokeActor(actorType: string, actorId: string, method: string, body?: unknown, opts?: RequestOptions): Promise<unknown>;
}

/** An actor's durable reminders (kept by the Dapr scheduler). */
export interface ReminderPort {
  registerReminder(actorType: string, actorId: string, name: string, spec: ReminderSpec): Promise<void>;
  deleteReminder(actorType: string, actorId: string, name: string): Promise<void>;
}

export interface SecretPort {
  getSecret(store: string, key: string): Promise<Record<string, string>>;
}

/** Output bindings: a store's own language where the state API has none (an index's DDL). */
export interface BindingPort {
  invokeBinding(name: string, operation: string, data?: unknown, metadata?: Record<string, string>): Promise<string>;
}

export interface ReadinessPort {
  /** Waits until the sidecar has loaded its components (it answers /v1.0/healthz/outbound). */
  waitUntilReady(timeoutMs: number): Promise<void>;
}

/** The whole client, as a process's main makes it and hands each user its port. */
export interface Sidecar extends PublishPort, BulkPublishPort, ActorPort, ReminderPort, SecretPort, ReadinessPort, StatePort, BindingPort {}

export interface SidecarOptions {
  /** How long a call waits for its answer unless it says otherwise: 10 s. */
  defaultTimeoutMs?: number;
  /** Dapr's API token (DAPR_API_TOKEN), when the sidecar has one. */
  apiToken?: string | undefined;
  /**
   * How a secret's name is spelled in the secret store: as Herald names it (`KEY_ENCRYPTION_KEYS`),
   * or with dashes for underscores (`KEY-ENCRYPTION-KEYS`), for Azure Key Vault, whose names allow
   * only letters, digits and dashes. The answer is keyed by Herald's name either way.
   */
  secretNames?: 'as-is' | 'dashes' | undefined;
}

export function createSidecar(host: string, port: number, opts: SidecarOptions = {}): Sidecar {
  const base = `http://${host}:${port}`;
  const http = createSidecarHttp(host, port, opts.defaultTimeoutMs, opts.apiToken);

  async function call(operation: string, method: string, path: string, body: unknown, opts: RequestOptions = {}): Promise<string> {
    const answer = await http({
      operation,
      method,
      path,
      body: body === undefined ? undefined : JSON.stringify(body),
      traceparent: opts.traceparent,
      timeoutMs: opts.timeoutMs,
    });
    return answer.text;
  }

  const enc = encodeURIComponent;
  return {
    ...createStatePort(http),
    async publish(pubsub, topic, data, opts) {
      const query = Object.entries(opts?.metadata ?? {}).map(([k, v]) => `metadata.${enc(k)}=${enc(v)}`).join('&');
      await call('publish', 'POST', `/v1.0/publish/${enc(pubsub)}/${enc(topic)}${query ? '?' + query : ''}`, data, opts);
    },
    async publishBulk(pubsub, topic, entries, opts) {
      const body = entries.map((e) => ({ entryId: e.entryId, event: e.event, contentType: 'application/json', ...(e.metadata ? { metadata: e.metadata } : {}) }));
      try {
        await call('publish', 'POST', `/v1.0-alpha1/publish/bulk/${enc(pubsub)}/${enc(topic)}`, body, opts);
        return new Map();
      } catch (err) {
        // A partial failure answers 500 with the entries that failed; anything else failed whole.
        const failed = err instanceof SidecarError ? failedEntriesOf(err.body) : undefined;
        if (!failed) throw err;
        return failed;
      }
    },
    async invokeActor(actorType, actorId, method, body, opts) {
      const text = await call('actor', 'PUT', `/v1.0/actors/${enc(actorType)}/${enc(actorId)}/method/${enc(method)}`, body ?? {}, opts);
      return text === '' ? undefined : (JSON.parse(text) as unknown);
    },
    async registerReminder(actorType, actorId, name, spec) {
      await call('reminder', 'POST', `/v1.0/actors/${enc(actorType)}/${enc(actorId)}/reminders/${enc(name)}`, spec);
    },
    async deleteReminder(actorType, actorId, name) {
      await call('reminder', 'DELETE', `/v1.0/actors/${enc(actorType)}/${enc(actorId)}/reminders/${enc(name)}`, undefined);
    },
    async invokeBinding(name, operation, data, metadata) {
      return call('binding', 'POST', `/v1.0/bindings/${enc(name)}`, { operation, ...(data !== undefined ? { data } : {}), ...(metadata ? { metadata } : {}) });
    },
    async getSecret(store, key) {
      const stored = opts.secretNames === 'dashes' ? key.replaceAll('_', '-') : key;
      const text = await call('secret', 'GET', `/v1.0/secrets/${enc(store)}/${enc(stored)}`, undefined);
      const answer = JSON.parse(text) as Record<string, string>;
      const value = answer[stored];
      return stored === key || value === undefined ? answer : { [key]: value };
    },
    async waitUntilReady(timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      let last = 'no answer';
      while (Date.now() < deadline) {
        try {
          const res = await fetch(`${base}/v1.0/healthz/outbound`, { signal: AbortSignal.timeout(1000), headers: opts.apiToken ? { 'dapr-api-token': opts.apiToken } : {} });
          if (res.ok) return;
          last = `HTTP ${res.status}`;
        } catch (err) {
          last = errMessage(err);
        }
        await new Promise((r) => setTimeout(r, 200));
      }
      throw new Error(`Dapr sidecar at ${base} not ready after ${timeoutMs} ms (${last})`);
    },
  };
}
