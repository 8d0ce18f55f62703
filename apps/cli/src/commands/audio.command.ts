import { writeFile } from 'node:fs/promises';
import { TypedGrpcClient } from '@nextx/grpc';
import { audio, PROTO_FILES } from '@nextx/proto';
import { Presets, SingleBar } from 'cli-progress';
import { Command, Option } from 'commander';
import { DEFAULT_ADDRESSES, intOption, numberListOption, numberOption } from './options';
import { samplingOptions, samplingSettings } from './sampling';
import { clientSecurity } from './security';

function audioClient(address: string) {
  return new TypedGrpcClient<audio.AudioGenerationClient>(
    address,
    PROTO_FILES.audio,
    `${audio.protobufPackage}.${audio.AUDIO_GENERATION_SERVICE_NAME}`,
    {},
    clientSecurity(),
  );
}

const METHODS = {
  auto: audio.Method.METHOD_UNSPECIFIED,
  ar: audio.Method.METHOD_AR,
  magnet: audio.Method.METHOD_MAGNET,
} as const;

const FORMATS = {
  wav: audio.AudioFormat.AUDIO_FORMAT_WAV,
  flac: audio.AudioFormat.AUDIO_FORMAT_FLAC,
  ogg: audio.AudioFormat.AUDIO_FORMAT_OGG_OPUS,
} as const;

/** `nextx audio …`: generate a note (progress bar, or raw PCM on stdout as it streams). */
export function audioCommand(): Command {
  const command = new Command('audio').description('audio generation service');
  samplingOptions(command.command('generate'), true)
    .description(
      'generate one note; writes the clip (WAV, FLAC or Ogg/Opus) or streams raw s16le PCM to stdout',
    )
    .requiredOption('-m, --model <name>', 'audio model, e.g. musicgen-notes or magnet-notes')
    .requiredOption(
      '--family <name>',
      'instrument family, e.g. guitar (nextx models -s audio lists them)',
    )
    .requiredOption('--pitch <midi>', 'MIDI pitch, e.g. 60', intOption(0, 127))
    .option('--seconds <s>', 'clip length in seconds', numberOption(0.02, 60), 1)
    .option('--seed <n>', 'seed (0 = random)', intOption(0), 0)
    .addOption(
      new Option('--method <m>', 'generation method (the model’s own by default)')
        .choices(Object.keys(METHODS))
        .default('auto'),
    )
    .option(
      '--decoding-steps <list>',
      'MAGNeT iterations per codebook, e.g. 20,10,10,10',
      numberListOption,
    )
    .option('--chunk-frames <n>', 'codec frames per streamed chunk', intOption(1, 50))
    .addOption(
      new Option('--format <f>', 'container of --out').choices(Object.keys(FORMATS)).default('wav'),
    )
    .option('-o, --out <file>', 'output file (required unless --stream)')
    .option(
      '--stream',
      'write raw mono s16le PCM to stdout as chunks arrive (pipe into aplay -f S16_LE -r 16000)',
    )
    .option('--addr <host:port>', 'audio service address', DEFAULT_ADDRESSES.audio)
    .option('--timeout <ms>', 'deadline in milliseconds', intOption(1), 300_000)
    .action(async (o) => {
      if (!o.out && !o.stream) throw new Error('give --out FILE or --stream');
      const client = audioClient(o.addr);
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
            note: { family: o.family, pitch: o.pitch },
            seconds: o.seconds,
            seed: o.seed,
            sampling: samplingSettings(o),
            method: METHODS[o.method as keyof typeof METHODS],
            magnet: o.decodingSteps ? { decodingSteps: o.decodingSteps } : undefined,
            format: FORMATS[o.format as keyof typeof FORMATS],
            chunkFrames: o.chunkFrames ?? 0,
          },
          { timeoutMs: o.timeout },
        );
        for await (const message of stream) {
          if (message.progress && !o.stream) {
            if (!started) bar.start(message.progress.total, 0, { stage: message.progress.stage });
            started = true;
            bar.update(message.progress.step, { stage: message.progress.stage });
          }
          if (message.chunk && o.stream) process.stdout.write(message.chunk.pcmS16le);
          if (message.audio) {
            if (started) bar.stop();
            started = false;
            const a = message.audio;
            if (o.out) await writeFile(o.out, a.encoded.length ? a.encoded : a.wav);
            const s = a.settings!;
            process.stderr.write(
              `${o.out ? `wrote ${o.out}` : 'streamed'}: ${(a.samples / a.sampleRate).toFixed(2)} s at ${a.sampleRate} Hz ` +
                `(model ${s.model!.name}, seed ${s.seed}, ${a.steps} steps, first audio after ${a.firstChunkMs.toFixed(0)} ms, ` +
                `done in ${a.elapsedMs.toFixed(0)} ms)\n`,
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
