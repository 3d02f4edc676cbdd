import { lookup as dnsLookup } from 'node:dns';
import { lookup as dnsLookupAll } from 'node:dns/promises';
import { isIP, isIPv4, isIPv6, type LookupFunction } from 'node:net';

// Webhook URLs are chosen by tenants, so without a guard Herald would POST wherever a tenant
// points it: the cloud metadata service (169.254.169.254), Redis on localhost, the cluster's
// private network (OWASP "Server-Side Request Forgery Prevention Cheat Sheet"). Only globally
// routable unicast addresses are allowed. The check runs at registration (checkWebhookUrl) and
// again on every connection (publicOnlyLookup), because a name that resolved to a public
// address at registration may resolve to a private one at delivery (DNS rebinding).

/** IPv4 ranges that are not globally routable (IANA IPv4 Special-Purpose Address Registry). */
const v4Blocked: ReadonlyArray<readonly [string, number]> = [
  ['0.0.0.0', 8], // "this network", includes 0.0.0.0
  ['10.0.0.0', 8], // private
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local, includes cloud metadata services
  ['172.16.0.0', 12], // private
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // TEST-NET-1
  ['192.88.99.0', 24], // 6to4 relay anycast (deprecated)
  ['192.168.0.0', 16], // private
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24], // TEST-NET-2
  ['203.0.113.0', 24], // TEST-NET-3
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, includes the broadcast address 255.255.255.255
];

function v4ToInt(ip: string): number {
  return ip.split('.').reduce((acc, octet) => acc * 256 + Number(octet), 0);
}

const v4BlockedRanges = v4Blocked.map(([base, bits]) => ({ base: v4ToInt(base), size: 2 ** (32 - bits) }));

function isPublicV4(value: number): boolean {
  return !v4BlockedRanges.some(({ base, size }) => value >= base && value < base + size);
}

/** The eight 16-bit groups of a valid IPv6 address (zone id ignored). */
function v6Groups(ip: string): number[] {
  let text = ip.split('%')[0] ?? '';
  const tail: number[] = [];
  if (text.includes('.')) {
    // A trailing dotted quad is the last two groups: "::ffff:1.2.3.4", "::1.2.3.4".
    const cut = text.lastIndexOf(':');
    const v4 = v4ToInt(text.slice(cut + 1));
    tail.push(Math.floor(v4 / 65536), v4 % 65536);
    text = text.slice(0, cut + 1);
    if (!text.endsWith('::')) text = text.slice(0, -1);
  }
  const parse = (s: string) => (s === '' ? [] : s.split(':').map((g) => parseInt(g, 16)));
  const [head = '', rest] = text.split('::');
  const left = parse(head);
  const right = [...(rest === undefined ? [] : parse(rest)), ...tail];
  const fill = rest === undefined ? [] : new Array<number>(8 - left.length - right.length).fill(0);
  return [...left, ...fill, ...right];
}

function isPublicV6(ip: string): boolean {
  const [g0 = 0, g1 = 0, g2 = 0, g3 = 0, g4 = 0, g5 = 0, g6 = 0, g7 = 0] = v6Groups(ip);
  const embeddedV4 = g6 * 65536 + g7;
  const zeroTo = (n: number) => [g0, g1, g2, g3, g4, g5].slice(0, n).every((g) => g === 0);
  if (zeroTo(5) && g5 === 0xffff) return isPublicV4(embeddedV4); // IPv4-mapped ::ffff:a.b.c.d
  if (zeroTo(6)) return isPublicV4(embeddedV4); // IPv4-compatible ::a.b.c.d, also :: and ::1
  if (zeroTo(4) && g4 === 0xffff && g5 === 0) return isPublicV4(embeddedV4); // IPv4-translated (SIIT)
  if (g0 === 0x64 && g1 === 0xff9b) {
    // NAT64 well-known prefix 64:ff9b::/96 reaches the embedded IPv4 address; 64:ff9b:1::/48 is
    // for local translators only (RFC 8215).
    return g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0 && isPublicV4(embeddedV4);
  }
  // Only global unicast 2000::/3 is routable: this excludes ULA fc00::/7, link-local fe80::/10,
  // site-local fec0::/10, multicast ff00::/8 and discard 100::/64.
  if ((g0 & 0xe000) !== 0x2000) return false;
  if (g0 === 0x2001 && g1 < 0x200) return false; // IETF protocol assignments, Teredo, benchmarking
  if (g0 === 0x2001 && g1 === 0x0db8) return false; // documentation
  if (g0 === 0x3fff && g1 < 0x1000) return false; // documentation 3fff::/20 (RFC 9637)
  if (g0 === 0x2002) return isPublicV4(g1 * 65536 + g2); // 6to4 embeds the IPv4 address
  return true;
}

