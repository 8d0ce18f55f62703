import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidArgumentError, NotFoundError } from '@nextx/engine';
import { beforeAll, describe, expect, it } from 'vitest';
import { ContractError } from '../manifest/contract-check';
import { ModelRepository } from './model-repository';
import { referenceModelsDir } from '../testing/reference-models';

describe('ModelRepository', () => {
  const repository = new ModelRepository(referenceModelsDir());

  it('lists the reference models with family and version', async () => {
    const models = await repository.list();
    expect(models.map((m) => m.name)).toContain('mnist-classifier');
    expect(models.find((m) => m.name === 'mnist-classifier')).toMatchObject({
      family: 'classifier',
      version: '1',
    });
  });

  it('loads a model, checks its contract and runs it through a preallocated output', async () => {
    const model = await repository.load('mnist-classifier');
    const graph = model.graph('classifier');
    const logits = new Float32Array(2 * 10);
    const out = await graph.run(
      { image: { data: new Float32Array(2 * 32 * 32), dims: [2, 1, 32, 32] } },
      { logits: { data: logits, dims: [2, 10] } },
    );
    expect(out.logits.data).toBe(logits);
    expect(logits.some((v) => v !== 0)).toBe(true);
  });

  it('refuses path traversal and unknown names', async () => {
    await expect(repository.manifest('../etc')).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(repository.manifest('/etc/passwd')).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(repository.manifest('no-such-model')).rejects.toBeInstanceOf(NotFoundError);
    await expect(repository.manifest('mnist-classifier', '99')).rejects.toBeInstanceOf(
      NotFoundError,
    );
  });

  describe('a model whose graph does not match its manifest', () => {
    let broken: ModelRepository;
    beforeAll(async () => {
      const root = await mkdtemp(join(tmpdir(), 'nextx-models-'));
      for (const name of ['missing-tensor', 'wrong-shape', 'escape']) {
        await cp(join(referenceModelsDir(), 'mnist-classifier'), join(root, name), {
          recursive: true,
        });
        const manifest = JSON.parse(await readFile(join(root, name, 'model.json'), 'utf8'));
        manifest.name = name;
        if (name === 'missing-tensor')
          manifest.contract.graphs.classifier.outputs.probabilities = {
            dtype: 'float32',
            shape: ['batch', 10],
          };
        if (name === 'wrong-shape')
          manifest.contract.graphs.classifier.inputs.image.shape = ['batch', 1, 28, 28];
        if (name === 'escape')
          manifest.contract.graphs.classifier.file = '../missing-tensor/classifier.onnx';
        await writeFile(join(root, name, 'model.json'), JSON.stringify(manifest));
      }
      broken = new ModelRepository(root);
    });

    it('is refused at load with the tensor named', async () => {
      await expect(broken.load('missing-tensor')).rejects.toThrow(
        /output "probabilities" is missing/,
      );
      await expect(broken.load('wrong-shape')).rejects.toThrow(
        /input "image" dim 2 is 32, manifest says 28/,
      );
      await expect(broken.load('escape')).rejects.toBeInstanceOf(ContractError);
    });
  });
});
