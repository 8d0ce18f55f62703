import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../errors/invalid-argument';
import { createRng } from '../random/rng';
import { CellFlowSchedule } from './cell-flow-schedule';
import { DelayPatternSchedule } from './delay-pattern-schedule';
import { MagnetSchedule } from './magnet-schedule';
import { MaskedSetSchedule } from './masked-set-schedule';
import { NextBlockSchedule } from './next-block-schedule';
import { NextScaleSchedule } from './next-scale-schedule';
import { RasterSchedule } from './raster-schedule';
import { stepsOf, type Schedule } from './schedule';

/** Every schedule in a typical and an edge configuration. */
const SCHEDULES: ReadonlyArray<[string, () => Schedule]> = [
  ['RasterSchedule', () => new RasterSchedule({ length: 256, prefixLength: 1 })],
  [
    'RasterSchedule, one token, long prefix',
    () => new RasterSchedule({ length: 1, prefixLength: 77 }),
  ],
  ['NextScaleSchedule, VAR', () => new NextScaleSchedule()],
  ['NextScaleSchedule, small', () => new NextScaleSchedule({ patchNums: [1, 2, 3, 4, 6, 8] })],
  [
    'NextBlockSchedule, 16×16',
    () => new NextBlockSchedule({ totalTokens: 256, blockSize: 16, prefixLength: 5 }),
  ],
  ['NextBlockSchedule, one block', () => new NextBlockSchedule({ totalTokens: 4, blockSize: 4 })],
  [
    'NextBlockSchedule, after a prompt',
    () =>
      new NextBlockSchedule({ totalTokens: 12, blockSize: 4, prefixLength: 0, promptBlocks: 2 }),
  ],
  [
    'MaskedSetSchedule, 64 iterations',
    () => new MaskedSetSchedule({ seqLen: 256, numIter: 64, rng: createRng(1) }),
  ],
  [
    'MaskedSetSchedule, K = L',
    () => new MaskedSetSchedule({ seqLen: 16, numIter: 16, rng: createRng(2) }),
  ],
  [
    'CellFlowSchedule, xAR',
    () => new CellFlowSchedule({ cellCount: 4, cellSize: 64, flowSteps: 50 }),
  ],
  [
    'DelayPatternSchedule, MusicGen',
    () => new DelayPatternSchedule({ numCodebooks: 4, timesteps: 50 }),
  ],
  [
    'DelayPatternSchedule, custom delays',
    () => new DelayPatternSchedule({ numCodebooks: 3, timesteps: 5, delays: [0, 0, 2] }),
  ],
  [
    'MagnetSchedule, MAGNeT 20/10/10/10',
    () => new MagnetSchedule({ frames: 51, spanLength: 3, stepsPerCodebook: [20, 10, 10, 10] }),
  ],
];

describe.each(SCHEDULES)('Schedule contract: %s', (_name, make) => {
  it('commits every canvas position exactly once, inside [0, totalTokens)', () => {
    const schedule = make();
    const seen = new Uint8Array(schedule.totalTokens);
    for (const plan of stepsOf(schedule)) {
      if (!plan.commits) continue;
      for (const p of plan.positions) {
        expect(p).toBeGreaterThanOrEqual(0);
        expect(p).toBeLessThan(schedule.totalTokens);
        seen[p]++;
      }
    }
    expect(Array.from(seen).every((count) => count === 1)).toBe(true);
  });

  it('numbers its steps, writes something at each, feeds at least one entry and commits at the end', () => {
    const schedule = make();
    expect(schedule.totalSteps).toBeGreaterThanOrEqual(1);
    for (const plan of stepsOf(schedule)) {
      expect(plan.positions.length).toBeGreaterThanOrEqual(1);
      expect(plan.inputLength).toBeGreaterThanOrEqual(1);
      expect(plan.inputStart).toBeGreaterThanOrEqual(0);
      expect(['causal', 'bidirectional-in-block', 'bidirectional']).toContain(plan.attention);
    }
    expect(schedule.stepAt(schedule.totalSteps - 1).commits).toBe(true);
    expect(schedule.stepAt(0).index).toBe(0);
  });

  it('is pure: asking for the same step twice gives equal plans', () => {
    const schedule = make();
    const last = schedule.totalSteps - 1;
    expect(schedule.stepAt(last)).toEqual(schedule.stepAt(last));
    expect(schedule.stepAt(0)).toEqual(schedule.stepAt(0));
  });

  it('rejects step indices outside [0, totalSteps)', () => {
    const schedule = make();
    expect(() => schedule.stepAt(-1)).toThrow(InvalidArgumentError);
    expect(() => schedule.stepAt(schedule.totalSteps)).toThrow(InvalidArgumentError);
    expect(() => schedule.stepAt(0.5)).toThrow(InvalidArgumentError);
  });
});
