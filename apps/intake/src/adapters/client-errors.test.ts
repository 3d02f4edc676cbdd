import { PassThrough } from 'node:stream';
import { answerClientError } from './client-errors.js';

// What intake writes on a socket whose request Node's parser refused (see the HTTP-level cases
// in malformed-requests.test.ts; a request timeout takes minutes to reach that way).

function socket(inFlight?: { headersSent: boolean }) {
  const s = Object.assign(new PassThrough(), { _httpMessage: inFlight ?? null });
  const written: string[] = [];
  s.on('data', (chunk: Buffer) => written.push(chunk.toString('utf8')));
  return { s, written: () => written.join('') };
}

const parserError = (code: string): Error & { code: string } => Object.assign(new Error(code), { code });

describe('answerClientError', () => {
  it.each([
    ['HPE_INVALID_URL', 400, 'invalid_http'],
    ['HPE_INVALID_HEADER_TOKEN', 400, 'invalid_http'],
    ['HPE_HEADER_OVERFLOW', 431, 'headers_too_large'],
    ['HPE_CHUNK_EXTENSIONS_OVERFLOW', 413, 'payload_too_large'],
    ['ERR_HTTP_REQUEST_TIMEOUT', 408, 'request_timeout'],
  ])('answers %s with %i %s in the error shape, then closes', async (code, status, apiCode) => {
    const { s, written } = socket();
    answerClientError(parserError(code), s);
    await new Promise((resolve) => setImmediate(resolve));
    const [head = '', body = ''] = written().split('\r\n\r\n');
    expect(head).toMatch(new RegExp(`^HTTP/1\\.1 ${status} `));
    expect(head).toContain('Content-Type: application/json; charset=utf-8');
    expect(head).toContain(`Content-Length: ${Buffer.byteLength(body)}`);
    expect(head).toContain('Connection: close');
    expect(JSON.parse(body)).toMatchObject({ error: { code: apiCode } });
    expect(s.destroyed).toBe(true);
  });

  it.each([
    ['into a response already under way', { headersSent: true }, 'HPE_INVALID_URL'],
    ['to a peer that reset the connection', undefined, 'ECONNRESET'],
  ])('writes nothing %s, and closes', async (_what, inFlight, code) => {
    const { s, written } = socket(inFlight);
    answerClientError(parserError(code), s);
    await new Promise((resolve) => setImmediate(resolve));
    expect(written()).toBe('');
    expect(s.destroyed).toBe(true);
  });
});
