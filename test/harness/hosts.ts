// App hosts on one machine, for StackOptions.hosts: each host is a Linux network namespace of its
// own (herald-<runId>-h<i>) with one end of a veth pair, the other end on a bridge in the root
// namespace (hb-<short>). The root namespace is the infrastructure host: the bridge carries its
// address (10.<x>.0.1/24, <x> from the port base so two runs on other bases do not clash) and
// it runs the control plane, the stack's Redis, intake and the provider simulator; host i is
// 10.<x>.0.(10+i). The machine's PostgreSQL and RabbitMQ listen on loopback only, so a small
// TCP forwarder (a node process of the stack's own, piping sockets) exposes them on the bridge
// address on ports of the stack's own. Making namespaces needs root and `ip` (iproute2).
import { execFileSync } from 'node:child_process';

export interface AppHost {
  /** `h1`, `h2` …: what killHost and the instances name it by. */
  name: string;
  /** Its network namespace. */
  netns: string;
  /** Its address on the bridge: every process of the host listens there, and registers it with placement. */
  address: string;
  /** The veth end in the root namespace (on the bridge), and the one moved into the host. */
  veth: string;
  peer: string;
}

export interface HostsInfo {
  /** The bridge in the root namespace, and its address: the infrastructure host as the app hosts reach it. */
  bridge: string;
  address: string;
  /** The /24 the hosts live in (`10.<x>.0.0/24`). */
  subnet: string;
  hosts: AppHost[];
  /** Ports on the bridge address forwarded to the machine's loopback-only services. */
  forwards: { postgres: number; rabbitmq: number };
}

/** The most app hosts a stack runs (their ports and profile ports must fit in the port base's block). */
export const MAX_HOSTS = 6;

/** Why app hosts cannot be made here, or undefined when they can (root, `ip`, network namespaces). */
export function hostsUnavailable(): string | undefined {
  if (process.platform !== 'linux') return `app hosts need Linux network namespaces (this is ${process.platform})`;
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return 'app hosts need root (ip netns add, ip link add): run as root, or without --hosts';
  try {
    execFileSync('ip', ['-V'], { stdio: 'ignore' });
  } catch {
    return "app hosts need the `ip` command (iproute2): apt-get install iproute2";
  }
  return undefined;
}

/** The names and addresses of `count` app hosts of the run `runId` on port base `base` (nothing is made yet). */
export function planHosts(runId: string, base: number, count: number): HostsInfo {
  if (!Number.isInteger(count) || count < 1 || count > MAX_HOSTS) throw new Error(`hosts must be a whole number from 1 to ${MAX_HOSTS} (got ${count})`);
  // 10.100.0.0/24 … 10.249.0.0/24: one per 500 ports of base (the stacks' bases are 500 apart at least).
  const x = 100 + (Math.floor(base / 500) % 150);
  // Interface names hold 15 characters at most.
  const short = runId.replace(/[^a-z0-9]/gi, '').slice(-10);
  return {
    bridge: `hb-${short}`,
    address: `10.${x}.0.1`,
    subnet: `10.${x}.0.0/24`,
    hosts: Array.from({ length: count }, (_, k) => {
      const i = k + 1;
      return { name: `h${i}`, netns: `herald-${runId}-h${i}`, address: `10.${x}.0.${10 + i}`, veth: `hv${i}${short}`, peer: `hp${i}${short}` };
    }),
    forwards: { postgres: base + 95, rabbitmq: base + 96 },
  };
}

