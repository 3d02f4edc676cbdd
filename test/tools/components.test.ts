import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ROOT } from '../harness/root.js';
import { describe, expect, it } from '@jest/globals';
import { madeFiles, readRegions, staleFiles } from './components.js';

/** Every file under `dir`, recursively. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/** Each region's folders: its local stack, its Kubernetes overlay, and its Azure stack where there is one. */
function regionFolders(): Array<{ region: string; folder: string }> {
  return Object.keys(readRegions().regions).flatMap((region) =>
    [`components/${region}`, `k8s/overlays/${region}`, `components/azure/${region}`].filter((f) => existsSync(join(ROOT, f))).map((folder) => ({ region, folder })),
  );
}

describe('the region folders', () => {
  it('are what `npm run components` makes from the local stack (no region drifts from it)', () => {
    expect(staleFiles()).toEqual([]);
  });

  it('name no store, broker or vault of another region, in any file', () => {
    const { regions } = readRegions();
    const foreign: string[] = [];
    for (const { region, folder } of regionFolders()) {
      const others = Object.entries(regions).filter(([r]) => r !== region).flatMap(([r, spec]) => spec.markers.map((m) => ({ r, m })));
      for (const file of filesUnder(join(ROOT, folder))) {
        const text = readFileSync(file, 'utf8');
        for (const { r, m } of others) if (text.includes(m)) foreign.push(`${relative(ROOT, file)} names "${m}" of region ${r}`);
      }
    }
    expect(foreign).toEqual([]);
    // Both regions have a local folder, and the check saw them.
    expect(regionFolders().map((f) => f.folder)).toEqual(expect.arrayContaining(['components/us', 'components/eu', 'k8s/overlays/us', 'k8s/overlays/eu']));
  });

  it('keep each region on its own Redis, database and virtual host, and share only the customer directory', () => {
    const { regions, directoryDatabase } = readRegions();
    const made = madeFiles();
    for (const [name, spec] of Object.entries(regions)) {
      const file = (f: string) => made.get(`components/${name}/resources/${f}`) ?? '';
      expect(file('pubsub.yaml')).toContain(`127.0.0.1:${spec.redisPort}`);
      expect(file('statestore.yaml')).toContain(`database=${spec.database} `);
      expect(file('channel-queues.yaml')).toContain(`5672/${spec.vhost}\n`);
      expect(file('homes.yaml')).toContain(`database=${directoryDatabase} `);
    }
  });

  it('let other apps invoke intake only: every other sidecar denies service invocation', () => {
    for (const [path, text] of madeFiles()) {
      if (path.endsWith('config-intake.yaml')) expect(text).toMatch(/accessControl:\n\s+defaultAction: allow/);
      else if (path.endsWith('config.yaml')) expect(text).toMatch(/accessControl:\n\s+defaultAction: deny/);
    }
    expect(readFileSync(join(ROOT, 'components/local/config.yaml'), 'utf8')).toMatch(/accessControl:\n\s+defaultAction: deny/);
  });
});
