import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { apiError } from '../domain/api-error.js';
import type { Answer } from './routes/answer.js';

// Requests Node's HTTP parser refuses before any handler runs (raw non-ASCII bytes in the path,
// a malformed request line or header, headers over the size limit). Node answers them with a
// bare status line and no body; intake answers them in its error shape, like every other refusal.

/** Node's own choice of status for each parser error, with intake's code for it. */
function answerFor(code: string | undefined): Answer {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return { status: 431, json: apiError('headers_too_large', 'the request headers are over the size limit') };
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return { status: 413, json: apiError('payload_too_large', 'the chunk extensions are over the size limit', '(body)') };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { status: 408, json: apiError('request_timeout', 'the request was not received in time; send it again') };
    default:
      return { status: 400, json: apiError('invalid_http', 'not a valid HTTP/1.1 request (a path must be ASCII: percent-encode other bytes)') };
  }
}

/** The socket's response in flight, if any (Node's own handler checks the same before writing). */
type ServerSocket = Duplex & { _httpMessage?: { headersSent?: boolean } | null };

/** A server's `clientError` listener: answers, when nothing else has been written, then closes. */
export function answerClientError(err: Error & { code?: string }, socket: ServerSocket): void {
  if (err.code !== 'ECONNRESET' && socket.writable && !socket._httpMessage?.headersSent) {
    const answer = answerFor(err.code);
    const text = JSON.stringify(answer.json);
    socket.write(
      `HTTP/1.1 ${answer.status} ${STATUS_CODES[answer.status] ?? ''}\r\n` +
        `Content-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`,
    );
  }
  socket.destroy();
}
