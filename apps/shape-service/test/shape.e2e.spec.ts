import { status, type ServiceError } from '@grpc/grpc-js';
import {
  JsonLogger,
  startGrpcService,
  TypedGrpcClient,
  type RunningGrpcService,
} from '@nextx/grpc';
import { freePort, expectInvalidArgument } from '@nextx/grpc/testing';
import { unpackVoxels, type VoxelGrid } from '@nextx/media';
import { models, PROTO_FILES, shape } from '@nextx/proto';
import { ModelRepository } from '@nextx/runtime';
import { maxPool, ShapeJudge } from '@nextx/shape';
import { validateGlb } from '@nextx/media/testing';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadShapeConfig } from '../src/config';
import { shapeServiceDefinition } from '../src/shape.module';

type Client = TypedGrpcClient<shape.ShapeGenerationClient>;
const { MeshFormat } = shape;

async function generate(
  client: Client,
  request: Partial<shape.GenerateRequest>,
  settings: { signal?: AbortSignal } = {},
) {
  const messages: shape.GenerateResponse[] = [];
  for await (const m of client.stream(
    'generate',
    {
      model: { name: 'shape-octree', version: '' },
      className: 'Capacitor_THT',
      seed: 1,
      sampling: {},
      format: MeshFormat.MESH_FORMAT_UNSPECIFIED,
      resolution: 0,
      ...request,
    },
    settings,
  ))
    messages.push(m);
  return {
    progress: messages.filter((m) => m.progress).map((m) => m.progress!),
    levels: messages.filter((m) => m.level).map((m) => m.level!),
    shape: messages[messages.length - 1].shape!,
  };
}

const grid = (o: shape.Occupancy): VoxelGrid => unpackVoxels(o.bits, o.resolution);


