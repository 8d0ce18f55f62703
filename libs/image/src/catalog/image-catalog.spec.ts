import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ModelRepository } from '@nextx/runtime';
import { afterEach, describe, expect, it } from 'vitest';
import { ImageCatalog } from './image-catalog';

/** A model repository holding only the given manifests (the catalog loads no graphs). */
function repositoryOf(manifests: Record<string, unknown>[]): ModelRepository {
  const root = mkdtempSync(join(tmpdir(), 'image-catalog-'));
  roots.push(root);
  for (const manifest of manifests) {
    const dir = join(root, String(manifest['name']));
    mkdirSync(dir);
    writeFileSync(join(dir, 'model.json'), JSON.stringify(manifest));
  }
  return new ModelRepository(root);
}
const roots: string[] = [];

const varManifest = (defaults: Record<string, unknown>) => ({
  name: 'var-28',
  family: 'var',
  version: 1,
  contract: {
    graphs: {},
    num_classes: 10,
    codebook_size: 512,
    image: { shape: [1, 28, 28] },
  },
  defaults,
});

const rasterManifest = {
  name: 'raster-48',
  family: 'llamagen',
  version: 2,
  contract: {
    graphs: {},
    token_layout: { num_classes: 4, codebook_size: 128 },
    image: { shape: [1, 48, 48] },
  },
  defaults: { cfg_scale: 2, temperature: 0.9, top_k: 50 },
};

describe('ImageCatalog', () => {
  afterEach(() => {
    for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
  });

  it("takes the image size and the sampling defaults from each model's manifest", async () => {
    const catalog = await ImageCatalog.load(
      repositoryOf([
        varManifest({ cfg_scale: 2.5, temperature: 0.7, top_p: 0.9 }),
        rasterManifest,
        { name: 'clip', family: 'nbp', version: 1, contract: { graphs: {} } },
      ]),
    );
    expect(catalog.list().map((e) => e.manifest.name)).toEqual(['raster-48', 'var-28']);
    expect(catalog.get('var-28')).toMatchObject({
      family: 'var',
      imageSize: 28,
      numClasses: 10,
      vocabSize: 512,
      // VAR's cfg_scale 2.5 (its own cfg, the ramp's final t) is the API's guidance scale 3.5.
      defaults: { guidanceScale: 3.5, temperature: 0.7, topK: 0, topP: 0.9, minP: 0 },
    });
    expect(catalog.get('raster-48')).toMatchObject({
      family: 'raster',
      imageSize: 48,
      numClasses: 4,
      vocabSize: 128,
      defaults: { guidanceScale: 2, temperature: 0.9, topK: 50, topP: 1, minP: 0 },
    });
  });

  it("lists neither a draft nor a draft-heads model, only as their target's draft and draftHeads", async () => {
    const catalog = await ImageCatalog.load(
      repositoryOf([
        rasterManifest,
        { ...rasterManifest, name: 'raster-48-draft', draft_for: 'raster-48' },
        { ...rasterManifest, name: 'raster-48-heads', draft_heads_for: 'raster-48' },
      ]),
    );
    expect(catalog.list().map((e) => e.manifest.name)).toEqual(['raster-48']);
    expect(catalog.get('raster-48')).toMatchObject({
      draft: 'raster-48-draft',
      draftHeads: 'raster-48-heads',
    });
    expect(() => catalog.get('raster-48-heads')).toThrow(/raster-48-heads/);
  });

  it('takes the draft a target names (a served model drafting for a larger one) and refuses a missing one', async () => {
    const large = (draft: string) => ({
      ...rasterManifest,
      name: 'raster-48-large',
      defaults: { ...rasterManifest.defaults, speculative: { draft, draft_tokens: 4 } },
    });
    const catalog = await ImageCatalog.load(
      repositoryOf([
        rasterManifest,
        { ...rasterManifest, name: 'raster-48-draft', draft_for: 'raster-48' },
        large('raster-48'),
      ]),
    );
    expect(
      catalog
        .list()
        .map((e) => e.manifest.name)
        .sort(),
    ).toEqual(['raster-48', 'raster-48-large']);
    expect(catalog.get('raster-48-large').draft).toBe('raster-48');
    expect(catalog.get('raster-48').draft).toBe('raster-48-draft');
    await expect(
      ImageCatalog.load(repositoryOf([rasterManifest, large('raster-7')])),
    ).rejects.toThrow(/raster-48-large: defaults\.speculative\.draft names raster-7/);
    const otherLayout = {
      ...rasterManifest,
      contract: { ...rasterManifest.contract, token_layout: { num_classes: 4, codebook_size: 64 } },
    };
    await expect(
      ImageCatalog.load(repositoryOf([otherLayout, large('raster-48')])),
    ).rejects.toThrow(/raster-48-large: its draft raster-48 has another contract\.token_layout/);
  });

  it('refuses a manifest that leaves out the guidance scale instead of guessing one', async () => {
    await expect(
      ImageCatalog.load(repositoryOf([varManifest({ temperature: 1 })])),
    ).rejects.toThrow(/var-28: model\.json defaults\.cfg_scale/);
  });

  it('refuses a manifest without a square image shape', async () => {
    const manifest = varManifest({ cfg_scale: 1, temperature: 1 });
    manifest.contract.image = { shape: [1, 28, 32] };
    await expect(ImageCatalog.load(repositoryOf([manifest]))).rejects.toThrow(
      /var-28: model\.json contract\.image\.shape: expected a square image/,
    );
  });
});
