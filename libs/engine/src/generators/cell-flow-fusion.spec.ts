import { describe, expect, it } from 'vitest';
import { runToResult } from '../generation/generator';
import { EulerMaruyamaFlowSolver } from '../solvers/euler-maruyama-flow-solver';
import { CellFlowFusion } from './cell-flow-fusion';
import type { RowBlock } from './lockstep-rounds';
import { NextCellFlowGenerator } from './next-cell-flow-generator';
import { GaussianCellModel, IdentityTokenDecoder } from './testing/analytic-continuous-models';

class RowGaussianCellModel extends GaussianCellModel {
  readonly maxRows = 64;
  readonly kept: RowBlock[][] = [];
  keepRows(blocks: readonly RowBlock[]): void {
    this.kept.push([...blocks]);
  }
}

const generatorOn = (model: GaussianCellModel | ReturnType<CellFlowFusion['member']>) =>
  new NextCellFlowGenerator(
    model,
    () => new EulerMaruyamaFlowSolver(),
    new IdentityTokenDecoder(),
    10,
  );

const requests = [
  { classLabels: [1], guidanceScale: 2, flowSteps: 6 },
  { classLabels: [4, 5], guidanceScale: 1, flowSteps: 6 },
  { classLabels: [7], guidanceScale: 3, flowSteps: 6 },
];

describe('CellFlowFusion (xAR requests in lock-step rounds)', () => {
  it('concurrent requests share one forward per solver step and compute what they compute alone', async () => {
    const alone = await Promise.all(
      requests.map((r, i) =>
        runToResult(generatorOn(new GaussianCellModel(2, 4, 3, 0.3, 10)).generate(r, { seed: i })),
      ),
    );
    const model = new RowGaussianCellModel(2, 4, 3, 0.3, 10);
    const fusion = new CellFlowFusion(model);
    const fused = await Promise.all(
      requests.map((r, i) => runToResult(generatorOn(fusion.member()).generate(r, { seed: i }))),
    );
    fused.forEach((f, i) => expect(Array.from(f.tokens)).toEqual(Array.from(alone[i].tokens)));
    expect(fusion.stats).toMatchObject({
      rounds: 1,
      forwards: 3 * 6,
      rowForwards: 3 * 6 * (2 + 2 + 2),
    });
    // Every forward saw all rows: 2 (guided) + 2 (two images) + 2 (guided).
    expect(model.calls.every((c) => c.batch === 6)).toBe(true);
  });

  it('an aborted member frees its rows before the next step; the others finish unchanged', async () => {
    const model = new RowGaussianCellModel(2, 4, 3, 0.3, 10);
    const fusion = new CellFlowFusion(model);
    const controller = new AbortController();
    const solo = await runToResult(
      generatorOn(new GaussianCellModel(2, 4, 3, 0.3, 10)).generate(requests[2], { seed: 2 }),
    );
    const [aborted, kept] = await Promise.allSettled([
      runToResult(
        generatorOn(fusion.member(controller.signal)).generate(requests[0], {
          seed: 0,
          signal: controller.signal,
        }),
        (e) => {
          if (e.step === 1) controller.abort();
        },
      ),
      runToResult(generatorOn(fusion.member()).generate(requests[2], { seed: 2 })),
    ]);
    expect(aborted.status).toBe('rejected');
    expect(kept.status === 'fulfilled' && Array.from(kept.value.tokens)).toEqual(
      Array.from(solo.tokens),
    );
    expect(model.kept).toEqual([[{ first: 2, rows: 2 }]]);
  });

  it('a request that arrives while a round runs waits for the next round', async () => {
    const fusion = new CellFlowFusion(new RowGaussianCellModel(2, 4, 3, 0.3, 10));
    const first = runToResult(generatorOn(fusion.member()).generate(requests[0], { seed: 0 }));
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    const second = runToResult(generatorOn(fusion.member()).generate(requests[1], { seed: 1 }));
    await Promise.all([first, second]);
    expect(fusion.stats.rounds).toBe(2);
  });
});
