import { randomBytes } from 'node:crypto';
import type { SecretPort } from '@herald/dapr';
import { createLogger } from '@herald/service';
import { KEY_RING_SECRET } from './key-ring.js';
import { keyRingAtStart } from './key-ring-at-start.js';

// Every app reads its key ring before it serves anything, and does not start without one.

/** The secret store as the sidecar answers: the secret when it has it, an error when it does not. */
const secrets = (value: string | Error | undefined): SecretPort => ({
  async getSecret(_store, name) {
    if (value instanceof Error) throw value;
    return value === undefined ? {} : { [name]: value };
  },
});

async function start(value: string | Error | undefined) {
  const lines: string[] = [];
  const log = createLogger('intake-test', 'info', { write: (line: string) => void lines.push(line) });
  const ring = await keyRingAtStart(secrets(value), 'secretstore', log);
  return { ring, logged: lines.join('') };
}

describe('the key ring at start', () => {
  it('gives the ring the secret holds', async () => {
    const { ring, logged } = await start(JSON.stringify({ primary: 'k2', keys: { k1: randomBytes(32).toString('base64'), k2: randomBytes(32).toString('base64') } }));
    expect(ring).toMatchObject({ primary: 'k2', versions: ['k1', 'k2'] });
    expect(logged).toBe('');
  });

  it.each([
    ['absent', undefined],
    ['not JSON', '{"primary":'],
    ['not a key ring', JSON.stringify({ primary: 'k1' })],
    ['a primary it does not hold', JSON.stringify({ primary: 'k9', keys: { k1: randomBytes(32).toString('base64') } })],
  ])('refuses to start when the secret is %s, naming the secret', async (_what, value) => {
    const { ring, logged } = await start(value);
    expect(ring).toBeUndefined();
    const line = JSON.parse(logged) as { level: number; msg: string };
    expect(line.level).toBe(60);
    expect(line.msg).toContain(`secret ${KEY_RING_SECRET}`);
    expect(line.msg).toContain('does not start');
  });

  it('never logs a key, even a wrong one', async () => {
    const short = randomBytes(16).toString('base64');
    const { ring, logged } = await start(JSON.stringify({ primary: 'k1', keys: { k1: short } }));
    expect(ring).toBeUndefined();
    expect(logged).toContain('16 bytes, not 32');
    expect(logged).not.toContain(short);
  });

  it('refuses to start when the secret store cannot be read', async () => {
    const { ring, logged } = await start(new Error('connect ECONNREFUSED 127.0.0.1:3500'));
    expect(ring).toBeUndefined();
    expect(logged).toContain('does not start without its key ring');
  });
});
