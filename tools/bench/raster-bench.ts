// What the raster benchmarks share: a request at llama-mnist's own defaults, and the codebook
// neighbour table LANTERN reads (the target's `lantern_neighbours` file).
import { loadDraftHeads, loadRasterPipeline, type RasterPipeline } from '@nextx/image';
import { ModelRepository } from '@nextx/runtime';
import { referenceModelsDir } from '@nextx/runtime/testing';
import { readFile } from 'node:fs/promises';

/** A request for `labels` at the model's defaults (CFG on). */
export const rasterRequest = (raster: RasterPipeline, labels: number[]) => ({
  classLabels: labels,
  guidanceScale: raster.defaults.guidanceScale,
  sampling: {
    temperature: raster.defaults.temperature,
    topK: raster.defaults.topK,
    topP: raster.defaults.topP,
  },
});

export async function lanternNeighbours(raster: RasterPipeline) {
  const json = JSON.parse(await readFile(raster.model.file(raster.neighboursFile!), 'utf8')) as {
    k: number;
    neighbours: number[][];
  };
  return { indices: Int32Array.from(json.neighbours.flat()), width: json.k };
}

/**
 * The bundled models with one onnxruntime thread, and llama-mnist with its draft-heads graph,
 * each for 2 rows (one image with CFG): what the batch-1 speculative benches load.
 */
export async function llamaMnistWithHeads() {
  const repository = new ModelRepository(referenceModelsDir(), {
    intraOpThreads: 1,
    interOpThreads: 1,
    graphOptimization: 'all',
  });
  const raster = await loadRasterPipeline(repository, 'llama-mnist', { maxBatch: 2 });
  const heads = await loadDraftHeads(repository, raster);
  return { repository, raster, heads };
}
