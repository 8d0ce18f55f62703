import type { ContinuousTokens, Decoder } from '../generation/decoder';
import {
  throwIfAborted,
  type GenerationEvent,
  type GenerationOptions,
  type Generator,
} from '../generation/generator';
import type { CellVelocityModel } from '../generation/step-model';
import { applyCfg } from '../guidance/apply-cfg';
import { createRng } from '../random/rng';
import { CellFlowSchedule } from '../schedules/cell-flow-schedule';
import { stepsOf } from '../schedules/schedule';
import type { FlowSolver } from '../solvers/flow-solver';

/** One xAR generation. */
export interface NextCellFlowRequest {
  /** One class label per image. */
  readonly classLabels: readonly number[];
  /** xAR's cfg: the guidance on the velocity ramps 1 + (cfg − 1)·k/(cells − 1) over cells k. */
  readonly guidanceScale: number;
  /** Solver intervals per cell. */
  readonly flowSteps: number;
  /** Decode the committed cells after every cell for progress previews. */
  readonly previews?: boolean;
}

/** The tokens (sequence order) and the decoded media. */
export interface NextCellFlowResult<Media> {
  readonly tokens: Float32Array;
  readonly media: Media;
}

/**
 * xAR's loop (`sample_tokens` + `models/sampler.py`) over the {@link CellFlowSchedule}: cell by
 * cell, each starts from N(0, I) and is integrated by the {@link FlowSolver} (Euler–Maruyama on
 * linspace(1, 0.04, n) then 0) with one backbone call per solver step; classifier-free guidance on
 * the velocity with xAR's ramp across cells; at the first step of a cell the clean previous cell
 * enters the cache. Cells not yet generated show as −1 (background) in previews.
 */
export class NextCellFlowGenerator<Media> implements Generator<
  NextCellFlowRequest,
  NextCellFlowResult<Media>
> {
  constructor(
    private readonly model: CellVelocityModel,
    /** A fresh solver per generation (solvers keep their timesteps). */
    private readonly solver: () => FlowSolver,
    private readonly decoder: Decoder<ContinuousTokens, Media>,
    private readonly nullClass: number,
  ) {}

  async *generate(
    request: NextCellFlowRequest,
    options: GenerationOptions,
  ): AsyncIterable<GenerationEvent<NextCellFlowResult<Media>>> {
    try {
      yield* this.run(request, options);
    } finally {
      this.model.release?.();
    }
  }

  private async *run(
    request: NextCellFlowRequest,
    options: GenerationOptions,
  ): AsyncIterable<GenerationEvent<NextCellFlowResult<Media>>> {
    const { model } = this;
    const images = request.classLabels.length;
    const guided = request.guidanceScale !== 1;
    const branches = guided ? 2 : 1;
    const rows = branches * images;
    const solver = this.solver();
    solver.setTimesteps(request.flowSteps);
    const schedule = new CellFlowSchedule({
      cellCount: model.cellCount,
      cellSize: model.cellSize,
      flowSteps: solver.timesteps.length,
    });
    const dim = model.tokenDim;
    const cellValues = model.cellSize * dim;
    const perImage = schedule.totalTokens * dim;
    const rng = createRng(options.seed);
    const labels = Int32Array.from({ length: rows }, (_, r) =>
      r < images ? request.classLabels[r] : this.nullClass,
    );
    const tokens = new Float32Array(images * perImage).fill(-1);
    const x = new Float32Array(images * cellValues);
    const noisy = new Float32Array(rows * cellValues);
    const context = new Float32Array(rows * cellValues);
    const velocity = new Float32Array(images * cellValues);
    let preview: Media | undefined;
    model.reset(rows);
    for (const plan of stepsOf(schedule)) {
      throwIfAborted(options.signal, plan.index);
      if (plan.flowStep === 0) for (let j = 0; j < x.length; j++) x[j] = rng.normal();
      // Both halves of a guided batch integrate the same sample.
      for (let b = 0; b < branches; b++) noisy.set(x, b * x.length);
      if (plan.prependsPreviousCell) {
        for (let i = 0; i < images; i++) {
          const from = i * perImage + (plan.cell - 1) * cellValues;
          const cell = tokens.subarray(from, from + cellValues);
          for (let b = 0; b < branches; b++) context.set(cell, (b * images + i) * cellValues);
        }
      }
      const v = await model.velocity(
        noisy,
        solver.timesteps[plan.flowStep],
        plan.cell,
        labels,
        plan.prependsPreviousCell ? context : undefined,
      );
      const scale = 1 + (request.guidanceScale - 1) * plan.cfgRatio;
      if (guided) applyCfg(v, images * model.cellSize, dim, scale, velocity);
      else velocity.set(v.subarray(0, velocity.length));
      solver.step(velocity, plan.flowStep, x, rng);
      if (!plan.commits) continue;
      for (let i = 0; i < images; i++)
        tokens.set(
          x.subarray(i * cellValues, (i + 1) * cellValues),
          i * perImage + plan.cell * cellValues,
        );
      preview = request.previews ? await this.decoder.decode({ tokens, images }) : undefined;
      yield {
        type: 'progress',
        step: plan.cell + 1,
        total: schedule.cellCount,
        stage: 'cell',
        preview,
      };
    }
    throwIfAborted(options.signal, schedule.totalSteps);
    // With previews on, the last cell's preview already is the final image.
    const media = preview ?? (await this.decoder.decode({ tokens, images }));
    yield { type: 'result', result: { tokens, media } };
  }
}
