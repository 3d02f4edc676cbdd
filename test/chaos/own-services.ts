// Brokers and stores of a fault scenario's own, started beside the machine's (which the other
// tests and the developer's stack keep using), so a scenario can kill and restart them. Each is
// configured as production runs it: RabbitMQ with durable queues on disk, PostgreSQL with fsync
// on. (Every stack runs a Redis of its own already: stack.ts.)
import { chownSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync, spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PgServer } from '../harness/postgres.js';
import { portOpen, waitFor } from '../harness/stack.js';

export interface OwnService {
  start(): Promise<void>;
  /** SIGKILL, as a crash: no shutdown, no flush beyond what the service already did. */
  kill(): Promise<void>;
  /** Kills it if it runs, and removes its files. */
  remove(): Promise<void>;
}

function ownProcess(name: string, port: number, spawnIt: (dir: string) => ReturnType<typeof spawn>, readyMs: number): OwnService {
  // Made at the first start, kept across restarts (the service's files), removed by remove().
  let dir: string | undefined;
  let pid: number | undefined;
  const kill = async () => {
    if (pid) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    pid = undefined;
    await waitFor(`${name} on ${port} to stop`, async () => ((await portOpen(port)) ? undefined : true), 10_000, 50);
  };
  return {
    async start() {
      dir ??= mkdtempSync(join(tmpdir(), `herald-chaos-${name}-`));
      const child = spawnIt(dir);
      child.unref();
      pid = child.pid;
      await waitFor(`${name} on ${port}`, async () => ((await portOpen(port)) ? true : undefined), readyMs, 100);
    },
    kill,
    async remove() {
      await kill();
      if (dir) rmSync(dir, { recursive: true, force: true });
      dir = undefined;
    },
  };
}

/** A RabbitMQ node of its own (its own name, ports, database and no plugins), beside the machine's. */
export function ownRabbit(port: number): OwnService {
  return ownProcess('rabbitmq', port, (dir) => {
    mkdirSync(join(dir, 'log'), { recursive: true });
    writeFileSync(join(dir, 'enabled_plugins'), '[].\n');
    // Files of its own: the machine's /etc/rabbitmq ones name the machine's node and port.
    writeFileSync(join(dir, 'rabbitmq.conf'), `listeners.tcp.local = 127.0.0.1:${port}\nloopback_users = none\n`);
    writeFileSync(join(dir, 'rabbitmq-env.conf'), '');
    return spawn('/usr/lib/rabbitmq/bin/rabbitmq-server', [], {
      detached: true,
      stdio: 'ignore',
      env: {
        ...process.env,
        HOME: dir,
        RABBITMQ_NODENAME: `herald-chaos-${port}@localhost`,
        RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
        RABBITMQ_NODE_PORT: String(port),
        RABBITMQ_DIST_PORT: String(port + 20_000),
        RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
        RABBITMQ_LOG_BASE: join(dir, 'log'),
        RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'enabled_plugins'),
        RABBITMQ_PID_FILE: join(dir, 'pid'),
        RABBITMQ_CONFIG_FILE: join(dir, 'rabbitmq.conf'),
        RABBITMQ_CONF_ENV_FILE: join(dir, 'rabbitmq-env.conf'),
        ERL_EPMD_ADDRESS: '127.0.0.1',
      },
    });
  }, 60_000);
}

/**
 * A PostgreSQL server of its own (a cluster made with initdb, trust authentication on 127.0.0.1),
 * run as the `postgres` user (the server refuses to run as root). A kill is a crash: the next
 * start recovers from its write-ahead log, as a real one would.
 */
export function ownPostgres(port: number): OwnService & { server: PgServer } {
  const bin = execFileSync('pg_config', ['--bindir'], { encoding: 'utf8' }).trim();
  const service = ownProcess('postgres', port, (dir) => {
    const data = join(dir, 'data');
    if (!existsSync(data)) {
      chownSync(dir, Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' })), Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' })));
      execFileSync('runuser', ['-u', 'postgres', '--', join(bin, 'initdb'), '-D', data, '-A', 'trust', '-U', 'postgres'], { stdio: 'ignore' });
    }
    return spawn('runuser', ['-u', 'postgres', '--', join(bin, 'postgres'), '-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1'], { detached: true, stdio: 'ignore' });
  }, 60_000);
  return { ...service, server: { host: '127.0.0.1', port: String(port), user: 'postgres' } };
}
