import { writeFile } from 'node:fs/promises';
import { TypedGrpcClient } from '@nextx/grpc';
import { PROTO_FILES, shape } from '@nextx/proto';
import { Presets, SingleBar } from 'cli-progress';
import { Command, Option } from 'commander';
import { DEFAULT_ADDRESSES, intOption } from './options';
import { samplingOptions, samplingSettings } from './sampling';
import { clientSecurity } from './security';

const FORMATS = {
  glb: shape.MeshFormat.MESH_FORMAT_GLB,
  obj: shape.MeshFormat.MESH_FORMAT_OBJ,
  ply: shape.MeshFormat.MESH_FORMAT_PLY,
} as const;

/** `nextx shape generate …`: one class-conditional shape as GLB, OBJ or PLY (and its preview PNGs). */
export function shapeCommand(): Command {
  const command = new Command('shape').description('3D shape generation service');
  samplingOptions(command.command('generate'), true)
    .description('generate one shape; writes its mesh, optionally the per-level previews')
    .requiredOption('-m, --model <name>', 'shape model, e.g. shape-octree or shape-raster')
    .requiredOption('-c, --class <name>', 'class (nextx models -s shape lists them)')
    .option('--resolution <n>', 'output grid edge (0 = the model’s finest)', intOption(0), 0)
    .option('--seed <n>', 'seed (0 = random)', intOption(0), 0)
    .addOption(
      new Option('--format <f>', 'mesh container').choices(Object.keys(FORMATS)).default('glb'),
    )
    .requiredOption('-o, --out <file>', 'mesh file')
    .option(
      '--previews <prefix>',
      'also write <prefix>-level<k>.png after every level and <prefix>.png',
    )
    .option('--addr <host:port>', 'shape service address', DEFAULT_ADDRESSES.shape)
    .option('--timeout <ms>', 'deadline in milliseconds', intOption(1), 120_000)
    .action(async (o) => {
      const client = new TypedGrpcClient<shape.ShapeGenerationClient>(
        o.addr,
        PROTO_FILES.shape,
        `${shape.protobufPackage}.${shape.SHAPE_GENERATION_SERVICE_NAME}`,
        {},
        clientSecurity(),
      );
      const bar = new SingleBar(
        { format: 'generating |{bar}| {value}/{total} {stage}', stream: process.stderr },
        Presets.shades_classic,
      );
      let started = false;
      try {
        const stream = client.stream(
          'generate',
          {
            model: { name: o.model, version: '' },
            className: o.class,
            seed: o.seed,
            sampling: samplingSettings(o),
            format: FORMATS[o.format as keyof typeof FORMATS],
            resolution: o.resolution,
          },
          { timeoutMs: o.timeout },
        );
        let level = 0;
        for await (const message of stream) {
          if (message.progress) {
            if (!started) bar.start(message.progress.total, 0, { stage: message.progress.stage });
            started = true;
            bar.update(message.progress.step, { stage: message.progress.stage });
            if (o.levelPreviews && message.progress.previewPng.length)
              await writeFile(
                `${o.levelPreviews}-level${level++}.png`,
                message.progress.previewPng,
              );
          }
          if (message.shape) {
            if (started) bar.stop();
            started = false;
            const s = message.shape;
            await writeFile(o.out, s.mesh);
            if (o.preview) await writeFile(o.preview, s.previewPng);
            process.stderr.write(
              `wrote ${o.out}: ${s.occupancy!.resolution}³ grid, ${s.occupancy!.occupied} voxels, ${s.triangles} triangles ` +
                `(model ${s.settings!.model!.name}, class ${s.settings!.className}, seed ${s.settings!.seed}, ` +
                `${s.steps} model calls, ${s.elapsedMs.toFixed(0)} ms)\n`,
            );
          }
        }
      } finally {
        if (started) bar.stop();
        client.close();
      }
    });
  return command;
}
