import { ModelRepository } from '@nextx/runtime';
import { referenceModelsDir } from '@nextx/runtime/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { isValidShape, loadHeldoutShapes, octreeTokens, ShapeJudge } from '../src';

const repository = new ModelRepository(referenceModelsDir(), {
  intraOpThreads: 1,
  interOpThreads: 1,
  graphOptimization: 'all',
});
afterAll(() => repository.close());

describe('the voxel judge and the held-out real shapes (models/voxel-classifier, real ONNX graph)', () => {
  it('TypeScript reads the grids, tokens and judge exactly as Python wrote them', async () => {
    const heldout = await loadHeldoutShapes(repository);
    const judge = await ShapeJudge.load(repository);
    expect(heldout.length).toBeGreaterThanOrEqual(16);
    const labels = await judge.classify(heldout.map((h) => h.grid));
    // The same class as onnxruntime gave in Python, shape by shape.
    expect(Array.from(labels)).toEqual(heldout.map((h) => h.judgeClass));
    for (const h of heldout) {
      expect(Array.from(octreeTokens(h.grid).subarray(0, h.levelTokens.length))).toEqual(
        h.levelTokens,
      );
      expect(isValidShape(h.grid, 0)).toBe(true);
    }
    const accuracy = heldout.filter((h, i) => labels[i] === h.classLabel).length / heldout.length;
    console.log(
      `judge on ${heldout.length} held-out real shapes: ${(100 * accuracy).toFixed(1)} %`,
    );
  });
});
