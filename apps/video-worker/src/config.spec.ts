import { ConfigError } from '@nextx/config';
import { bundledModelsDir } from '@nextx/runtime';
import { describe, expect, it } from 'vitest';
import { loadVideoWorkerConfig } from './config';

const kafka = { KAFKA_BROKERS: '127.0.0.1:9092' };

describe('loadVideoWorkerConfig', () => {
  it('defaults: the repository models/, one thread, 4096 frames, no metrics endpoint', () => {
    const config = loadVideoWorkerConfig(kafka);
    expect(config.generation).toEqual({
      modelsDir: bundledModelsDir(),
      threads: 1,
      maxFrames: 4096,
    });
    expect(config.metricsPort).toBe(0);
    expect(config.jobs.brokers).toEqual(['127.0.0.1:9092']);
    expect(config.jobs.maxAttempts).toBe(3);
  });

  it('stops with a message naming the variable', () => {
    expect(() => loadVideoWorkerConfig({ ...kafka, VIDEO_WORKER_THREADS: '0' })).toThrow(
      /VIDEO_WORKER_THREADS="0": expected >= 1/,
    );
    expect(() => loadVideoWorkerConfig({ ...kafka, MODELS_DIR: '/nonexistent/models' })).toThrow(
      ConfigError,
    );
    expect(() => loadVideoWorkerConfig({})).toThrow(/KAFKA_BROKERS/);
  });
});
