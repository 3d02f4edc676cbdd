// The shapes of tracing.ts's interface, shared with its implementation (tracing-sdk.ts).

/** The attribute a trace UI searches a notification's trace by. */
export const NOTIFICATION_ID_ATTRIBUTE = 'herald.notification_id';

export type SpanKindName = 'server' | 'client' | 'producer' | 'consumer' | 'internal';

export type SpanAttributes = Record<string, string | number | boolean | undefined>;

export interface SpanOptions {
  /** The W3C traceparent this span continues; a new trace when absent or malformed. */
  parent?: string | undefined;
  kind?: SpanKindName;
  /** The notification the span works on. */
  notificationId?: string | undefined;
  attributes?: SpanAttributes;
  /** When the work began, if earlier than now (a request's arrival). */
  startTime?: Date;
}

export interface TraceSpan {
  /**
   * What the next hop continues: this span's traceparent; without tracing, the parent as given
   * (so a caller's trace still travels on, and the timeline still names it).
   */
  readonly traceparent: string | undefined;
  set(attributes: SpanAttributes): void;
  /** Ends the span; a failure (a reason or an error) marks it failed. */
  end(failure?: string | Error): void;
}

export interface Tracing {
  readonly enabled: boolean;
  start(name: string, opts?: SpanOptions): TraceSpan;
  /** Sends the spans still waiting for their batch (before the process exits). */
  shutdown(): Promise<void>;
}

/** What the app's tracing is made from (tracingEnvSchema reads it from the environment). */
export interface TracingSettings {
  ZIPKIN_ENDPOINT?: string | undefined;
  TRACE_SAMPLING_RATE?: number | undefined;
}
