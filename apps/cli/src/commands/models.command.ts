import { TypedGrpcClient } from '@nextx/grpc';
import { audio, image, models, PROTO_FILES, shape, timeseries, video } from '@nextx/proto';
import { Command, Option } from 'commander';
import { DEFAULT_ADDRESSES } from './options';
import { clientSecurity } from './security';

/** What `--service` may name, with where its ListModels lives. */
const SERVICES = {
  image: {
    protoFile: PROTO_FILES.image,
    name: `${image.protobufPackage}.${image.IMAGE_GENERATION_SERVICE_NAME}`,
  },
  video: {
    protoFile: PROTO_FILES.video,
    name: `${video.protobufPackage}.${video.VIDEO_GENERATION_SERVICE_NAME}`,
  },
  timeseries: {
    protoFile: PROTO_FILES.timeseries,
    name: `${timeseries.protobufPackage}.${timeseries.TIME_SERIES_SERVICE_NAME}`,
  },
  audio: {
    protoFile: PROTO_FILES.audio,
    name: `${audio.protobufPackage}.${audio.AUDIO_GENERATION_SERVICE_NAME}`,
  },
  shape: {
    protoFile: PROTO_FILES.shape,
    name: `${shape.protobufPackage}.${shape.SHAPE_GENERATION_SERVICE_NAME}`,
  },
} as const;

/** The part of every service's client this command uses: the common model RPCs. */
type ModelsClient = Pick<image.ImageGenerationClient, 'listModels'>;

/** `MODEL_FAMILY_NTP_VIDEO` → `ntp-video`. */
function familyName(family: models.ModelFamily): string {
  return String(family).replace('MODEL_FAMILY_', '').toLowerCase().replace(/_/g, '-');
}

/** One line per model: the common fields, then the modality's details. */
export function describeModel(m: models.ModelInfo): string {
  const head = `${m.model?.name}@${m.model?.version}  family ${familyName(m.family)}`;
  const agreement = m.quality?.classAgreement;
  if (m.image) {
    const i = m.image;
    return (
      `${head}  classes ${i.numClasses}  ${i.imageSize}px  guidance ${m.defaults?.guidanceScale}` +
      `${i.hasDraft ? '  draft: yes' : ''}${i.hasDraftHeads ? '  draft heads: yes' : ''}${agreement !== undefined ? `  class agreement ${agreement}` : ''}`
    );
  }
  if (m.video) {
    const v = m.video;
    return (
      `${head}  ${v.frameSize}px  ${v.tokensPerFrame} tokens/frame  context ${v.contextFrames} frames  up to ${v.maxObjects} digits` +
      `  motion x,y ${v.positionStep > 1 ? `multiples of ${v.positionStep} ` : ''}in 0..${v.maxPosition}, vx,vy in {${v.velocities.join(',')}}` +
      `${agreement !== undefined ? `  per-frame agreement ${agreement}` : ''}`
    );
  }
  if (m.audio) {
    const a = m.audio;
    return (
      `${head}  families ${a.families.join(',')}  pitch ${a.pitchMin}..${a.pitchMax}  up to ${a.maxSeconds} s` +
      `  ${a.sampleRate} Hz, ${a.frameRate} frames/s × ${a.numCodebooks} codebooks (codec ${a.codec})` +
      `${agreement !== undefined ? `  family agreement ${agreement}` : ''}`
    );
  }
  if (m.shape) {
    const s = m.shape;
    return (
      `${head}  classes ${s.classes.join(',')}  resolutions ${s.resolutions.join(',')}  ${s.levels} levels` +
      `  guidance ${m.defaults?.guidanceScale}${agreement !== undefined ? `  class agreement ${agreement}` : ''}`
    );
  }
  if (m.timeseries) {
    const t = m.timeseries;
    if (t.contextLength)
      return `${head}  pretrained: reads the last ${t.contextLength} values, horizon up to ${t.maxHorizon}, up to ${t.maxPaths} paths  ${m.description}`;
    return `${head}  fitted per request: up to ${t.maxSeriesLength} values, horizon up to ${t.maxHorizon}  ${m.description}`;
  }
  return `${head}  ${m.description}`;
}

/** Prints every model of the service at `address` (any nextx service: one ListModels shape). */
export async function printModels(service: keyof typeof SERVICES, address: string): Promise<void> {
  const { protoFile, name } = SERVICES[service];
  const client = new TypedGrpcClient<ModelsClient>(address, protoFile, name, {}, clientSecurity());
  try {
    const { models: list } = await client.unary('listModels', {});
    for (const m of list) process.stdout.write(`${describeModel(m)}\n`);
  } finally {
    client.close();
  }
}

/** `nextx models --service image|video|timeseries|audio|shape`: what a service serves. */
export function modelsCommand(): Command {
  return new Command('models')
    .description('list the models a service serves')
    .addOption(
      new Option('-s, --service <name>', 'service').choices(Object.keys(SERVICES)).default('image'),
    )
    .option('--addr <host:port>', "service address (default: the service's own)")
    .action(async (o: { service: keyof typeof SERVICES; addr?: string }) => {
      await printModels(o.service, o.addr ?? DEFAULT_ADDRESSES[o.service]);
    });
}
