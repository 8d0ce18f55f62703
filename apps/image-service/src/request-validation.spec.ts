import { InvalidArgumentError, NotFoundError } from '@nextx/engine';
import type { ImageCatalog, ImageModelEntry } from '@nextx/image';
import type { image } from '@nextx/proto';
import type { ModelManifest } from '@nextx/runtime';
import { describe, expect, it } from 'vitest';
import type { ImageServiceSettings } from './config';
import { validateGenerate } from './request-validation';

const entry = (name: string, family: 'var' | 'raster', draft?: string): ImageModelEntry => ({
  manifest: { name, family, version: '1', contract: { graphs: {} } } as unknown as ModelManifest,
  family,
  numClasses: 10,
  imageSize: 32,
  vocabSize: 256,
  defaults: { guidanceScale: 3, temperature: 1, topK: 0, topP: 1, minP: 0 },
  draft,
});
const models = [entry('var-x', 'var'), entry('raster-x', 'raster', 'raster-x-draft')];
const catalog = {
  get: (name: string) => {
    const found = models.find((m) => m.manifest.name === name);
    if (!found) throw new NotFoundError('image model', name);
    return found;
  },
  list: () => models,
} as unknown as ImageCatalog;
const settings = { maxImages: 8 } as ImageServiceSettings;
const base: image.GenerateRequest = {
  model: { name: 'var-x', version: '' },
  classLabel: 3,
  numImages: 0,
  seed: 0,
  sampling: { guidanceScale: 0, temperature: 0, topK: 0, topP: 0, minP: 0 },
  speculative: false,
  lantern: false,
};

describe('validateGenerate', () => {
  it('fills defaults from the model and picks a seed', () => {
    const { task } = validateGenerate(base, catalog, settings);
    expect(task).toMatchObject({
      model: 'var-x',
      classLabel: 3,
      numImages: 1,
      guidanceScale: 3,
      temperature: 1,
      topP: 1,
      speculative: 'off',
    });
    expect(task.seed).toBeGreaterThan(0);
  });

  it('resolves speculative decoding for raster models with a draft', () => {
    const { task } = validateGenerate(
      { ...base, model: { name: 'raster-x', version: '' }, speculative: true, lantern: true },
      catalog,
      settings,
    );
    expect(task.speculative).toBe('lantern');
  });

  it.each([
    [{ model: { name: 'nope', version: '' } }, NotFoundError, /nope/],
    [{ model: undefined }, InvalidArgumentError, /model.name/],
    [
      { classLabel: 10 },
      InvalidArgumentError,
      /class_label: got 10 \(limit: an integer in \[0, 9\]\)/,
    ],
    [{ numImages: 9 }, InvalidArgumentError, /num_images: got 9 \(limit: an integer in \[1, 8\]\)/],
    [
      { sampling: { ...base.sampling!, guidanceScale: 21 } },
      InvalidArgumentError,
      /sampling.guidance_scale/,
    ],
    [{ sampling: { ...base.sampling!, topP: 1.5 } }, InvalidArgumentError, /sampling.top_p/],
    [
      { sampling: { ...base.sampling!, topK: 300 } },
      InvalidArgumentError,
      /sampling.top_k: got 300/,
    ],
    [
      { sampling: { ...base.sampling!, temperature: 11 } },
      InvalidArgumentError,
      /sampling.temperature/,
    ],
    [{ speculative: true }, InvalidArgumentError, /speculative/],
    [{ lantern: true }, InvalidArgumentError, /lantern/],
  ])('refuses %o', (overrides, kind, message) => {
    const call = () =>
      validateGenerate(
        { ...base, ...(overrides as Partial<image.GenerateRequest>) },
        catalog,
        settings,
      );
    expect(call).toThrow(kind);
    expect(call).toThrow(message);
  });
});
