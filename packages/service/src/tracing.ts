import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import { z } from 'zod';

// The app's own spans, where Dapr's sidecars cannot see the work or cannot carry its trace: a
// bulk publish (one sidecar call for many notifications), a bulk delivery, an actor's reminder
// (it fires with no trace of its own), a provider's API (Dapr never sees it). Each span names its
// notification (`herald.notification_id`), so a trace UI finds a notification's one trace by it.
//
// No tracing endpoint, no tracer: `start` hands the parent on as it came, allocates one small
// object and records nothing, and OpenTelemetry's SDK is not even loaded (tracing-sdk.ts), so a
// process without a trace backend pays next to nothing. With one, spans follow the caller's
// sampling decision (a traceparent's sampled flag): an unsampled trace is never recorded here
// either. Spans are exported to Zipkin's API in batches, off the request path. The context is
// passed by hand, as a traceparent string, never through async_hooks: a context manager would
// cost every await of the process, traced or not.

export { NOTIFICATION_ID_ATTRIBUTE, type SpanAttributes, type SpanKindName, type SpanOptions, type TraceSpan, type Tracing, type TracingSettings } from './trace-span.js';
import type { TraceSpan, Tracing, TracingSettings } from './trace-span.js';

/** Where the app exports its spans, from the environment (every app reads the same two variables). */
export const tracingEnvSchema = z.object({
  /** Zipkin's span API (`http://127.0.0.1:9411/api/v2/spans`); unset or empty, no spans are made. */
  ZIPKIN_ENDPOINT: z
    .string()
    .optional()
    .transform((v) => (v?.trim() ? v.trim() : undefined))
    .pipe(z.url().optional()),
  /**
   * The share of new traces recorded (a request that arrives without a traceparent): the same
   * fraction as the sidecars' `samplingRate`. A trace that arrives keeps its caller's decision.
   */
  TRACE_SAMPLING_RATE: z.coerce.number().min(0).max(1).default(1),
});

const passThrough = (parent: string | undefined): TraceSpan => ({ traceparent: parent, set() {}, end() {} });

/** No spans: every span hands its parent on. */
export const noTracing: Tracing = {
  enabled: false,
  start: (_name, opts) => passThrough(opts?.parent),
  shutdown: () => Promise.resolve(),
};

/**
 * The app's tracing: spans of `serviceName` (the app id, as its sidecar names itself) exported to
 * ZIPKIN_ENDPOINT; `noTracing` when it is unset. `exporter` replaces Zipkin (tests).
 */
export async function createTracing(serviceName: string, settings: TracingSettings, exporter?: SpanExporter): Promise<Tracing> {
  if (!settings.ZIPKIN_ENDPOINT && !exporter) return noTracing;
  const { createSdkTracing } = await import('./tracing-sdk.js');
  return createSdkTracing(serviceName, settings, exporter);
}
