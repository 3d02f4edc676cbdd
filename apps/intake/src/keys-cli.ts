// `npm run keys -- <command>`: the key-encryption keys (KEKs) of a region, for an operator.
//
//   status            the key ring the sidecar serves, and how many data keys each version wraps
//   rewrap            wraps every data key anew under the primary (run after a new primary is live)
//   add               a new KEK version in the local key ring file, not yet primary
//   promote <version> makes a version of the local file primary
//   rotate            add + promote, for a single local stack restarted as a whole
//   retire <version>  removes a version from the local file, refused while a data key needs it
//
// status and rewrap work through intake's sidecar (DAPR_HTTP_PORT, default intake's local 3500),
// reading the key ring from its secret store as the apps do; add, promote, rotate and retire
// edit the local file that `npm start` passes to the sidecars (a deployment edits its secret
// store instead). The apps read the ring when they start: after changing it, restart them.
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createSidecar } from '@herald/dapr';
import { createDataKeys, dataKeysByVersion, KeyRingSecretSchema, loadKeyRing, rewrapAll } from '@herald/stores';

const env = process.env;
const sidecar = createSidecar(env.DAPR_HOST ?? '127.0.0.1', Number(env.DAPR_HTTP_PORT ?? 3500), { defaultTimeoutMs: 30_000, apiToken: env.DAPR_API_TOKEN, secretNames: env.SECRET_NAME_STYLE === 'dashes' ? 'dashes' : 'as-is' });
const store = env.SECRET_STORE ?? 'secretstore';
const admin = { sidecar, binding: env.HISTORY_SQL_BINDING ?? 'statestore-sql', table: env.DATA_KEYS_TABLE ?? 'data_keys' };
const ringFile = env.HERALD_KEY_RING_FILE;

type RingFile = { primary: string; keys: Record<string, string> };

function readRingFile(): RingFile {
  if (!ringFile) throw new Error('HERALD_KEY_RING_FILE is not set (npm run keys sets it to the local key ring)');
  return KeyRingSecretSchema.parse(JSON.parse(readFileSync(ringFile, 'utf8')));
}

function writeRingFile(ring: RingFile): void {
  writeFileSync(ringFile as string, `${JSON.stringify(ring)}\n`, { mode: 0o600 });
}

function addVersion(ring: RingFile): string {
  const numbers = Object.keys(ring.keys).map((v) => Number(/^k(\d+)$/.exec(v)?.[1] ?? 0));
  const version = `k${Math.max(0, ...numbers) + 1}`;
  ring.keys[version] = randomBytes(32).toString('base64');
  return version;
}

const restart = 'restart Herald (npm start) so every app reads it';

async function main(command: string | undefined, arg: string | undefined): Promise<void> {
  switch (command) {
    case 'status': {
      await sidecar.waitUntilReady(10_000);
      const ring = await loadKeyRing(sidecar, store);
      console.log(JSON.stringify({ primary: ring.primary, versions: ring.versions, dataKeysByVersion: await dataKeysByVersion(admin) }, null, 2));
      return;
    }
    case 'rewrap': {
      await sidecar.waitUntilReady(10_000);
      const ring = await loadKeyRing(sidecar, store);
      const dataKeys = createDataKeys({ state: sidecar, ring });
      const report = await rewrapAll({ ...admin, dataKeys, primary: ring.primary, onPage: (r) => console.error(`re-wrapped ${r.rewrapped} so far`) });
      console.log(JSON.stringify({ primary: ring.primary, ...report, dataKeysByVersion: await dataKeysByVersion(admin) }, null, 2));
      if (report.failed.length > 0) process.exitCode = 1;
      return;
    }
    case 'add': {
      const ring = readRingFile();
      const version = addVersion(ring);
      writeRingFile(ring);
      console.log(`added ${version} (primary stays ${ring.primary}); ${restart}, then: npm run keys -- promote ${version}`);
      return;
    }
    case 'promote': {
      const ring = readRingFile();
      if (!arg || !ring.keys[arg]) throw new Error(`no version ${arg ?? '(none given)'} in ${ringFile}`);
      ring.primary = arg;
      writeRingFile(ring);
      console.log(`${arg} is primary; ${restart}, then: npm run keys -- rewrap`);
      return;
    }
    case 'rotate': {
      const ring = readRingFile();
      ring.primary = addVersion(ring);
      writeRingFile(ring);
      console.log(`${ring.primary} is primary; ${restart}, then: npm run keys -- rewrap`);
      return;
    }
    case 'retire': {
      const ring = readRingFile();
      if (!arg || !ring.keys[arg]) throw new Error(`no version ${arg ?? '(none given)'} in ${ringFile}`);
      if (arg === ring.primary) throw new Error(`${arg} is the primary: promote another version first`);
      await sidecar.waitUntilReady(10_000);
      const inUse = (await dataKeysByVersion(admin))[arg] ?? 0;
      if (inUse > 0) throw new Error(`${inUse} data keys are still wrapped under ${arg}: run npm run keys -- rewrap first`);
      delete ring.keys[arg];
      writeRingFile(ring);
      console.log(`${arg} retired; ${restart}`);
      return;
    }
    default:
      console.error('usage: npm run keys -- status | rewrap | add | promote <version> | rotate | retire <version>');
      process.exitCode = 2;
  }
}

try {
  await main(process.argv[2], process.argv[3]);
} catch (err) {
  console.error(`keys: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
}
