import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The repository's own `models/` (the bundled reference models): the nearest folder above this
 * module holding both `models/` and `package.json` — the repository root, from the source tree
 * and from the `dist/` bundles alike (libs/runtime/src/models holds code, not models).
 */
export function bundledModelsDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  const isRoot = (d: string) =>
    existsSync(join(d, 'models')) && existsSync(join(d, 'package.json'));
  while (!isRoot(dir) && dirname(dir) !== dir) dir = dirname(dir);
  return join(dir, 'models');
}
