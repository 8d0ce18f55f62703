import { describe, expect, it } from 'vitest';
import { runToResult, type ProgressEvent } from '../generation/generator';
import { EulerMaruyamaFlowSolver } from '../solvers/euler-maruyama-flow-solver';
import { moments } from '../solvers/testing';
import { NextCellFlowGenerator } from './next-cell-flow-generator';
import { GaussianCellModel, IdentityTokenDecoder } from './testing/analytic-continuous-models';

const DIM = 2;
const CELL = 4;
const CELLS = 3;
const SIGMA = 0.3;

function setup() {
  const model = new GaussianCellModel(DIM, CELL, CELLS, SIGMA, 10);
  const generator = new NextCellFlowGenerator(
    model,
    () => new EulerMaruyamaFlowSolver(),
    new IdentityTokenDecoder(),
    10,
  );
  return { model, generator };
}

describe('NextCellFlowGenerator (xAR loop on an analytic velocity)', () => {
  it('draws each cell from its data law N(c + k/10, σ²)', async () => {
    const { generator } = setup();
    const images = 300;
    const result = await runToResult(
      generator.generate(
        { classLabels: new Array(images).fill(2), guidanceScale: 1, flowSteps: 50 },
        { seed: 3 },
      ),
    );
    for (let k = 0; k < CELLS; k++) {
      const values: number[] = [];
      for (let i = 0; i < images; i++) {
        const from = (i * CELLS + k) * CELL * DIM;
        values.push(...result.tokens.subarray(from, from + CELL * DIM));
      }
      const { mean, std } = moments(values);
      expect(mean).toBeCloseTo(2 + k / 10, 1);
      expect(std).toBeGreaterThan(SIGMA * 0.85);
      expect(std).toBeLessThan(SIGMA * 1.15);
    }
  });

  it('feeds the clean previous cell as context exactly once per cell, CFG rows doubled', async () => {
    const { model, generator } = setup();
    const events: ProgressEvent[] = [];
    const result = await runToResult(
      generator.generate(
        { classLabels: [1, 3], guidanceScale: 2, flowSteps: 5, previews: true },
        { seed: 1 },
      ),
      (e) => events.push(e),
    );
    expect(model.calls).toHaveLength(CELLS * 5);
    expect(model.calls.every((c) => c.batch === 4)).toBe(true);
    const withContext = model.calls.filter((c) => c.context);
    expect(withContext.map((c) => c.cell)).toEqual([1, 2]);
    // The context of cell k is cell k − 1 as committed, in both halves of the guided batch.
    for (const call of withContext) {
      const per = CELL * DIM;
      for (let i = 0; i < 2; i++) {
        const committed = result.tokens.subarray(
          (i * CELLS + call.cell - 1) * per,
          (i * CELLS + call.cell) * per,
        );
        expect(Array.from(call.context!.subarray(i * per, (i + 1) * per))).toEqual(
          Array.from(committed),
        );
        expect(Array.from(call.context!.subarray((2 + i) * per, (3 + i) * per))).toEqual(
          Array.from(committed),
        );
      }
    }
    expect(events.map((e) => e.step)).toEqual([1, 2, 3]);
    // A preview shows the committed cells and −1 for the cells still to come.
    const first = (events[0].preview as { tokens: Float32Array }).tokens;
    expect(first[CELL * DIM]).toBe(-1);
    expect(first[0]).not.toBe(-1);
  });

  it('guidance pushes later cells away from the unconditional law (ramp over cells)', async () => {
    const { generator } = setup();
    const run = (guidanceScale: number) =>
      runToResult(
        generator.generate(
          { classLabels: new Array(100).fill(3), guidanceScale, flowSteps: 20 },
          { seed: 5 },
        ),
      );
    const [plain, guided] = [await run(1), await run(2)];
    const cellMean = (tokens: Float32Array, k: number) => {
      const values: number[] = [];
      for (let i = 0; i < 100; i++)
        values.push(
          ...tokens.subarray((i * CELLS + k) * CELL * DIM, (i * CELLS + k + 1) * CELL * DIM),
        );
      return moments(values).mean;
    };
    // Cell 0 has ratio 0 (scale 1): unchanged law; the last cell has scale 2: mean moves away from
    // the null class (class 0's mean) by about (cond − uncond).
    expect(Math.abs(cellMean(guided.tokens, 0) - cellMean(plain.tokens, 0))).toBeLessThan(0.1);
    expect(cellMean(guided.tokens, CELLS - 1) - cellMean(plain.tokens, CELLS - 1)).toBeGreaterThan(
      2,
    );
  });

  it('same seed, same tokens; another seed, other tokens; abort stops between steps', async () => {
    const { generator } = setup();
    const request = { classLabels: [4], guidanceScale: 1.5, flowSteps: 8 };
    const a = await runToResult(generator.generate(request, { seed: 9 }));
    const b = await runToResult(generator.generate(request, { seed: 9 }));
    const c = await runToResult(generator.generate(request, { seed: 10 }));
    expect(Array.from(a.tokens)).toEqual(Array.from(b.tokens));
    expect(Array.from(a.tokens)).not.toEqual(Array.from(c.tokens));
    const controller = new AbortController();
    const events = generator.generate(request, { seed: 9, signal: controller.signal });
    const iterator = events[Symbol.asyncIterator]();
    await iterator.next();
    controller.abort();
    await expect(iterator.next()).rejects.toThrow(/aborted after step 8/);
  });
});
