import {
  checkPositiveInteger,
  checkStepIndex,
  range,
  type Schedule,
  type StepPlan,
} from './schedule';

/** A step of {@link CellFlowSchedule}: one solver step on one cell. */
export interface CellStepPlan extends StepPlan {
  /** Cell being denoised (0-based, block-causal order). */
  readonly cell: number;
  /** Index into the flow solver's `timesteps` for this cell. */
  readonly flowStep: number;
  /**
   * Whether the clean previous cell is fed in front of the noisy one (flow step 0 of every
   * cell but the first): its K/V enter the cache there and serve all later steps.
   */
  readonly prependsPreviousCell: boolean;
  /** k/(cells − 1): xAR's guidance ramp s_k = 1 + (cfg − 1)·ratio. */
  readonly cfgRatio: number;
}

/** Options of {@link CellFlowSchedule}. */
export interface CellFlowScheduleOptions {
  /** Cells (xAR: 4). */
  readonly cellCount: number;
  /** Tokens per cell (xAR: 8×8 = 64), contiguous in the sequence. */
  readonly cellSize: number;
  /** Model calls per cell: the solver's `timesteps.length` (e.g. 50 for Euler–Maruyama). */
  readonly flowSteps: number;
}

/**
 * xAR's order (`sample_tokens` + `models/sampler.py`): cells one after another, block-causal
 * (a cell sees itself and all earlier cells); each cell starts from N(0, I) and is integrated
 * over `flowSteps` solver calls, committed at its last one.
 */
export class CellFlowSchedule implements Schedule<CellStepPlan> {
  readonly name = 'cell-flow';
  readonly totalSteps: number;
  readonly totalTokens: number;
  readonly cellCount: number;
  readonly cellSize: number;
  readonly flowSteps: number;

  constructor(options: CellFlowScheduleOptions) {
    checkPositiveInteger('cell_count', options.cellCount);
    checkPositiveInteger('cell_size', options.cellSize);
    checkPositiveInteger('flow_steps', options.flowSteps);
    this.cellCount = options.cellCount;
    this.cellSize = options.cellSize;
    this.flowSteps = options.flowSteps;
    this.totalSteps = options.cellCount * options.flowSteps;
    this.totalTokens = options.cellCount * options.cellSize;
  }

  stepAt(i: number): CellStepPlan {
    checkStepIndex(this, i);
    const cell = Math.floor(i / this.flowSteps);
    const flowStep = i % this.flowSteps;
    const prependsPreviousCell = flowStep === 0 && cell > 0;
    const start = cell * this.cellSize;
    return {
      index: i,
      positions: range(start, start + this.cellSize),
      commits: flowStep === this.flowSteps - 1,
      attention: 'bidirectional-in-block',
      inputStart: prependsPreviousCell ? start - this.cellSize : start,
      inputLength: prependsPreviousCell ? 2 * this.cellSize : this.cellSize,
      cell,
      flowStep,
      prependsPreviousCell,
      cfgRatio: this.cellCount === 1 ? 0 : cell / (this.cellCount - 1),
    };
  }
}
