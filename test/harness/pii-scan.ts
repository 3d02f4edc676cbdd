// Looks for strings (markers planted in a test's PII) everywhere a stack keeps anything: every
// key of its Redis, whatever the type; every row of every table of its database; the messages
// waiting in its channel queues; every file under its directory (logs, Redis's append-only
// file, the scheduler's data). Each finding names where, never the data around it.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import amqp from 'amqplib';
import { channelTopic } from '@herald/dapr';
import { stackRedis } from './client.js';
import { psql } from './postgres.js';
import type { StackInfo } from './stack.js';

export interface Finding {
  where: string;
  marker: string;
}

const found = (where: string, text: string, markers: string[]): Finding[] => markers.filter((m) => text.includes(m)).map((marker) => ({ where, marker }));

/** Every key of the stack's Redis, read by its type: strings, hashes, lists, sets, sorted sets, streams. */
export async function scanRedis(stack: StackInfo, markers: string[]): Promise<{ keys: number; findings: Finding[] }> {
  const redis = await stackRedis(stack);
  const findings: Finding[] = [];
  let keys = 0;
  try {
    for await (const batch of redis.scanIterator({ COUNT: 500 })) {
      for (const key of batch) {
        keys++;
        const type = await redis.type(key);
        let content: unknown;
        switch (type) {
          case 'string': content = await redis.get(key); break;
          case 'hash': content = await redis.hGetAll(key); break;
          case 'list': content = await redis.lRange(key, 0, -1); break;
          case 'set': content = await redis.sMembers(key); break;
          case 'zset': content = await redis.zRange(key, 0, -1); break;
          case 'stream': content = await redis.xRange(key, '-', '+'); break;
          // Expired between the scan and this look (a quota's one-second counter): nothing to read.
          case 'none': continue;
          default: throw new Error(`a Redis key of type ${type} this scan cannot read: ${key}`);
        }
        findings.push(...found(`redis ${type} ${key}`, `${key} ${JSON.stringify(content)}`, markers));
      }
    }
  } finally {
    redis.destroy();
  }
  return { keys, findings };
}

/** Every row of every table in the stack's database, as text. */
export function scanPostgres(stack: StackInfo, markers: string[]): { rows: number; findings: Finding[] } {
  const tables = psql("SELECT schemaname || '.' || tablename FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')", stack.database, stack.postgres).map((r) => r[0] ?? '');
  const findings: Finding[] = [];
  let rows = 0;
  for (const table of tables) {
    const lines = psql(`SELECT t::text FROM ${table} t`, stack.database, stack.postgres);
    rows += lines.length;
    for (const line of lines) findings.push(...found(`postgres ${table}`, line.join(' '), markers));
  }
  return { rows, findings };
}

/** The stack's channel queues: for a region, every queue of its virtual host; otherwise the run's six. */
function queuesOf(stack: StackInfo): string[] {
  if (stack.region) {
    const out = execFileSync('rabbitmqctl', ['-q', 'list_queues', '-p', stack.region.vhost, '--no-table-headers', 'name'], { encoding: 'utf8' });
    return out.split('\n').map((l) => l.trim()).filter(Boolean);
  }
  return (['email', 'sms', 'push'] as const).flatMap((channel) => (['critical', 'bulk'] as const).map((lane) => `channel-${channel}-${channelTopic(channel, lane, stack.topicPrefix)}`));
}

/**
 * The messages waiting in the stack's channel queues: taken without acknowledging, then handed
 * back (closing the channel returns every unacknowledged message to its queue).
 */
export async function scanQueues(stack: StackInfo, markers: string[]): Promise<{ queues: number; messages: number; bodies: Map<string, string[]>; findings: Finding[] }> {
  const conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:5672${stack.region ? `/${stack.region.vhost}` : ''}`);
  const findings: Finding[] = [];
  const bodies = new Map<string, string[]>();
  let messages = 0;
  const queues = queuesOf(stack);
  try {
    const ch = await conn.createChannel();
    for (const queue of queues) {
      findings.push(...found(`rabbitmq queue name ${queue}`, queue, markers));
      const texts: string[] = [];
      for (let msg = await ch.get(queue, { noAck: false }); msg; msg = await ch.get(queue, { noAck: false })) {
        const text = msg.content.toString('utf8');
        texts.push(text);
        findings.push(...found(`rabbitmq ${queue}`, text, markers));
      }
      messages += texts.length;
      bodies.set(queue, texts);
    }
    await ch.close();
  } finally {
    await conn.close();
  }
  return { queues: queues.length, messages, bodies, findings };
}

/** Every file under the stack's directory but those named in `except` (the provider simulator's own log: it is the outside world). */
export function scanFiles(stack: StackInfo, markers: string[], except: string[] = []): { files: number; findings: Finding[] } {
  const findings: Finding[] = [];
  let files = 0;
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      const rel = relative(stack.dir, path);
      if (except.includes(rel)) continue;
      const st = statSync(path, { throwIfNoEntry: false });
      if (!st) continue;
      if (st.isDirectory()) walk(path);
      else if (st.isFile()) {
        files++;
        findings.push(...found(`file ${rel}`, readFileSync(path).toString('latin1'), markers));
      }
    }
  };
  walk(stack.dir);
  return { files, findings };
}
