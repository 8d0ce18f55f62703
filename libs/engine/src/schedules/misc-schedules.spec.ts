import { describe, expect, it } from 'vitest';
import { CellFlowSchedule } from './cell-flow-schedule';
import { RasterSchedule } from './raster-schedule';
import { stepsOf } from './schedule';

describe('RasterSchedule', () => {
  it('prefills the prefix at step 0, then feeds one token per step right after it', () => {
    const schedule = new RasterSchedule({ length: 4, prefixLength: 2 });
    expect(
      [...stepsOf(schedule)].map((p) => [p.inputStart, p.inputLength, p.positions[0]]),
    ).toEqual([
      [0, 2, 0],
      [2, 1, 1],
      [3, 1, 2],
      [4, 1, 3],
    ]);
  });
});

describe('CellFlowSchedule', () => {
  it('solves each cell over N flow steps, prepending the clean previous cell at its first step', () => {
    const schedule = new CellFlowSchedule({ cellCount: 4, cellSize: 64, flowSteps: 50 });
    expect(schedule.totalSteps).toBe(200);
    expect(schedule.totalTokens).toBe(256);
    const first = schedule.stepAt(50);
    expect([
      first.cell,
      first.flowStep,
      first.prependsPreviousCell,
      first.inputStart,
      first.inputLength,
    ]).toEqual([1, 0, true, 0, 128]);
    const later = schedule.stepAt(51);
    expect([
      later.prependsPreviousCell,
      later.inputStart,
      later.inputLength,
      later.commits,
    ]).toEqual([false, 64, 64, false]);
    expect(schedule.stepAt(99).commits).toBe(true);
    expect(schedule.stepAt(0).prependsPreviousCell).toBe(false);
  });

  it("ramps guidance over cells like xAR's s_k = 1 + (cfg − 1)·k/3", () => {
    const schedule = new CellFlowSchedule({ cellCount: 4, cellSize: 64, flowSteps: 2 });
    expect([0, 2, 4, 6].map((i) => schedule.stepAt(i).cfgRatio)).toEqual([0, 1 / 3, 2 / 3, 1]);
  });
});
