import { pngDeclaring } from '@nextx/media/testing';
import { InvalidArgumentError, NotFoundError } from '@nextx/engine';
import type { ImageCatalog, ImageModelEntry } from '@nextx/image';
import type { image } from '@nextx/proto';
import type { ModelManifest } from '@nextx/runtime';
import * as media from '@nextx/media';
import { describe, expect, it, vi } from 'vitest';
import type { ImageServiceSettings } from './config';
import { validateGenerate, validateInpaint } from './request-validation';

vi.mock('@nextx/media', async (importOriginal) => {
  const actual = await importOriginal<typeof import('@nextx/media')>();
  return { ...actual, decodePng: vi.fn(actual.decodePng) };
});

const entry = (
  name: string,
  family: 'var' | 'raster',
  draft?: string,
  lanternTable = draft !== undefined,
  draftHeads?: string,
): ImageModelEntry => ({
  manifest: { name, family, version: '1', contract: { graphs: {} } } as unknown as ModelManifest,
  family,
  numClasses: 10,
  imageSize: 32,
  vocabSize: 256,
  defaults: { guidanceScale: 3, temperature: 1, topK: 0, topP: 1, minP: 0 },
  draft,
  draftHeads,
  lanternTable,
});
const models = [
  entry('var-x', 'var'),
  entry('raster-x', 'raster', 'raster-x-draft', true, 'raster-x-heads'),
  entry('raster-no-table', 'raster', 'raster-no-table-draft', false),
];
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
  sampling: {},
  speculative: false,
  lantern: false,
  jacobi: false,
  draftHeads: false,
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

  it('honours explicit values the default differs from: top_k 0 = off, temperature 0 = greedy, guidance 1 = off', () => {
    const tuned = {
      ...models[0],
      defaults: { guidanceScale: 3, temperature: 0.7, topK: 50, topP: 0.9, minP: 0.1 },
    };
    const one = { ...catalog, get: () => tuned } as unknown as ImageCatalog;
    expect(validateGenerate(base, one, settings).task).toMatchObject({
      guidanceScale: 3,
      temperature: 0.7,
      topK: 50,
      topP: 0.9,
      minP: 0.1,
    });
    const explicit = { guidanceScale: 1, temperature: 0, topK: 0, topP: 1, minP: 0 };
    expect(validateGenerate({ ...base, sampling: explicit }, one, settings).task).toMatchObject(
      explicit,
    );
    // Only the fields that are set replace defaults.
    expect(validateGenerate({ ...base, sampling: { topK: 0 } }, one, settings).task).toMatchObject({
      guidanceScale: 3,
      temperature: 0.7,
      topK: 0,
    });
  });

  it('refuses guidance below 1 (1 is off) now that 0 no longer means default', () => {
    const call = () =>
      validateGenerate({ ...base, sampling: { guidanceScale: 0 } }, catalog, settings);
    expect(call).toThrow(/^sampling.guidance_scale: got 0 \(limit: a number in \[1, 20\]\)/);
  });

  it('resolves speculative decoding for raster models with a draft', () => {
    const { task } = validateGenerate(
      { ...base, model: { name: 'raster-x', version: '' }, speculative: true, lantern: true },
      catalog,
      settings,
    );
    expect(task.speculative).toBe('lantern');
  });

  it('resolves Speculative Jacobi decoding for any raster model (no draft needed), not with speculative', () => {
    const raster = { ...base, model: { name: 'raster-no-table', version: '' }, jacobi: true };
    expect(validateGenerate(raster, catalog, settings).task.speculative).toBe('jacobi');
    expect(() => validateGenerate({ ...raster, speculative: true }, catalog, settings)).toThrow(
      /^jacobi: /,
    );
    expect(() => validateGenerate({ ...base, jacobi: true }, catalog, settings)).toThrow(
      /^jacobi: model \S+ is var/,
    );
  });

  it('resolves draft heads (with or without LANTERN) for a model that ships them, not with speculative or jacobi', () => {
    const heads = { ...base, model: { name: 'raster-x', version: '' }, draftHeads: true };
    expect(validateGenerate(heads, catalog, settings).task.speculative).toBe('heads');
    expect(validateGenerate({ ...heads, lantern: true }, catalog, settings).task.speculative).toBe(
      'heads-lantern',
    );
    expect(() => validateGenerate({ ...heads, speculative: true }, catalog, settings)).toThrow(
      /^draft_heads: speculative is set \(limit: not with speculative or jacobi\)/,
    );
    expect(() => validateGenerate({ ...heads, jacobi: true }, catalog, settings)).toThrow(
      /^draft_heads: jacobi is set/,
    );
    expect(() =>
      validateGenerate(
        { ...base, model: { name: 'raster-no-table', version: '' }, draftHeads: true },
        catalog,
        settings,
      ),
    ).toThrow(/^draft_heads: model raster-no-table has no draft heads/);
  });

  it('refuses LANTERN on a model without a neighbour table, naming the field; standard still runs', () => {
    const request = { ...base, model: { name: 'raster-no-table', version: '' }, speculative: true };
    const call = () => validateGenerate({ ...request, lantern: true }, catalog, settings);
    expect(call).toThrow(InvalidArgumentError);
    expect(call).toThrow(/^lantern: model raster-no-table has no LANTERN neighbour table/);
    expect(validateGenerate(request, catalog, settings).task.speculative).toBe('standard');
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

describe('validateInpaint', () => {
  const inpaintModel = {
    ...entry('var-inpaint', 'var'),
    manifest: {
      name: 'var-inpaint',
      family: 'var',
      version: '1',
      contract: { graphs: { encoder: {} } },
    } as unknown as ModelManifest,
  };
  const inpaintCatalog = { get: () => inpaintModel } as unknown as ImageCatalog;
  const request = (imagePng: Uint8Array): image.InpaintRequest => ({
    model: { name: 'var-inpaint', version: '' },
    imagePng,
    maskPng: imagePng,
    classLabel: 1,
    seed: 1,
  });

  it('refuses a tiny PNG declaring 65535×65535 from its header, before decoding it', () => {
    const decode = vi.mocked(media.decodePng);
    // Decoding this file would allocate gigabytes: fail fast instead if validation tries.
    decode.mockImplementationOnce(() => {
      throw new Error('decoded before the size check');
    });
    const bomb = pngDeclaring(65535, 65535);
    expect(bomb.length).toBeLessThan(100);
    let error: unknown;
    try {
      validateInpaint(request(bomb), inpaintCatalog);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(error).toMatchObject({ field: 'image_png', limit: 'a 32×32 PNG' });
    expect((error as Error).message).toContain('got 65535×65535');
    expect(decode).not.toHaveBeenCalled();
    decode.mockReset();
  });

  it('decodes PNGs of the model size', () => {
    const png = media.encodePng({
      pixels: new Float32Array(32 * 32),
      images: 1,
      channels: 1,
      height: 32,
      width: 32,
    });
    expect(validateInpaint(request(png), inpaintCatalog).task.image).toHaveLength(32 * 32);
  });
});

describe('sampling limits', () => {
  const sampled = (sampling: image.GenerateRequest['sampling']) =>
    validateGenerate({ ...base, sampling }, catalog, settings).task;

  it('accepts the documented minimum top_p 0.01 as it arrives over the wire (float32)', () => {
    expect(sampled({ topP: Math.fround(0.01) }).topP).toBe(Math.fround(0.01));
    expect(sampled({ minP: Math.fround(0.99) }).minP).toBe(Math.fround(0.99));
    expect(() => sampled({ topP: Math.fround(0.0099) })).toThrow('sampling.top_p');
  });

  it('refuses NaN in every sampling field, naming it', () => {
    const names = {
      temperature: 'temperature',
      topK: 'top_k',
      topP: 'top_p',
      minP: 'min_p',
      guidanceScale: 'guidance_scale',
    } as const;
    for (const [key, name] of Object.entries(names)) {
      expect(() => sampled({ [key]: Number.NaN }), key).toThrow(`sampling.${name}`);
    }
  });
});
