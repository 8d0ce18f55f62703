import { describe, expect, it } from 'vitest';
import { CellFlowSchedule } from './cell-flow-schedule';
import { HorizonSchedule } from './horizon-schedule';
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

describe('HorizonSchedule', () => {
  it('cuts a 150-step horizon into chunks of 64, 64 and 22 that restart on the extended context', () => {
    const schedule = new HorizonSchedule({ horizon: 150, predictionLength: 64 });
    expect(schedule.chunkCount).toBe(3);
    const starts = [...stepsOf(schedule)].filter((p) => p.startsChunk);
    expect(starts.map((p) => [p.index, p.chunk, p.chunkLength, p.appendedToContext])).toEqual([
      [0, 0, 64, 0],
      [64, 1, 64, 64],
      [128, 2, 22, 128],
    ]);
    expect(schedule.stepAt(149).offsetInChunk).toBe(21);
  });

  it('is a single chunk when the horizon fits in the prediction length', () => {
    const schedule = new HorizonSchedule({ horizon: 12, predictionLength: 64 });
    expect(schedule.chunkCount).toBe(1);
    expect(schedule.stepAt(11).chunkLength).toBe(12);
  });
});
