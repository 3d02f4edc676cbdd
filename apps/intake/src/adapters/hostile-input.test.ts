import * as fc from 'fast-check';
import { isDotSegment } from '@herald/contracts';
import { startIntake, type IntakeHarness, type RawAnswer } from './intake-harness.test-helper.js';
import { hostileRequests } from './hostile-requests.test-helper.js';

// Property-based fuzzing of every public route with what a hostile or broken client sends
// (hostile-requests.test-helper.ts): whatever it is, intake never answers 5xx (the fakes never
// fail, so a 5xx is intake's own fault), every 4xx is JSON in the error shape, a request
// answered 4xx writes nothing (nothing published, claimed, stored or recorded), and an id that
// is a dot segment is refused. FUZZ_RUNS and FUZZ_MS run it longer, to explore.

let h: IntakeHarness;
beforeAll(async () => {
  h = await startIntake();
});
afterAll(() => h.close());

/** Whether a path segment decodes to `.` or `..`: such an id is refused, never served. */
function hasDotSegmentId(path: string): boolean {
  return (path.split('?')[0] ?? '').split('/').some((segment) => {
    try {
      return isDotSegment(decodeURIComponent(segment));
    } catch {
      return false;
    }
  });
}

/**
 * A 4xx body: the error shape, or a batch's documented per-item answer (README, "Batches": a
 * batch accepting none answers its items' most telling status) whose refusals each have it.
 */
function isErrorShaped(res: RawAnswer, path: string): boolean {
  if (!/^application\/json/.test(res.headers['content-type'] ?? '')) return false;
  const body = JSON.parse(res.text) as { error?: unknown; results?: Array<{ error?: unknown }> };
  const shaped = (e: unknown): boolean => {
    const { code, message, field } = (e ?? {}) as Record<string, unknown>;
    return typeof code === 'string' && typeof message === 'string' && (field === undefined || typeof field === 'string');
  };
  if (body.error !== undefined) return shaped(body.error);
  return path.startsWith('/v1/notifications/batch') && Array.isArray(body.results) && body.results.every((r) => r.error === undefined || shaped(r.error));
}

it('answers every hostile request below 500, refuses in the error shape, and writes nothing it refuses', async () => {
  await fc.assert(
    fc.asyncProperty(hostileRequests(h.signSendGrid), async ({ method, path, options }) => {
      h.reset();
      const res = await h.send(method, path, options);
      // The answer itself when it fails, so the report shows what came back.
      const seen = `${res.status} ${res.headers['content-type']} ${res.text.slice(0, 300)}`;
      expect(res.status < 500 ? 'below 500' : seen).toBe('below 500');
      if (hasDotSegmentId(path)) expect(res.status >= 400 ? 'refused' : seen).toBe('refused');
      if (res.status >= 400) {
        expect(isErrorShaped(res, path) ? 'error-shaped' : seen).toBe('error-shaped');
        expect(h.writes()).toBe(0);
      }
    }),
    // A few seconds: enough runs to reach every route with every kind of input; a slow machine
    // stops early (and passes) rather than hold up the suite.
    { numRuns: Number(process.env.FUZZ_RUNS ?? 400), interruptAfterTimeLimit: Number(process.env.FUZZ_MS ?? 8_000) },
  );
});
