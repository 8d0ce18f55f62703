import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The repository's own `models/` (the bundled reference models): the nearest `models/` above
 * this module, which holds in the source tree and in the `dist/` bundles alike.
 */
export function bundledModelsDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'models')) && dirname(dir) !== dir) dir = dirname(dir);
  return join(dir, 'models');
}
