import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

// PII never reaches a log line: recipients, content and credentials are censored in a logged
// object down to two levels of nesting. Log ids (notification, trace), not payloads.
const redactPaths = [
  'to',
  '*.to',
  '*.*.to',
  'content',
  '*.content',
  '*.*.content',
  'email',
  '*.email',
  'phone',
  '*.phone',
  'deviceToken',
  '*.deviceToken',
  'authorization',
  '*.authorization',
  'req.headers.authorization',
  'headers.authorization',
  'apiKey',
  '*.apiKey',
];

export function createLogger(app: string, level: string = process.env.LOG_LEVEL ?? 'info', destination?: DestinationStream): Logger {
  const options = {
    name: app,
    level,
    base: { app },
    redact: { paths: redactPaths, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return destination ? pino(options, destination) : pino(options);
}

/** The message of something thrown, for a log line or a reason: an Error's message, else its text. */
export const errMessage = (err: unknown): string => (err instanceof Error ? err.message : String(err));
