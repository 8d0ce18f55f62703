import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../errors/invalid-argument';
import { NextScaleSchedule, phiIndex, phiTicks } from './next-scale-schedule';

/** The small VAR scales (130 tokens on an 8×8 map). */
const VAR_SMALL_PATCH_NUMS = [1, 2, 3, 4, 6, 8];

describe('NextScaleSchedule', () => {
  it('VAR scales: Σ pn² = 680 in 10 steps; small scales 1,2,3,4,6,8: 130 in 6', () => {
    const big = new NextScaleSchedule();
    expect(big.totalTokens).toBe(680);
    expect(big.totalSteps).toBe(10);
    const small = new NextScaleSchedule({ patchNums: VAR_SMALL_PATCH_NUMS });
    expect(small.totalTokens).toBe(130);
    expect(small.totalSteps).toBe(6);
  });

  it("gives each scale VAR's begin/end offsets and feeds exactly that range", () => {
    const schedule = new NextScaleSchedule();
    expect(schedule.beginEnds.slice(0, 4)).toEqual([
      [0, 1],
      [1, 5],
      [5, 14],
      [14, 30],
    ]);
    const last = schedule.stepAt(9);
    expect([last.begin, last.end, last.patchNum]).toEqual([424, 680, 16]);
    expect([last.inputStart, last.inputLength, last.positions.length]).toEqual([424, 256, 256]);
  });

  it('octree levels (dims 3): 1 + 8 + 64 + 512 = 585 nodes in 4 steps, each level in one step', () => {
    const s = new NextScaleSchedule({ patchNums: [1, 2, 4, 8], dims: 3, phiCount: 1 });
    expect(s.totalTokens).toBe(585);
    expect(s.totalSteps).toBe(4);
    expect(s.beginEnds).toEqual([
      [0, 1],
      [1, 9],
      [9, 73],
      [73, 585],
    ]);
    expect(s.stepAt(3).inputLength).toBe(512);
  });

  it('ramps ratio si/(n − 1) from 0 to 1', () => {
    const schedule = new NextScaleSchedule();
    expect(schedule.stepAt(0).ratio).toBe(0);
    expect(schedule.stepAt(3).ratio).toBeCloseTo(1 / 3, 12);
    expect(schedule.stepAt(9).ratio).toBe(1);
  });

  it("picks φ like VAR's PhiPartiallyShared: ticks linspace(1/12, 11/12, 4) for K = 4", () => {
    const ticks = Array.from(phiTicks(4));
    [1 / 12, 1 / 3 + 1 / 36, 2 / 3 - 1 / 36, 11 / 12].forEach((want, k) =>
      expect(ticks[k]).toBeCloseTo(want, 12),
    );
    const schedule = new NextScaleSchedule();
    // ratios 0, 1/9, …, 1 against ticks 0.083, 0.361, 0.639, 0.917.
    expect(Array.from({ length: 10 }, (_, i) => schedule.stepAt(i).phiIndex)).toEqual([
      0, 0, 1, 1, 1, 2, 2, 3, 3, 3,
    ]);
  });

  it('uses linspace(1/(2K), 1 − 1/(2K), K) ticks for other K', () => {
    expect(Array.from(phiTicks(2))).toEqual([0.25, 0.75]);
    expect(phiIndex(0.49, 2)).toBe(0);
    expect(phiIndex(0.51, 2)).toBe(1);
    expect(phiIndex(0.7, 1)).toBe(0);
  });

  it('rejects empty or non-increasing scales', () => {
    expect(() => new NextScaleSchedule({ patchNums: [] })).toThrow(InvalidArgumentError);
    expect(() => new NextScaleSchedule({ patchNums: [1, 2, 2] })).toThrow(InvalidArgumentError);
  });
});
