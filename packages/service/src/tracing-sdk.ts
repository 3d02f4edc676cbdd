import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes } from '@opentelemetry/api';
import { parseTraceParent } from '@opentelemetry/core';
import { ZipkinExporter } from '@opentelemetry/exporter-zipkin';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, ParentBasedSampler, TraceIdRatioBasedSampler, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { NOTIFICATION_ID_ATTRIBUTE, type SpanKindName, type SpanOptions, type Tracing, type TracingSettings } from './trace-span.js';

// OpenTelemetry's SDK behind tracing.ts's interface, loaded only by a process that exports spans.

const KINDS: Record<SpanKindName, SpanKind> = {
  server: SpanKind.SERVER,
  client: SpanKind.CLIENT,
  producer: SpanKind.PRODUCER,
  consumer: SpanKind.CONSUMER,
  internal: SpanKind.INTERNAL,
};

function attributesOf(opts: SpanOptions | undefined): Attributes | undefined {
  if (!opts?.notificationId && !opts?.attributes) return undefined;
  const attributes: Attributes = {};
  for (const [key, value] of Object.entries(opts.attributes ?? {})) if (value !== undefined) attributes[key] = value;
  if (opts.notificationId) attributes[NOTIFICATION_ID_ATTRIBUTE] = opts.notificationId;
  return attributes;
}

/** Spans of `serviceName`, sampled after their parent, exported in batches to Zipkin's API (or to `exporter`). */
export function createSdkTracing(serviceName: string, settings: TracingSettings, exporter?: SpanExporter): Tracing {
  const url = settings.ZIPKIN_ENDPOINT;
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': serviceName }),
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(settings.TRACE_SAMPLING_RATE ?? 1) }),
    spanProcessors: [
      // A second's batch: a trace shows up within about a second, and under load one export
      // carries hundreds of spans. A full queue drops spans rather than holding memory.
      new BatchSpanProcessor(exporter ?? new ZipkinExporter({ url: url ?? '', serviceName }), {
        scheduledDelayMillis: 1_000,
        maxExportBatchSize: 512,
        maxQueueSize: 4_096,
      }),
    ],
  });
  const tracer = provider.getTracer('herald');

  return {
    enabled: true,
    start(name, opts) {
      const parent = opts?.parent ? parseTraceParent(opts.parent) : null;
      const context = parent ? trace.setSpanContext(ROOT_CONTEXT, { ...parent, isRemote: true }) : ROOT_CONTEXT;
      const attributes = attributesOf(opts);
      const span = tracer.startSpan(
        name,
        { kind: KINDS[opts?.kind ?? 'internal'], ...(attributes ? { attributes } : {}), ...(opts?.startTime ? { startTime: opts.startTime } : {}) },
        context,
      );
      const { traceId, spanId, traceFlags } = span.spanContext();
      return {
        traceparent: `00-${traceId}-${spanId}-${traceFlags.toString(16).padStart(2, '0')}`,
        set(attributes) {
          if (!span.isRecording()) return;
          for (const [key, value] of Object.entries(attributes)) if (value !== undefined) span.setAttribute(key, value);
        },
        end(failure) {
          if (failure !== undefined && span.isRecording()) {
            span.setStatus({ code: SpanStatusCode.ERROR, message: typeof failure === 'string' ? failure : failure.message });
          }
          span.end();
        },
      };
    },
    shutdown: () => provider.shutdown(),
  };
}
