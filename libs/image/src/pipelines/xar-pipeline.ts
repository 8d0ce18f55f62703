import {
  CellFlowFusion,
  EulerMaruyamaFlowSolver,
  NextCellFlowGenerator,
  type CellVelocityModel,
} from '@nextx/engine';
import type { LoadedModel, ModelRepository } from '@nextx/runtime';
import type { ImageBatch } from '../models/code-decoder';
import { PatchTokenDecoder, readPatchTokenLayout } from '../models/patch-tokens';
import { OnnxCellVelocityModel, type XarDims } from '../models/xar-models';

/** Default sampling of an xAR model, from its `model.json`. */
export interface XarDefaults {
  readonly guidanceScale: number;
  /** Euler–Maruyama intervals per cell. */
  readonly flowSteps: number;
}

/** Everything needed to generate with one xAR model. */
export interface XarPipeline {
  readonly model: LoadedModel;
  readonly dims: Omit<XarDims, 'maxBatch'>;
  readonly defaults: XarDefaults;
  readonly decoder: PatchTokenDecoder;
  /** A generator whose cache holds `rows` rows (images, doubled by CFG). */
  generator(rows: number): NextCellFlowGenerator<ImageBatch>;
  /** A shared fusion of concurrent generations: one batched forward per solver step. */
  fused(maxRows: number): CellFlowFusion;
  /** A generator over one member of a {@link fused} fusion. */
  fusedGenerator(member: CellVelocityModel): NextCellFlowGenerator<ImageBatch>;
}

interface XarContract {
  graphs: { step: { num_heads: number; head_dim: number } };
  tokens: {
    image_size: number;
    patch_size: number;
    grid: number;
    token_dim: number;
    seq_len: number;
    cells: number[][];
    sequence_order: number[];
  };
  null_class: number;
  flow: { t_end: number };
}

/** Builds an xAR pipeline (step graph, patch-token decoder, solver) from the manifest. */
export async function loadXarPipeline(
  repository: ModelRepository,
  name: string,
): Promise<XarPipeline> {
  const model = await repository.load(name);
  const c = model.manifest.contract as unknown as XarContract;
  const d = model.manifest.defaults as { cfg_scale: number; flow_steps: number };
  const dims = {
    heads: c.graphs.step.num_heads,
    headDim: c.graphs.step.head_dim,
    tokenDim: c.tokens.token_dim,
    cellCount: c.tokens.cells.length,
    cellSize: c.tokens.cells[0].length,
  };
  const decoder = new PatchTokenDecoder(readPatchTokenLayout(c.tokens));
  const step = model.graph('step');
  const tEnd = c.flow.t_end;
  const over = (velocity: CellVelocityModel) =>
    new NextCellFlowGenerator(
      velocity,
      () => new EulerMaruyamaFlowSolver({ tEnd }),
      decoder,
      c.null_class,
    );
  return {
    model,
    dims,
    defaults: { guidanceScale: d.cfg_scale, flowSteps: d.flow_steps },
    decoder,
    generator: (rows) => over(new OnnxCellVelocityModel(step, { ...dims, maxBatch: rows })),
    fused: (maxRows) =>
      new CellFlowFusion(new OnnxCellVelocityModel(step, { ...dims, maxBatch: maxRows })),
    fusedGenerator: over,
  };
}
