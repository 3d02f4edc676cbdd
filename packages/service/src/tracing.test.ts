import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { createTracing, noTracing, NOTIFICATION_ID_ATTRIBUTE, tracingEnvSchema } from './tracing.js';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const sampled = `00-${TRACE}-00f067aa0ba902b7-01`;
const unsampled = `00-${TRACE}-00f067aa0ba902b7-00`;
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-(0[01])$/;

/** Keeps what is exported (an in-memory exporter forgets it at shutdown). */
async function traced(rate = 1) {
  const finished: ReadableSpan[] = [];
  const exporter: SpanExporter = {
    export: (spans, done) => {
      finished.push(...spans);
      done({ code: 0 });
    },
    shutdown: () => Promise.resolve(),
  };
  return { exporter: { getFinishedSpans: () => finished }, tracing: await createTracing('channel-sms', { TRACE_SAMPLING_RATE: rate }, exporter) };
}

describe('tracing', () => {
  it('is off without an endpoint: a span hands its parent on and records nothing', async () => {
    const tracing = await createTracing('intake', tracingEnvSchema.parse({ ZIPKIN_ENDPOINT: '' }));
    expect(tracing).toBe(noTracing);
    expect(tracing.start('accept', { parent: sampled, notificationId: 'ntf_x' }).traceparent).toBe(sampled);
    expect(tracing.start('accept').traceparent).toBeUndefined();
    await tracing.shutdown();
  });

  it('continues the parent trace, names the notification and the app, and exports on shutdown', async () => {
    const { exporter, tracing } = await traced();
    const span = tracing.start('send sms', { parent: sampled, kind: 'consumer', notificationId: 'ntf_1', attributes: { 'herald.attempt': 2, skipped: undefined } });
    const [, traceId, spanId, flags] = TRACEPARENT.exec(span.traceparent ?? '') ?? [];
    expect([traceId, flags]).toEqual([TRACE, '01']);
    const child = tracing.start('provider twilio', { parent: span.traceparent, kind: 'client' });
    child.set({ 'herald.outcome': 'permanent' });
    child.end('permanent');
    span.end();
    await tracing.shutdown();
    const spans = exporter.getFinishedSpans();
    expect(spans.map((s) => s.name)).toEqual(['provider twilio', 'send sms']);
    const [provider, send] = spans;
    expect(send?.spanContext().spanId).toBe(spanId);
    expect(send?.parentSpanContext?.spanId).toBe('00f067aa0ba902b7');
    expect(send?.attributes).toEqual({ [NOTIFICATION_ID_ATTRIBUTE]: 'ntf_1', 'herald.attempt': 2 });
    expect(send?.resource.attributes['service.name']).toBe('channel-sms');
    expect(provider?.parentSpanContext?.spanId).toBe(spanId);
    expect(provider?.attributes['herald.outcome']).toBe('permanent');
    expect(provider?.status).toEqual({ code: 2, message: 'permanent' });
  });

  it('records nothing of a trace its caller did not sample, and keeps it unsampled downstream', async () => {
    const { exporter, tracing } = await traced();
    const span = tracing.start('accept', { parent: unsampled, notificationId: 'ntf_2' });
    expect(span.traceparent).toMatch(new RegExp(`^00-${TRACE}-[0-9a-f]{16}-00$`));
    tracing.start('lane', { parent: span.traceparent }).end();
    span.end();
    await tracing.shutdown();
    expect(exporter.getFinishedSpans()).toEqual([]);
  });

  it('starts a trace for a request without one, sampled at the configured rate', async () => {
    const all = await traced(1);
    const root = all.tracing.start('accept');
    expect(root.traceparent).toMatch(TRACEPARENT);
    expect(root.traceparent?.endsWith('-01')).toBe(true);
    root.end();
    await all.tracing.shutdown();
    expect(all.exporter.getFinishedSpans()).toHaveLength(1);

    const none = await traced(0);
    const unrecorded = none.tracing.start('accept');
    expect(unrecorded.traceparent?.endsWith('-00')).toBe(true);
    unrecorded.end();
    await none.tracing.shutdown();
    expect(none.exporter.getFinishedSpans()).toEqual([]);
  });

  it('starts a new trace when the parent is malformed', async () => {
    const { exporter, tracing } = await traced();
    const span = tracing.start('accept', { parent: 'not-a-traceparent' });
    expect(TRACEPARENT.exec(span.traceparent ?? '')?.[1]).not.toBe(TRACE);
    span.end();
    await tracing.shutdown();
    expect(exporter.getFinishedSpans()[0]?.parentSpanContext).toBeUndefined();
  });

  it('reads its endpoint and rate from the environment, and refuses what is not a URL or a fraction', () => {
    expect(tracingEnvSchema.parse({})).toEqual({ ZIPKIN_ENDPOINT: undefined, TRACE_SAMPLING_RATE: 1 });
    expect(tracingEnvSchema.parse({ ZIPKIN_ENDPOINT: 'http://127.0.0.1:9411/api/v2/spans', TRACE_SAMPLING_RATE: '0.01' })).toEqual({
      ZIPKIN_ENDPOINT: 'http://127.0.0.1:9411/api/v2/spans',
      TRACE_SAMPLING_RATE: 0.01,
    });
    expect(tracingEnvSchema.safeParse({ ZIPKIN_ENDPOINT: '127.0.0.1:9411' }).success).toBe(false);
    expect(tracingEnvSchema.safeParse({ TRACE_SAMPLING_RATE: '2' }).success).toBe(false);
  });
});
