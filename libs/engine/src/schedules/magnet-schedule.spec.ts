import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../errors/invalid-argument';
import { MagnetSchedule, magnetMaskProbability } from './magnet-schedule';

describe('MagnetSchedule', () => {
  const schedule = new MagnetSchedule({
    frames: 51,
    spanLength: 3,
    stepsPerCodebook: [20, 10, 10, 10],
  });

  it('runs the codebooks one after another with their own iteration counts', () => {
    expect(schedule.totalSteps).toBe(50);
    expect(schedule.totalTokens).toBe(204);
    expect([0, 19, 20, 29, 30, 49].map((i) => schedule.stepAt(i).stage)).toEqual([
      0, 0, 1, 1, 2, 3,
    ]);
    expect(schedule.stepAt(20).stageStep).toBe(0);
    expect(schedule.stepAt(29).stageSteps).toBe(10);
  });

  it('masks every span first and one span last, cosine in between (audiocraft _generate_stage)', () => {
    const first = schedule.stepAt(0);
    expect(first.spans).toBe(17);
    expect(first.maskProbability).toBe(1);
    expect(first.maskedSpans).toBe(17);
    const last = schedule.stepAt(19);
    expect(last.maskProbability).toBeCloseTo(0, 12);
    expect(last.maskedSpans).toBe(1);
    // i = 5 of 10: mask_p = cos(π/2 · 5/9) = 0.6428 → ⌊0.6428 · 17⌋ = 10.
    expect(schedule.stepAt(25).maskedSpans).toBe(10);
    const counts = Array.from({ length: 20 }, (_, i) => schedule.stepAt(i).maskedSpans);
    expect(counts.every((c, i) => i === 0 || c <= counts[i - 1])).toBe(true);
  });

  it('anneals temperature linearly to 1/n of the start (steps_left / n)', () => {
    expect(schedule.stepAt(20).temperatureRatio).toBe(0.9);
    expect(schedule.stepAt(29).temperatureRatio).toBe(0);
  });

  it('commits a codebook row at the last iteration of its stage only', () => {
    expect(schedule.stepAt(18).commits).toBe(false);
    const last = schedule.stepAt(19);
    expect(last.commits).toBe(true);
    expect(last.positions[0]).toBe(0);
    expect(last.positions.length).toBe(51);
    expect(schedule.stepAt(49).positions[0]).toBe(153);
  });

  it('mask probability: one iteration masks everything', () => {
    expect(magnetMaskProbability(0, 1)).toBe(1);
    expect(magnetMaskProbability(1, 3)).toBeCloseTo(Math.SQRT1_2, 12);
  });

  it('refuses frames that are not whole spans and empty step lists', () => {
    expect(() => new MagnetSchedule({ frames: 50, spanLength: 3, stepsPerCodebook: [1] })).toThrow(
      InvalidArgumentError,
    );
    expect(() => new MagnetSchedule({ frames: 51, spanLength: 3, stepsPerCodebook: [] })).toThrow(
      InvalidArgumentError,
    );
  });
});
