import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../errors/invalid-argument';
import { createRng } from '../random/rng';
import { MaskedSetSchedule } from './masked-set-schedule';
import { stepsOf } from './schedule';

const make = (seed: number, numIter = 64, seqLen = 256) =>
  new MaskedSetSchedule({ seqLen, numIter, rng: createRng(seed) });

describe('MaskedSetSchedule', () => {
  it('draws the order from the rng: same seed same order, another seed another order', () => {
    expect(make(3).order).toEqual(make(3).order);
    expect(make(3).order).not.toEqual(make(4).order);
    expect(Array.from(make(3).order).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 256 }, (_, i) => i),
    );
  });

  it("predicts mask_len_prev − mask_len_next tokens per step with MAR's cosine mask ratio", () => {
    const schedule = make(1);
    let masked = 256;
    for (const plan of stepsOf(schedule)) {
      const floor = Math.floor(256 * Math.cos(((Math.PI / 2) * (plan.index + 1)) / 64));
      const maskLen = Math.max(1, Math.min(masked - 1, floor));
      expect(plan.maskedBefore).toBe(masked);
      expect(plan.maskLen).toBe(maskLen);
      const last = plan.index === 63;
      expect(plan.positions.length).toBe(last ? masked : masked - maskLen);
      expect(plan.cfgRatio).toBeCloseTo((256 - maskLen) / 256, 12);
      masked = last ? 0 : maskLen;
    }
  });

  it('predicts in order: step k writes the next slice of the order, first steps few tokens', () => {
    const schedule = make(5);
    const written = [...stepsOf(schedule)].flatMap((p) => Array.from(p.positions).reverse());
    expect(written).toEqual(Array.from(schedule.order).reverse());
    expect(schedule.stepAt(0).positions.length).toBeLessThan(
      schedule.stepAt(63).positions.length + 10,
    );
    expect(schedule.stepAt(0).positions.length).toBe(1);
  });

  it('predicts at least one token per step even with one step per token', () => {
    const schedule = make(2, 256);
    for (const plan of stepsOf(schedule)) expect(plan.positions.length).toBe(1);
  });

  it('rejects more iterations than tokens', () => {
    expect(() => make(1, 257)).toThrow(InvalidArgumentError);
  });
});