function ip(...args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/**
 * Makes the bridge and every host of `info` (namespace, veth pair, addresses, `lo` up, default
 * route via the bridge). Throws, saying why, when they cannot be made; whatever was made by
 * then is left for destroyHosts (the caller's cleanup) to remove.
 */
export function createHosts(info: HostsInfo): void {
  const why = hostsUnavailable();
  if (why) throw new Error(why);
  const prefix = info.subnet.replace(/\.0\/24$/, '.');
  const clash = ip('-o', '-4', 'addr', 'show').split('\n').find((line) => line.includes(` inet ${prefix}`));
  if (clash) throw new Error(`the subnet ${info.subnet} is already in use on this machine (${clash.trim().split(/\s+/)[1]}): another multi-host stack on the same port base? (stopStack or reapOrphans removes it)`);
  try {
    ip('link', 'add', info.bridge, 'type', 'bridge');
    ip('addr', 'add', `${info.address}/24`, 'dev', info.bridge);
    ip('link', 'set', info.bridge, 'up');
    for (const host of info.hosts) {
      ip('netns', 'add', host.netns);
      ip('link', 'add', host.veth, 'type', 'veth', 'peer', 'name', host.peer);
      ip('link', 'set', host.veth, 'master', info.bridge);
      ip('link', 'set', host.veth, 'up');
      ip('link', 'set', host.peer, 'netns', host.netns);
      const inNs = (...args: string[]) => ip('netns', 'exec', host.netns, 'ip', ...args);
      inNs('addr', 'add', `${host.address}/24`, 'dev', host.peer);
      inNs('link', 'set', host.peer, 'up');
      inNs('link', 'set', 'lo', 'up');
      inNs('route', 'add', 'default', 'via', info.address);
    }
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr;
    throw new Error(`could not make the app hosts' network (${info.bridge}, ${info.hosts.map((h) => h.netns).join(', ')}): ${stderr?.trim() || (err instanceof Error ? err.message : String(err))}`);
  }
}

/** Every process in a network namespace (none when it does not exist). */
export function netnsPids(netns: string): number[] {
  try {
    return ip('netns', 'pids', netns).split('\n').filter(Boolean).map(Number).filter((pid) => Number.isInteger(pid) && pid > 0);
  } catch {
    return [];
  }
}

function netnsExists(netns: string): boolean {
  try {
    return ip('netns', 'list').split('\n').some((line) => line.split(' ')[0] === netns);
  } catch {
    return false;
  }
}

/** SIGKILLs every process of a namespace, and waits (up to `timeoutMs`) until none is left; resolves the pids killed. */
export async function killNetns(netns: string, timeoutMs = 10_000): Promise<number[]> {
  const killed = new Set<number>();
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const pids = netnsPids(netns);
    if (pids.length === 0) return [...killed];
    if (Date.now() > deadline) throw new Error(`processes ${pids.join(', ')} of ${netns} outlived SIGKILL for ${timeoutMs} ms`);
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
        killed.add(pid);
      } catch {
        // gone already
      }
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Removes the hosts and the bridge: any process left in a host is killed, its namespace deleted
 * (which deletes its veth pair), then the bridge. Idempotent: what is not there is skipped.
 */
export async function destroyHosts(info: HostsInfo): Promise<void> {
  const problems: string[] = [];
  for (const host of info.hosts) {
    try {
      await killNetns(host.netns);
    } catch (err) {
      problems.push(err instanceof Error ? err.message : String(err));
    }
    for (const args of [['netns', 'del', host.netns], ['link', 'del', host.veth]]) {
      if (args[0] === 'netns' ? !netnsExists(host.netns) : !linkExists(host.veth)) continue;
      try {
        ip(...args);
      } catch (err) {
        // A veth goes with its namespace, a moment after it: gone by now is what was wanted.
        const stderr = (err as { stderr?: string }).stderr?.trim() ?? String(err);
        if (!/Cannot find device|No such file/.test(stderr)) problems.push(`ip ${args.join(' ')}: ${stderr}`);
      }
    }
  }
  if (linkExists(info.bridge)) {
    try {
      ip('link', 'del', info.bridge);
    } catch (err) {
      problems.push(`ip link del ${info.bridge}: ${(err as { stderr?: string }).stderr?.trim() ?? String(err)}`);
    }
  }
  if (problems.length) throw new Error(`could not remove every app host: ${problems.join('; ')}`);
}

function linkExists(name: string): boolean {
  try {
    ip('link', 'show', name);
    return true;
  } catch {
    return false;
  }
}

/** The command line that runs `cmd args` inside a host. */
export function inHost(host: AppHost, cmd: string, args: string[]): { cmd: string; args: string[] } {
  return { cmd: 'ip', args: ['netns', 'exec', host.netns, cmd, ...args] };
}

/**
 * The TCP forwarder, run as `node -e FORWARDER <listen address> <port>=<host>:<port> …`: each
 * connection to a listening port is piped to its target, and closed (both ways) when either
 * side closes or fails, so a host killed mid-connection frees its broker connection at once.
 */
export const FORWARDER = `
const net = require('node:net');
const [address, ...pairs] = process.argv.slice(1);
for (const pair of pairs) {
  const [port, target] = pair.split('=');
  const at = target.lastIndexOf(':');
  const host = target.slice(0, at), targetPort = Number(target.slice(at + 1));
  net.createServer((client) => {
    const upstream = net.connect({ host, port: targetPort });
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    client.setKeepAlive(true, 10000);
    const close = () => { client.destroy(); upstream.destroy(); };
    for (const s of [client, upstream]) { s.on('error', close); s.on('close', close); }
    client.pipe(upstream);
    upstream.pipe(client);
  }).on('error', (err) => { console.error(String(err)); process.exit(1); }).listen(Number(port), address, () => console.log('forwarding ' + address + ':' + port + ' to ' + target));
}
process.on('SIGTERM', () => process.exit(0));
`;

/** One app host of a stack by name (`h2`) or number (2). */
export function hostOf(info: { hosts?: HostsInfo }, host: string | number): AppHost {
  const name = typeof host === 'number' ? `h${host}` : host;
  const found = info.hosts?.hosts.find((h) => h.name === name);
  if (!found) throw new Error(`no app host ${name} in this stack (${info.hosts ? info.hosts.hosts.map((h) => h.name).join(', ') : 'it runs without StackOptions.hosts'})`);
  return found;
}

/**
 * Kills a whole app host the hard way, as a machine that dies: SIGKILL to every process of its
 * namespace at once (the apps and their sidecars; no shutdown hooks). Its namespace and address
 * stay (a connection to it is refused, as a host whose processes died). Resolves the pids killed
 * and when the signal went.
 */
export async function killHost(info: { hosts?: HostsInfo }, host: string | number): Promise<{ pids: number[]; at: number }> {
  const { netns } = hostOf(info, host);
  const at = Date.now();
  const pids = await killNetns(netns);
  if (pids.length === 0) throw new Error(`no process was running in ${netns}`);
  return { pids, at };
}
