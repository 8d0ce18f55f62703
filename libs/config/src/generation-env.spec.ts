import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { ConfigError } from './config-error';
import { loadGenerationSettings } from './generation-env';

describe('loadGenerationSettings', () => {
  const defaults = { maxRunning: 4, maxWaiting: 32 };

  it('reads the prefixed variables, with the service defaults when unset', () => {
    expect(loadGenerationSettings({}, 'AUDIO', defaults, tmpdir())).toEqual({
      modelsDir: tmpdir(),
      workers: 1,
      threadsPerWorker: 1,
      maxRunning: 4,
      maxWaiting: 32,
    });
    const set = loadGenerationSettings(
      { AUDIO_WORKERS: '2', AUDIO_MAX_RUNNING: '8', MODELS_DIR: '/' },
      'AUDIO',
      defaults,
      tmpdir(),
    );
    expect(set).toMatchObject({ modelsDir: '/', workers: 2, maxRunning: 8 });
    expect(
      loadGenerationSettings({}, 'AUDIO', { ...defaults, workers: 2 }, tmpdir()).workers,
    ).toBe(2);
  });

  it('names the variable of a bad value and refuses a missing models folder', () => {
    expect(() =>
      loadGenerationSettings({ VIDEO_MAX_RUNNING: '0' }, 'VIDEO', defaults, tmpdir()),
    ).toThrow(new ConfigError('invalid configuration: VIDEO_MAX_RUNNING="0": expected >= 1'));
    expect(() =>
      loadGenerationSettings({ MODELS_DIR: '/no/such/models' }, 'VIDEO', defaults, tmpdir()),
    ).toThrow(/MODELS_DIR="\/no\/such\/models": folder does not exist/);
  });
});
