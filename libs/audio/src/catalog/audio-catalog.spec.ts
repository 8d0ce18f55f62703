import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NotFoundError } from '@nextx/engine';
import { ContractError, ModelRepository } from '@nextx/runtime';
import { referenceModelsDir } from '@nextx/runtime/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { AudioCatalog } from './audio-catalog';

/** A repository holding copies of the bundled audio manifests (no graphs: the catalog reads none). */
async function repositoryWith(edit: (manifests: Record<string, Record<string, unknown>>) => void) {
  const dir = await mkdtemp(join(tmpdir(), 'nextx-audio-catalog-'));
  const manifests: Record<string, Record<string, unknown>> = {};
  for (const name of ['fluid-codec', 'musicgen-notes', 'magnet-notes'])
    manifests[name] = JSON.parse(
      await readFile(join(referenceModelsDir(), name, 'model.json'), 'utf8'),
    );
  edit(manifests);
  for (const [name, manifest] of Object.entries(manifests)) {
    await mkdir(join(dir, name));
    await writeFile(join(dir, name, 'model.json'), JSON.stringify(manifest));
  }
  return { dir, repository: new ModelRepository(dir) };
}

describe('AudioCatalog', () => {
  let dir = '';
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('lists the generators, not the codec, with their limits and defaults', async () => {
    const catalog = await AudioCatalog.load(new ModelRepository(referenceModelsDir()));
    expect(
      catalog
        .list()
        .map((e) => e.manifest.name)
        .sort(),
    ).toEqual(['magnet-notes', 'musicgen-notes']);
    const ar = catalog.get('musicgen-notes');
    expect(ar).toMatchObject({ family: 'musicgen', hop: 320, maxSeconds: 2, delays: [0, 1, 2, 3] });
    expect(ar.defaults).toEqual({ temperature: 1, topK: 250, topP: 1, guidanceScale: 3 });
    // MAGNeT decodes whole spans of 3 frames: 99 frames = 1.98 s.
    expect(catalog.get('magnet-notes').maxSeconds).toBeCloseTo(1.98, 10);
    expect(() => catalog.get('fluid-codec')).toThrow(NotFoundError);
    expect(() => catalog.get('musicgen-notes', '999')).toThrow(NotFoundError);
  });

  it('stops at start when a generator names a codec that is not there', async () => {
    let repository: ModelRepository;
    ({ dir, repository } = await repositoryWith((m) => {
      (m['musicgen-notes']['audio'] as Record<string, unknown>)['codec'] = 'no-such-codec';
    }));
    await expect(AudioCatalog.load(repository)).rejects.toThrow(
      new ContractError(
        'model musicgen-notes: its codec no-such-codec is not in the repository (or has no audio section)',
      ),
    );
  });

  it('refuses a manifest without its defaults or with delays that do not match the codebooks', async () => {
    let repository: ModelRepository;
    ({ dir, repository } = await repositoryWith((m) => {
      (m['musicgen-notes']['audio'] as Record<string, unknown>)['delays'] = [0, 1];
    }));
    await expect(AudioCatalog.load(repository)).rejects.toThrow(
      /audio\.delays: one per codebook \(4\)/,
    );
    await rm(dir, { recursive: true, force: true });
    ({ dir, repository } = await repositoryWith((m) => {
      delete (m['magnet-notes']['defaults'] as Record<string, unknown>)['decoding_steps'];
    }));
    await expect(AudioCatalog.load(repository)).rejects.toThrow(
      /model magnet-notes: model\.json defaults\.decoding_steps/,
    );
  });
});
