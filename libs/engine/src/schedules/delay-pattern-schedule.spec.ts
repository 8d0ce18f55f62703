import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../errors/invalid-argument';
import { createRng } from '../random/rng';
import { DelayPatternSchedule } from './delay-pattern-schedule';

const SPECIAL = 2048;

describe('DelayPatternSchedule', () => {
  it("matches audiocraft's docstring example (T = 4, K = 3)", () => {
    const schedule = new DelayPatternSchedule({ numCodebooks: 3, timesteps: 4 });
    const codes = Int32Array.from([1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4]);
    const S = SPECIAL;
    // Rows of S = 1 + T + 2 = 7 steps; audiocraft prints the first 5 with keep_only_valid_steps.
    expect(Array.from(schedule.build(codes, SPECIAL))).toEqual([
      ...[S, 1, 2, 3, 4, S, S],
      ...[S, S, 1, 2, 3, 4, S],
      ...[S, S, S, 1, 2, 3, 4],
    ]);
  });

  it('has T + K pattern steps and T + K − 1 generation steps for delays 0 … K − 1', () => {
    const schedule = new DelayPatternSchedule({ numCodebooks: 4, timesteps: 50 });
    expect(schedule.patternLength).toBe(54);
    expect(schedule.totalSteps).toBe(53);
    expect(schedule.totalTokens).toBe(200);
  });

  it('says which timestep each codebook samples and which slots are special', () => {
    const schedule = new DelayPatternSchedule({ numCodebooks: 4, timesteps: 50 });
    expect(Array.from(schedule.stepAt(0).timestepOfCodebook)).toEqual([0, -1, -1, -1]);
    expect(Array.from(schedule.stepAt(5).timestepOfCodebook)).toEqual([5, 4, 3, 2]);
    expect(Array.from(schedule.stepAt(52).timestepOfCodebook)).toEqual([-1, -1, -1, 49]);
    expect(Array.from(schedule.stepAt(5).positions)).toEqual([5, 54, 103, 152]);
    expect(schedule.stepAt(5).patternStep).toBe(6);
  });

  it('round-trips random codes exactly (build then revert) for default and custom delays', () => {
    const rng = createRng(7);
    for (const delays of [undefined, [0, 0, 2, 5]]) {
      const schedule = new DelayPatternSchedule({ numCodebooks: 4, timesteps: 37, delays });
      const codes = Int32Array.from({ length: 4 * 37 }, () => rng.int(2048));
      const sequence = schedule.build(codes, SPECIAL);
      expect(schedule.revert(sequence)).toEqual(codes);
      const specials = sequence.filter((v) => v === SPECIAL).length;
      expect(specials).toBe(4 * schedule.patternLength - 4 * 37);
    }
  });

  it('agrees with its step plans: the slot a plan writes is where build puts the code', () => {
    const schedule = new DelayPatternSchedule({ numCodebooks: 3, timesteps: 6, delays: [0, 1, 3] });
    const codes = Int32Array.from({ length: 18 }, (_, i) => i);
    const sequence = schedule.build(codes, -1);
    for (let i = 0; i < schedule.totalSteps; i++) {
      const plan = schedule.stepAt(i);
      plan.timestepOfCodebook.forEach((t, q) => {
        const slot = sequence[q * schedule.patternLength + plan.patternStep];
        expect(slot).toBe(t < 0 ? -1 : codes[q * 6 + t]);
      });
    }
  });

  it('rejects decreasing or miscounted delays and wrong lengths', () => {
    expect(
      () => new DelayPatternSchedule({ numCodebooks: 3, timesteps: 4, delays: [0, 2, 1] }),
    ).toThrow(InvalidArgumentError);
    expect(
      () => new DelayPatternSchedule({ numCodebooks: 3, timesteps: 4, delays: [0, 1] }),
    ).toThrow(InvalidArgumentError);
    const schedule = new DelayPatternSchedule({ numCodebooks: 2, timesteps: 3 });
    expect(() => schedule.build(new Int32Array(5), 0)).toThrow(InvalidArgumentError);
    expect(() => schedule.revert(new Int32Array(5))).toThrow(InvalidArgumentError);
  });
});
