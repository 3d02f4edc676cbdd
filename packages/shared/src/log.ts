import { pino, type Logger } from 'pino';

export type { Logger };

// PII never reaches a log line: recipients, content and credentials are censored wherever
// they appear in a logged object. Log ids (notification, trace), not payloads.
const redactPaths = [
  'to',
  '*.to',
  'content',
  '*.content',
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

export function createLogger(app: string, level: string = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({
    name: app,
    level,
    base: { app },
    redact: { paths: redactPaths, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}