/** True only for a globally routable unicast IPv4 or IPv6 address; false for anything else, including non-addresses. */
export function isPublicAddress(ip: string): boolean {
  if (isIPv4(ip)) return isPublicV4(v4ToInt(ip));
  if (isIPv6(ip)) return isPublicV6(ip);
  return false;
}

export type WebhookUrlCheck = { ok: true } | { ok: false; reason: string };

export interface CheckWebhookUrlOptions {
  /** Skip the address check (local development, tests). */
  allowPrivate: boolean;
  /** Every address of a host name; node:dns lookup with `all: true` by default. */
  lookup?: (host: string) => Promise<string[]>;
}

async function lookupAll(host: string): Promise<string[]> {
  return (await dnsLookupAll(host, { all: true })).map((a) => a.address);
}

/**
 * Whether a tenant may register `url` as a webhook. Reasons are safe to return to the tenant:
 * they name neither the resolved addresses (that would map our internal DNS for an attacker)
 * nor the URL's query.
 */
/** A URL's host as an address or name: IPv6 literals without their brackets. */
export const hostOf = (url: URL): string => url.hostname.replace(/^\[(.*)\]$/, '$1');

/** True for a host that is an IP literal outside public address space (Node connects to literals without a lookup). */
export const isNonPublicLiteral = (host: string): boolean => isIP(host) !== 0 && !isPublicAddress(host);

export async function checkWebhookUrl(url: string, opts: CheckWebhookUrlOptions): Promise<WebhookUrlCheck> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { ok: false, reason: 'not a valid URL' };
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return { ok: false, reason: 'the scheme must be http or https' };
  if (parsed.username || parsed.password) return { ok: false, reason: 'credentials in the URL are not allowed' };
  // WHATWG URL parsing has already turned "0x7f.1" or "2130706433" into "127.0.0.1".
  const host = hostOf(parsed);
  if (!host) return { ok: false, reason: 'the URL has no host' };
  if (opts.allowPrivate) return { ok: true };
  if (isNonPublicLiteral(host)) return { ok: false, reason: 'the host is not a public address' };
  if (isIP(host)) return { ok: true };
  let addresses: string[];
  try {
    addresses = await (opts.lookup ?? lookupAll)(host);
  } catch {
    return { ok: false, reason: 'the host name does not resolve' };
  }
  if (addresses.length === 0) return { ok: false, reason: 'the host name does not resolve' };
  if (!addresses.every(isPublicAddress)) return { ok: false, reason: 'the host name resolves to a non-public address' };
  return { ok: true };
}

/** The error a connection gets when its host resolves to a non-public address. */
export class NonPublicAddressError extends Error {
  readonly code = 'ERR_NON_PUBLIC_ADDRESS';
  constructor() {
    super('the host resolves to a non-public address');
    this.name = new.target.name;
  }
}

/**
 * A `lookup` for node:net / node:http(s) that fails the connection unless every address of the
 * host is public. Node does not call `lookup` for IP literals: check those with isPublicAddress
 * before connecting.
 */
export const publicOnlyLookup: LookupFunction = (hostname, options, callback) => {
  dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) return callback(err, []);
    if (addresses.length === 0 || !addresses.every((a) => isPublicAddress(a.address))) return callback(new NonPublicAddressError(), []);
    if (options.all) return callback(null, addresses);
    const [first] = addresses;
    return callback(null, first?.address ?? '', first?.family);
  });
};
