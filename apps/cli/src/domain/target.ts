// Which intake the herald command talks to, and with which key.
import { ArgumentError } from './requests.js';

export const DEFAULT_URL = 'http://127.0.0.1:3000';
/** The local stack's development key (README, "Send a notification"): tenant local-dev, every scope. */
export const LOCAL_DEV_KEY = 'herald-local-dev-key';
export const DEFAULT_TRACE_UI = 'http://127.0.0.1:16686';

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/;

export interface Target {
  url: string;
  apiKey: string;
}

/** An http(s) URL with nothing after its path, as given (less a trailing slash). */
export function httpUrl(text: string, option: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ArgumentError(`${option} must be an http(s) URL such as ${DEFAULT_URL} (not "${text}")`);
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.search || url.hash || url.username || url.password) {
    throw new ArgumentError(`${option} must be an http(s) URL such as ${DEFAULT_URL}, without a query, fragment or credentials`);
  }
  return text.replace(/\/+$/, '');
}

/**
 * `--url` (or HERALD_URL, or the local intake) and `--key` (or HERALD_API_KEY). Without a key,
 * an intake on this machine gets the local stack's development key; any other is refused here,
 * so the development key is never sent off the machine.
 */
export function resolveTarget(options: { url?: string | undefined; key?: string | undefined }, env: Record<string, string | undefined>): Target {
  const url = httpUrl(options.url ?? (env.HERALD_URL || DEFAULT_URL), options.url !== undefined ? '--url' : 'HERALD_URL');
  const given = options.key ?? (env.HERALD_API_KEY || undefined);
  if (given !== undefined) {
    if (given === '') throw new ArgumentError('--key must not be empty');
    return { url, apiKey: given };
  }
  if (LOOPBACK.test(new URL(url).hostname)) return { url, apiKey: LOCAL_DEV_KEY };
  throw new ArgumentError(`no API key for ${url}: give --key <key> or set HERALD_API_KEY (the local development key is used only for an intake on this machine)`);
}
