// Just enough of multipart (RFC 2046 §5.1.1) to read Notification Hubs' direct batch send: text
// parts, CRLF line ends, no nesting. Not a general MIME reader.

export interface Part {
  /** Header names in lower case; the first value where one came twice. */
  headers: ReadonlyMap<string, string>;
  body: string;
}

/**
 * The boundary of a `multipart/…` Content-Type, quoted or not. Spaces around `=` are allowed:
 * @azure/notification-hubs writes `multipart/mixed; boundary = "nh-boundary-…"`.
 */
export function multipartBoundary(contentType: string | undefined): string | undefined {
  if (contentType === undefined || !/^\s*multipart\//i.test(contentType)) return undefined;
  const match = /;\s*boundary\s*=\s*(?:"([^"]+)"|([^";\s]+))/i.exec(contentType);
  return match?.[1] ?? match?.[2];
}

/** The parts of a multipart body, or undefined when it is not well formed (no closing delimiter included). */
export function parseMultipart(body: string, boundary: string): Part[] | undefined {
  // A delimiter is CRLF then `--boundary`, but the first may open the body without the CRLF (no
  // preamble, as clients write it): one added in front finds it the same way as the others.
  const pieces = `\r\n${body}`.split(`\r\n--${boundary}`);
  const parts: Part[] = [];
  // pieces[0] is the preamble, which carries nothing.
  for (const piece of pieces.slice(1)) {
    // The close delimiter: whatever follows it is the epilogue, also ignored.
    if (piece.startsWith('--')) return parts;
    const part = parsePart(piece);
    if (!part) return undefined;
    parts.push(part);
  }
  return undefined;
}

/** One part after its delimiter: optional transport padding, CRLF, header lines, a blank line, the content. */
function parsePart(piece: string): Part | undefined {
  const opening = /^[ \t]*\r\n/.exec(piece);
  if (!opening) return undefined;
  const rest = piece.slice(opening[0].length);
  // A part may have no headers at all: then the blank line comes first.
  const end = rest.startsWith('\r\n') ? 0 : rest.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const headers = new Map<string, string>();
  for (const line of end === 0 ? [] : rest.slice(0, end).split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) return undefined;
    const name = line.slice(0, colon).trim().toLowerCase();
    if (!headers.has(name)) headers.set(name, line.slice(colon + 1).trim());
  }
  return { headers, body: rest.slice(end === 0 ? 2 : end + 4) };
}

/** The `name` parameter of a part's Content-Disposition (`inline; name=devices`), quoted or not. */
export function partName(part: Part): string | undefined {
  const match = /;\s*name\s*=\s*(?:"([^"]+)"|([^";\s]+))/i.exec(part.headers.get('content-disposition') ?? '');
  return match?.[1] ?? match?.[2];
}
