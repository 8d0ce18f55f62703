// What the raster benchmarks share: a request at llama-mnist's own defaults, and the codebook
// neighbour table LANTERN reads (the target's `lantern_neighbours` file).
import type { RasterPipeline } from '@nextx/image';
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
