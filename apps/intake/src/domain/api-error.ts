import type { z } from 'zod';

/** The body of every error answer: a stable machine-readable code, and the field at fault. */
export interface ApiError {
  error: {
    code: string;
    message: string;
    field?: string;
    details?: Array<{ field: string; code: string; message: string }>;
    /** `insufficient_scope`: the scope the API key lacks. */
    scope?: string;
    /** `wrong_region`: the customer's home region and its base URL. */
    region?: string;
    baseUrl?: string | null;
  };
}

/** A customer who lives in another region: where, and where to send the request instead. */
export function wrongRegion(customerId: string, region: string, baseUrl: string | undefined, field = 'customerId'): ApiError {
  const where = baseUrl ? ` (${baseUrl})` : '';
  return { error: { ...apiError('wrong_region', `customer ${customerId} lives in region ${region}: send this to that region's intake${where}`, field).error, region, baseUrl: baseUrl ?? null } };
}

export function apiError(code: string, message: string, field?: string): ApiError {
  return { error: { code, message, ...(field === undefined ? {} : { field }) } };
}

const fieldOf = (path: ReadonlyArray<PropertyKey>): string => path.map(String).join('.') || '(body)';

/** `channel`, or one entry of the fallback list `channels` (`channels.1`). */
const isChannelField = (field: string): boolean => field === 'channel' || /^channels\.\d+$/.test(field);

/**
 * Turns zod's issues on a request body into an answer. An unknown channel gets its own code
 * (`unknown_channel`), since a caller reading it can act on it; everything else is
 * `validation_failed`, with every offending field listed.
 */
export function validationError(issues: ReadonlyArray<z.core.$ZodIssue>): ApiError {
  const details = issues.map((i) => ({ field: fieldOf(i.path), code: issueCode(i), message: i.message }));
  const channel = details.find((d) => isChannelField(d.field) && d.code === 'invalid_value');
  const first = channel ?? details[0];
  const code = channel ? 'unknown_channel' : 'validation_failed';
  const message = first ? `${first.field}: ${first.message}` : 'invalid request';
  return { error: { code, message, ...(first ? { field: first.field } : {}), details } };
}

function issueCode(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_type' && issue.input === undefined) return 'required';
  if (issue.code === 'custom' && issue.message.startsWith('required')) return 'required';
  if (issue.code === 'invalid_format' || issue.code === 'too_big' || issue.code === 'too_small') return issue.code;
  if (issue.code === 'unrecognized_keys') return 'unknown_field';
  return issue.code;
}

/** What the schema could not check because it needed the time (see accept.ts timingIssues), in validationError's shape. */
export function timingError(issues: ReadonlyArray<{ field: string; message: string }>): ApiError {
  const details = issues.map((i) => ({ ...i, code: 'invalid_time' }));
  const first = details[0];
  return { error: { code: 'validation_failed', message: first ? `${first.field}: ${first.message}` : 'invalid request', ...(first ? { field: first.field } : {}), details } };
}
