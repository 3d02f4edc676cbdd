import type { IncomingHttpHeaders } from 'node:http';
import type { Gate } from '../domain/provider-gate.js';
import type { ProviderName } from '../domain/sim-config.js';
import type { Reply } from './http-io.js';

export interface ProviderRequest {
  /** Path parameters of the matched route (accountSid, hubName). */
  params: Record<string, string>;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: string;
  /** The Host the client used, for absolute URLs in answers. */
  host: string;
}

/** Random identifiers in the providers' formats. */
export interface IdSource {
  /** `length` lowercase hex digits. */
  hex(length: number): string;
  /** `length` URL-safe base64 characters. */
  token(length: number): string;
  uuid(): string;
}

export interface ReplyContext {
  ids: IdSource;
  /** Wall-clock time, for dates in answers. */
  date: Date;
}

/** A provider's own answer to a request the simulator let through. */
export interface Handled {
  reply: Reply;
  /** The push devices an accepted send reached (a batch direct send names many); other providers leave it out. */
  devices?: number;
}

/**
 * One simulated provider: its credentials check, its shapes for refusals the simulator decides
 * (outage, throttle, fault) and its own validation and success answer.
 */
export interface ProviderApi {
  provider: ProviderName;
  /** The provider's 401 when the request carries no usable credentials, else undefined. */
  unauthorized(req: ProviderRequest, ctx: ReplyContext): Reply | undefined;
  refuse(gate: Exclude<Gate, { kind: 'pass' }>, ctx: ReplyContext): Reply;
  handle(req: ProviderRequest, ctx: ReplyContext): Handled;
}

/** Whole seconds for a Retry-After header: at least 1. */
export const retryAfterSeconds = (ms: number): number => Math.max(1, Math.ceil(ms / 1_000));
