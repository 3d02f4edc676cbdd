import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/** The repository root: the nearest folder above this file (source or compiled) with dapr.yaml. */
export const ROOT = ((): string => {
  let dir = resolve(import.meta.dirname);
  while (!existsSync(join(dir, 'dapr.yaml'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the repository root (dapr.yaml) above ' + import.meta.dirname);
    dir = up;
  }
  return dir;
})();
