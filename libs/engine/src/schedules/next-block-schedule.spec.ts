import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../errors/invalid-argument';
import { NextBlockSchedule } from './next-block-schedule';
import { stepsOf } from './schedule';

describe('NextBlockSchedule', () => {
  it('takes B token steps then blocks − 1 block steps (16 rows of 16: 31 steps, not 256)', () => {
    const schedule = new NextBlockSchedule({ totalTokens: 256, blockSize: 16 });
    expect(schedule.blockCount).toBe(16);
    expect(schedule.totalSteps).toBe(16 + 15);
    const plans = [...stepsOf(schedule)];
    expect(plans.filter((p) => p.kind === 'token').length).toBe(16);
    expect(plans.filter((p) => p.kind === 'block').every((p) => p.positions.length === 16)).toBe(
      true,
    );
  });

  it('feeds the prefix, single tokens, then whole blocks with middle-BOS at the first block step', () => {
    const schedule = new NextBlockSchedule({ totalTokens: 12, blockSize: 4, prefixLength: 3 });
    const inputs = [...stepsOf(schedule)].map((p) => [
      p.inputStart,
      p.inputLength,
      p.middleBosCount,
    ]);
    // Sequence: 3 prefix, t0 t1 t2, [t3 + 3 middle-BOS], [t4..t7].
    expect(inputs).toEqual([
      [0, 3, 0],
      [3, 1, 0],
      [4, 1, 0],
      [5, 1, 0],
      [6, 4, 3],
      [10, 4, 0],
    ]);
    expect(Array.from(schedule.stepAt(4).positions)).toEqual([4, 5, 6, 7]);
    expect(schedule.stepAt(4).attention).toBe('bidirectional-in-block');
    expect(schedule.stepAt(1).attention).toBe('causal');
  });

  it('after a prompt of whole blocks, writes one block per step from the prompt’s last block', () => {
    const schedule = new NextBlockSchedule({
      totalTokens: 8,
      blockSize: 4,
      prefixLength: 0,
      promptBlocks: 3,
    });
    expect(schedule.totalSteps).toBe(2);
    const plans = [...stepsOf(schedule)];
    expect(
      plans.map((p) => [p.kind, p.block, p.inputStart, p.inputLength, p.middleBosCount]),
    ).toEqual([
      ['block', 0, 0, 12, 0],
      ['block', 1, 12, 4, 0],
    ]);
    expect(Array.from(plans[1].positions)).toEqual([4, 5, 6, 7]);
    expect(() => new NextBlockSchedule({ totalTokens: 8, blockSize: 4, prefixLength: 0 })).toThrow(
      InvalidArgumentError,
    );
  });

  it('rejects a token count that is not a multiple of the block size', () => {
    expect(() => new NextBlockSchedule({ totalTokens: 10, blockSize: 4 })).toThrow(
      InvalidArgumentError,
    );
  });
});
