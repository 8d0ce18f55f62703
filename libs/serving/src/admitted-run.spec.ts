import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { AdmissionQueue } from './admission-queue';
import { runAdmitted } from './admitted-run';
import { GenerationMetrics } from './generation-metrics';

async function counts(registry: Registry): Promise<Record<string, number>> {
  const metric = await registry.getSingleMetric('nextx_generation_requests_total')!.get();
  return Object.fromEntries(
    metric.values.map((v) => [`${v.labels.model}/${v.labels.outcome}`, v.value]),
  );
}

describe('runAdmitted', () => {
  it('counts every generation by model and outcome: ok, error, cancelled, rejected', async () => {
    const registry = new Registry();
    const metrics = new GenerationMetrics(registry);
    const queue = new AdmissionQueue('test generation', 1, 0);
    const signal = new AbortController().signal;
    const run = (model: string, work: () => Promise<unknown>) =>
      runAdmitted({ queue, metrics, model, signal }, work).catch(() => undefined);

    await run('a', async () => 1);
    await run('a', async () => {
      throw new Error('broken graph');
    });
    await run('b', async () => {
      throw Object.assign(new Error('aborted'), { name: 'AbortError' });
    });
    // One running slot and no waiting room: the second of two concurrent calls is refused.
    let finish!: () => void;
    const held = run('b', () => new Promise<void>((resolve) => (finish = resolve)));
    await run('b', async () => 1);
    finish();
    await held;

    expect(await counts(registry)).toEqual({
      'a/ok': 1,
      'a/error': 1,
      'b/cancelled': 1,
      'b/rejected': 1,
      'b/ok': 1,
    });
  });
});
