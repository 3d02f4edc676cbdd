import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';

/** An answer, built by a route and written once (after the simulated latency). */
export interface Reply {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export const json = (status: number, value: unknown, headers: Record<string, string> = {}): Reply => ({
  status,
  headers: { 'Content-Type': 'application/json; charset=utf-8', ...headers },
  body: JSON.stringify(value),
});

export const xml = (status: number, body: string, headers: Record<string, string> = {}): Reply => ({
  status,
  headers: { 'Content-Type': 'application/xml; charset=utf-8', ...headers },
  body,
});

export const empty = (status: number, headers: Record<string, string> = {}): Reply => ({ status, headers, body: '' });

export function writeReply(res: ServerResponse, reply: Reply): void {
  res.writeHead(reply.status, { ...reply.headers, 'Content-Length': String(Buffer.byteLength(reply.body)) });
  res.end(reply.body);
}

/** The whole body as text, or undefined past `limitBytes` (the rest is drained, not kept). */
export async function readBody(req: IncomingMessage, limitBytes: number): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size <= limitBytes) chunks.push(buffer);
  }
  return size <= limitBytes ? Buffer.concat(chunks).toString('utf8') : undefined;
}

export function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

/** `Authorization: Basic …` credentials, when both parts are present. */
export function basicCredentials(headers: IncomingHttpHeaders): { username: string; password: string } | undefined {
  const match = /^Basic\s+(\S+)$/i.exec(header(headers, 'authorization') ?? '');
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0 || colon === decoded.length - 1) return undefined;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** Parses JSON text, answering undefined for malformed input instead of throwing. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
