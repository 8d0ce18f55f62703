import { writeFile } from 'node:fs/promises';
import { TypedGrpcClient } from '@nextx/grpc';
import { decodePng, encodeGridPng, type PixelBatch } from '@nextx/media';
import { image, PROTO_FILES } from '@nextx/proto';
import { SingleBar, Presets } from 'cli-progress';
import { Command } from 'commander';
import { DEFAULT_ADDRESSES, intOption } from './options';
import { clientSecurity } from './security';
import { samplingOptions, samplingSettings } from './sampling';

function imageClient(address: string) {
  return new TypedGrpcClient<image.ImageGenerationClient>(
    address,
    PROTO_FILES.image,
    `${image.protobufPackage}.${image.IMAGE_GENERATION_SERVICE_NAME}`,
    {},
    clientSecurity(),
  );
}

/** Stacks decoded PNGs into one batch so they can be written as a grid. */
function stack(pngs: Uint8Array[]): PixelBatch {
  const decoded = pngs.map((png) => decodePng(png, 1));
  const { height, width } = decoded[0];
  const pixels = new Float32Array(decoded.length * height * width);
  decoded.forEach((d, i) => pixels.set(d.pixels, i * height * width));
  return { pixels, images: decoded.length, channels: 1, height, width };
}

/** `nextx image …`: generate (with a progress bar fed by the stream). */
export function imageCommand(): Command {
  const command = new Command('image').description('image generation service');
  samplingOptions(command.command('generate'), true)
    .description('generate images of one class; writes a PNG grid (one image per cell)')
    .requiredOption(
      '-m, --model <name>',
      'image model, e.g. var-mnist, llama-mnist, xar-mnist or mar-mnist',
    )
    .requiredOption('-c, --class <label>', 'class label', intOption(0))
    .option('-n, --num <n>', 'number of images', intOption(1), 16)
    .option('--seed <n>', 'seed (0 = random)', intOption(0), 0)
    .option(
      '--speculative',
      'speculative decoding with the model draft (raster; MAR: continuous speculative decoding)',
    )
    .option('--lantern', 'LANTERN relaxed acceptance (with --speculative or --draft-heads)')
    .option('--jacobi', 'Speculative Jacobi decoding (raster, no draft model)')
    .option(
      '--draft-heads',
      "speculative decoding with the draft heads in the model's graph (raster)",
    )
    .option('--columns <n>', 'grid columns', intOption(1), 8)
    .requiredOption('-o, --out <png>', 'output PNG grid')
    .option('--addr <host:port>', 'image service address', DEFAULT_ADDRESSES.image)
    .option('--timeout <ms>', 'deadline in milliseconds', intOption(1), 300_000)
    .action(async (o) => {
      const client = imageClient(o.addr);
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
            classLabel: o.class,
            numImages: o.num,
            seed: o.seed,
            sampling: samplingSettings(o),
            speculative: !!o.speculative,
            lantern: !!o.lantern,
            jacobi: !!o.jacobi,
            draftHeads: !!o.draftHeads,
          },
          { timeoutMs: o.timeout },
        );
        for await (const message of stream) {
          if (message.progress) {
            if (!started) bar.start(message.progress.total, 0, { stage: message.progress.stage });
            started = true;
            bar.update(message.progress.step, { stage: message.progress.stage });
          }
          if (message.images) {
            if (started) bar.stop();
            const batch = stack(message.images.png);
            await writeFile(
              o.out,
              encodeGridPng(
                batch,
                Array.from({ length: batch.images }, (_, i) => i),
                Math.min(o.columns, batch.images),
              ),
            );
            const s = message.images.settings!;
            process.stdout.write(
              `wrote ${batch.images} images to ${o.out} (model ${s.model!.name}, seed ${s.seed}, guidance ${s.sampling!.guidanceScale}, ${message.images.elapsedMs.toFixed(0)} ms` +
                `${s.speculative ? `, acceptance ${(message.images.acceptanceRate * 100).toFixed(1)} %` : ''})\n`,
            );
          }
        }
      } finally {
        if (started) bar.stop();
        client.close();
      }
    });
  command
    .command('inpaint')
    .description('regenerate the white region of a mask (VAR models)')
    .requiredOption('-m, --model <name>', 'VAR image model')
    .requiredOption('--in <png>', 'input image')
    .requiredOption('--mask <png>', 'mask (white = regenerate)')
    .requiredOption('-c, --class <label>', 'class label', intOption(0))
    .option('--seed <n>', 'seed (0 = random)', intOption(0), 0)
    .requiredOption('-o, --out <png>', 'output PNG')
    .option('--addr <host:port>', 'image service address', DEFAULT_ADDRESSES.image)
    .action(async (o) => {
      const { readFile } = await import('node:fs/promises');
      const client = imageClient(o.addr);
      try {
        const response = await client.unary('inpaint', {
          model: { name: o.model, version: '' },
          imagePng: await readFile(o.in),
          maskPng: await readFile(o.mask),
          classLabel: o.class,
          seed: o.seed,
          sampling: undefined,
        });
        await writeFile(o.out, response.png);
        process.stdout.write(`wrote ${o.out} (seed ${response.settings?.seed})\n`);
      } finally {
        client.close();
      }
    });
  return command;
}
