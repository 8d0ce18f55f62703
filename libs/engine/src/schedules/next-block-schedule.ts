import { InvalidArgumentError } from '../errors/invalid-argument';
import {
  checkPositiveInteger,
  checkStepIndex,
  range,
  type Schedule,
  type StepPlan,
} from './schedule';

/** A step of {@link NextBlockSchedule}. */
export interface BlockStepPlan extends StepPlan {
  /** Output block the step writes into (0-based). */
  readonly block: number;
  /** Whether the step samples one token (first block) or a whole block in parallel. */
  readonly kind: 'token' | 'block';
  /**
   * Middle-BOS ids appended to the input at this step: B − 1 at the first block step, where the
   * last token of block 0 plus B − 1 placeholders form the first fed block; else 0.
   */
  readonly middleBosCount: number;
}

/** Options of {@link NextBlockSchedule}. */
export interface NextBlockScheduleOptions {
  /** Tokens to generate; a multiple of `blockSize`. */
  readonly totalTokens: number;
  /** Tokens per block B (NBP: 16, one latent row). */
  readonly blockSize: number;
  /** Entries prefilled at step 0 (condition + BOV). Default 1; may be 0 with `promptBlocks`. */
  readonly prefixLength?: number;
  /**
   * Whole blocks given before the first generated one (a video prompt), fed after the prefix.
   * With a prompt nothing is generated token by token: step i feeds the block before block i
   * (the prompt's last block at step 0, which also prefills the earlier prompt blocks) and
   * writes block i. Default 0.
   */
  readonly promptBlocks?: number;
}

/**
 * NBP's hybrid order (`hybrid_sample_with_past`): the first block token by token (steps
 * 0 … B − 1), then one block per step — the step feeds B entries (bidirectional among
 * themselves, causal to the cache) and entry j predicts token j of the next block. So there are
 * B + (blocks − 1) steps; at step B the fed block is the last token of block 0 followed by
 * B − 1 middle-BOS ids, which are dropped from the output. After a prompt of whole blocks every
 * step is a block step (NBP continuing from given frames).
 */
export class NextBlockSchedule implements Schedule<BlockStepPlan> {
  readonly name = 'next-block';
  readonly totalSteps: number;
  readonly totalTokens: number;
  readonly blockSize: number;
  readonly blockCount: number;
  readonly prefixLength: number;
  readonly promptBlocks: number;

  constructor(options: NextBlockScheduleOptions) {
    checkPositiveInteger('total_tokens', options.totalTokens);
    checkPositiveInteger('block_size', options.blockSize);
    if (options.totalTokens % options.blockSize !== 0) {
      throw new InvalidArgumentError(
        'total_tokens',
        `a multiple of block_size ${options.blockSize}`,
        `got ${options.totalTokens}`,
      );
    }
    this.promptBlocks = options.promptBlocks ?? 0;
    if (!Number.isInteger(this.promptBlocks) || this.promptBlocks < 0) {
      throw new InvalidArgumentError('prompt_blocks', '>= 0 integer', `got ${this.promptBlocks}`);
    }
    this.prefixLength = options.prefixLength ?? 1;
    if (this.promptBlocks === 0) checkPositiveInteger('prefix_length', this.prefixLength);
    else if (!Number.isInteger(this.prefixLength) || this.prefixLength < 0) {
      throw new InvalidArgumentError('prefix_length', '>= 0 integer', `got ${this.prefixLength}`);
    }
    this.blockSize = options.blockSize;
    this.totalTokens = options.totalTokens;
    this.blockCount = options.totalTokens / options.blockSize;
    this.totalSteps =
      this.promptBlocks > 0 ? this.blockCount : this.blockSize + this.blockCount - 1;
  }

  stepAt(i: number): BlockStepPlan {
    checkStepIndex(this, i);
    const b = this.blockSize;
    if (this.promptBlocks > 0) {
      const fedBefore = this.prefixLength + (this.promptBlocks - 1 + i) * b;
      return {
        index: i,
        positions: range(i * b, (i + 1) * b),
        commits: true,
        attention: 'bidirectional-in-block',
        inputStart: i === 0 ? 0 : fedBefore,
        inputLength: i === 0 ? fedBefore + b : b,
        block: i,
        kind: 'block',
        middleBosCount: 0,
      };
    }
    if (i < b) {
      return {
        index: i,
        positions: range(i, i + 1),
        commits: true,
        attention: 'causal',
        inputStart: i === 0 ? 0 : this.prefixLength + i - 1,
        inputLength: i === 0 ? this.prefixLength : 1,
        block: 0,
        kind: 'token',
        middleBosCount: 0,
      };
    }
    const block = i - b + 1;
    return {
      index: i,
      positions: range(block * b, (block + 1) * b),
      commits: true,
      attention: 'bidirectional-in-block',
      // The prefix, then B − 1 single tokens, then whole blocks of B entries.
      inputStart: this.prefixLength + b - 1 + (block - 1) * b,
      inputLength: b,
      block,
      kind: 'block',
      middleBosCount: block === 1 ? b - 1 : 0,
    };
  }
}