describe('shape-service over gRPC with the reference shape models', () => {
  let service: RunningGrpcService;
  let client: Client;
  let judge: ShapeJudge;
  let repository: ModelRepository;

  beforeAll(async () => {
    const config = loadShapeConfig({ GRPC_PORT: String(await freePort()), METRICS_PORT: '0' });
    service = await startGrpcService(shapeServiceDefinition(config.shape), config.service, {
      logger: new JsonLogger('shape', 'warn'),
      handleSignals: false,
    });
    client = new TypedGrpcClient(
      service.address,
      PROTO_FILES.shape,
      'nextx.shape.v1.ShapeGeneration',
    );
    repository = new ModelRepository(config.shape.modelsDir);
    judge = await ShapeJudge.load(repository);
  }, 60_000);

  afterAll(async () => {
    client?.close();
    await service?.close();
    await repository?.close();
  });

  it('lists both generators with their classes and resolutions', async () => {
    const { models: list } = await client.unary('listModels', {});
    const byName = new Map(list.map((m) => [m.model!.name, m]));
    expect(byName.get('shape-octree')).toMatchObject({
      family: models.ModelFamily.MODEL_FAMILY_SHAPE_SCALE,
      shape: { resolutions: [2, 4, 8, 16], levels: 4 },
    });
    expect(byName.get('shape-raster')).toMatchObject({
      family: models.ModelFamily.MODEL_FAMILY_SHAPE_RASTER,
      shape: { resolutions: [16] },
    });
    expect(byName.get('shape-octree')!.shape!.classes).toContain('Capacitor_THT');
    expect(byName.get('shape-octree')!.quality?.eval).toBeDefined();
  });

  it('next-scale: one model call per level, a preview after each (coarse = max-pool of fine), then a valid GLB', async () => {
    const { progress, levels, shape: result } = await generate(client, { seed: 5 });
    expect(progress.map((p) => [p.step, p.total, p.stage])).toEqual([
      [1, 4, 'scale'],
      [2, 4, 'scale'],
      [3, 4, 'scale'],
      [4, 4, 'scale'],
    ]);
    expect(levels.map((l) => l.occupancy!.resolution)).toEqual([2, 4, 8, 16]);
    for (let k = 1; k < levels.length; k++)
      expect(Array.from(maxPool(grid(levels[k].occupancy!)).voxels)).toEqual(
        Array.from(grid(levels[k - 1].occupancy!).voxels),
      );
    for (const p of progress) expect(PNG.sync.read(Buffer.from(p.previewPng)).width).toBe(96);
    expect(Array.from(grid(result.occupancy!).voxels)).toEqual(
      Array.from(grid(levels[3].occupancy!).voxels),
    );
    expect(result.steps).toBe(4);
    expect(result.occupancy!.occupied).toBeGreaterThan(0);
    const report = await validateGlb(result.mesh);
    expect(report.issues.numErrors).toBe(0);
    expect(report.info.totalTriangleCount).toBe(result.triangles);
    expect(result.settings).toMatchObject({ seed: 5, className: 'Capacitor_THT' });
    // Four fixed views of the result, 2 × 2.
    const views = PNG.sync.read(Buffer.from(result.previewPng));
    expect([views.width, views.height]).toEqual([258, 258]);
    // Same seed, same mesh bytes; OBJ and PLY carry the same surface.
    expect((await generate(client, { seed: 5 })).shape.mesh).toEqual(result.mesh);
    const again = await generate(client, { seed: 5, format: MeshFormat.MESH_FORMAT_OBJ });
    expect(again.shape.occupancy!.bits).toEqual(result.occupancy!.bits);
    expect(new TextDecoder().decode(again.shape.mesh).match(/^f /gm)).toHaveLength(
      result.triangles,
    );
    const ply = await generate(client, { seed: 5, format: MeshFormat.MESH_FORMAT_PLY });
    expect(new TextDecoder().decode(ply.shape.mesh.subarray(0, 400))).toContain(
      `element face ${result.triangles}`,
    );
  });

  it('a coarser resolution stops early: resolution 8 is three model calls', async () => {
    const { levels, shape: result } = await generate(client, { seed: 5, resolution: 8 });
    expect(levels).toHaveLength(3);
    expect(result.steps).toBe(3);
    expect(result.occupancy!.resolution).toBe(8);
  });

  it('next-token baseline: 512 model calls for the same grid, no level previews', async () => {
    const {
      levels,
      progress,
      shape: result,
    } = await generate(client, {
      model: { name: 'shape-raster', version: '' },
      seed: 2,
    });
    expect(levels).toHaveLength(0);
    expect(progress).toHaveLength(512);
    expect(result.steps).toBe(512);
    expect(result.occupancy!.resolution).toBe(16);
    expect((await validateGlb(result.mesh)).issues.numErrors).toBe(0);
  });

  it("generated shapes look like their class to the judge, within 3 SE of the model's recorded agreement", async () => {
    const { models: list } = await client.unary('listModels', {});
    const info = list.find((m) => m.model!.name === 'shape-octree')!;
    const classes = info.shape!.classes;
    const recorded = info.quality!.classAgreement!;
    const grids: VoxelGrid[] = [];
    const wanted: number[] = [];
    for (const [c, className] of classes.entries())
      for (const seed of [11, 12, 13, 14, 15]) {
        grids.push(grid((await generate(client, { className, seed })).shape.occupancy!));
        wanted.push(c);
      }
    const labels = await judge.classify(grids);
    const agreement = wanted.filter((c, i) => labels[i] === c).length / wanted.length;
    const se = Math.sqrt((recorded * (1 - recorded)) / wanted.length);
    console.log(
      `shape-octree through the service: class agreement ${agreement.toFixed(3)} on ${wanted.length} shapes (recorded ${recorded})`,
    );
    expect(agreement).toBeGreaterThanOrEqual(recorded - 3 * se);
  });

  it('bad input names the field and the limit; an unknown model is NOT_FOUND; cancel frees the slot', async () => {
    await expectInvalidArgument(
      generate(client, { className: 'Teapot' }),
      'class_name',
      /Capacitor_THT/,
    );
    await expectInvalidArgument(
      generate(client, { className: 'x'.repeat(80_000) }),
      'class_name',
      /64/,
    );
    await expectInvalidArgument(
      generate(client, { model: { name: 'shape-raster', version: '' }, resolution: 8 }),
      'resolution',
      /16/,
    );
    await expectInvalidArgument(generate(client, { resolution: 5 }), 'resolution', /2, 4, 8, 16/);
    await expectInvalidArgument(
      generate(client, { sampling: { minP: 0.1 } }),
      'sampling.min_p',
      /unset/,
    );
    await expectInvalidArgument(generate(client, { seed: 2 ** 60 }), 'seed', /9007199254740991/);
    const missing = (await generate(client, { model: { name: 'teapot-gpt', version: '' } }).catch(
      (e: ServiceError) => e,
    )) as ServiceError;
    expect(missing.code).toBe(status.NOT_FOUND);
    const controller = new AbortController();
    const cancelled = generate(
      client,
      { model: { name: 'shape-raster', version: '' } },
      { signal: controller.signal },
    );
    setTimeout(() => controller.abort(), 150);
    await expect(cancelled).rejects.toMatchObject({ code: status.CANCELLED });
    expect((await generate(client, { seed: 9 })).shape.steps).toBe(4);
  });
});
