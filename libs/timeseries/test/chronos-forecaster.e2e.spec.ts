import { afterAll, describe, expect, it } from 'vitest';
import { ModelRepository } from '@nextx/runtime';
import { referenceModelsDir } from '@nextx/runtime/testing';
import {
  loadChronosForecaster,
  mase,
  seasonalNaiveForecast,
  type ChronosForecast,
  type ChronosForecaster,
} from '../src';
import { loadCo2 } from '../src/testing';

// The committed chronos-corpus model through onnxruntime-node (no fakes).
const repository = new ModelRepository(referenceModelsDir(), {
  intraOpThreads: 1,
  interOpThreads: 1,
  graphOptimization: 'all',
});
afterAll(() => repository.close());
const LEVELS = [0.1, 0.5, 0.9];
const co2 = loadCo2();
const train = co2.slice(0, -24);

let standalone: Promise<ChronosForecaster> | undefined;
const alone = () => (standalone ??= loadChronosForecaster(repository, 'chronos-corpus'));

describe('ChronosForecaster (chronos-corpus, real ONNX graph)', () => {
  it('a seed repeats its forecast; another seed draws other paths; quantiles are monotone', async () => {
    const forecaster = await alone();
    const options = { horizon: 24, quantiles: LEVELS, seed: 11 };
    const a = await forecaster.forecast(train, options);
    const b = await forecaster.forecast(train, options);
    const c = await forecaster.forecast(train, { ...options, seed: 12 });
    expect(a.paths).toHaveLength(20);
    expect(a.paths.map((p) => Array.from(p))).toEqual(b.paths.map((p) => Array.from(p)));
    expect(Array.from(c.point)).not.toEqual(Array.from(a.point));
    for (let h = 0; h < 24; h++) {
      expect(a.quantiles[0][h]).toBeLessThanOrEqual(a.quantiles[1][h]);
      expect(a.quantiles[1][h]).toBeLessThanOrEqual(a.quantiles[2][h]);
      expect(a.quantiles[1][h]).toBe(a.point[h]);
    }
    const score = mase(co2.slice(-24), a.point, train, 12);
    const naive = mase(co2.slice(-24), seasonalNaiveForecast(train, 24, 12), train, 12);
    console.log(`chronos co2: MASE ${score.toFixed(3)} (seasonal naive ${naive.toFixed(3)})`);
    expect(Number.isFinite(score)).toBe(true);
  });

  it('a series longer than the context is cut to its last 256 values, as documented', async () => {
    const forecaster = await alone();
    expect(forecaster.facts.contextLength).toBe(256);
    const options = { horizon: 8, quantiles: LEVELS, seed: 5 };
    const whole = await forecaster.forecast(train, options);
    const tail = await forecaster.forecast(train.slice(-256), options);
    expect(whole.contextLength).toBe(256);
    expect(whole.paths.map((p) => Array.from(p))).toEqual(tail.paths.map((p) => Array.from(p)));
  });

  it('concurrent forecasts share the fused batch (one forward per step for all) and match running alone', async () => {
    const fused = await loadChronosForecaster(repository, 'chronos-corpus', { fusedRows: 60 });
    const requests = [
      { values: train, seed: 1 },
      { values: train.slice(0, 300), seed: 2 },
      { values: train.slice(100, 140), seed: 3 },
      { values: train.slice(0, 200), seed: 4 },
    ];
    const options = (seed: number) => ({ horizon: 16, quantiles: LEVELS, seed });
    const together = await Promise.all(
      requests.map((r) => fused.forecast(r.values, options(r.seed))),
    );
    const stats = fused.fusion!;
    // Three fit at once (60 rows); the fourth waits for rows and joins when one leaves.
    expect(stats.maxRows).toBe(60);
    expect(stats.rowSteps / stats.steps).toBeGreaterThan(20);
    const separate: ChronosForecast[] = [];
    for (const r of requests)
      separate.push(await (await alone()).forecast(r.values, options(r.seed)));
    let same = 0;
    together.forEach((t, i) => {
      const diff = Math.max(...t.point.map((v, h) => Math.abs(v - separate[i].point[h])));
      if (diff === 0) same++;
    });
    console.log(
      `chronos fusion: ${stats.steps} steps, mean batch ${(stats.rowSteps / stats.steps).toFixed(1)} rows, max ${stats.maxRows}; ${same}/4 forecasts identical to running alone`,
    );
    // Batched matmuls may round differently, which can flip a sampled token; most agree exactly.
    expect(same).toBeGreaterThanOrEqual(3);
  });

  it('refuses a horizon or path count past the model limits, naming the field', async () => {
    const forecaster = await loadChronosForecaster(repository, 'chronos-corpus', { fusedRows: 40 });
    await expect(
      forecaster.forecast(train, { horizon: 65, quantiles: [], seed: 1 }),
    ).rejects.toThrow(/horizon/);
    await expect(
      forecaster.forecast(train, { horizon: 4, numPaths: 41, quantiles: [], seed: 1 }),
    ).rejects.toThrow(/num_paths/);
  });
});
