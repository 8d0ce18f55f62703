import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bundledModelsDir } from './bundled-models';

describe('bundledModelsDir', () => {
  it('finds the repository models/ (not libs/runtime/src/models) from the source tree', () => {
    const dir = bundledModelsDir();
    expect(dir).not.toContain(join('libs', 'runtime'));
    expect(existsSync(join(dir, 'mnist-classifier', 'model.json'))).toBe(true);
  });
});
