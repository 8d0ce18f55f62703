import { JsonLogger, startGrpcService, TypedGrpcClient } from '@nextx/grpc';
import { freePort } from '@nextx/grpc/testing';
import { PROTO_FILES, video } from '@nextx/proto';
import { loadVideoConfig } from '../src/config';
import { videoServiceDefinition } from '../src/video.module';

export type Client = TypedGrpcClient<video.VideoGenerationClient>;
/** Every sampling field unset: the model's defaults. */
export const NO_SAMPLING = {};

export function clip(overrides: Partial<video.GenerateClipRequest['clip']> = {}) {
  return {
    model: { name: 'nbp-mmnist', version: '' },
    digits: [3, 7],
    motions: [],
    frames: 8,
    fps: 8,
    seed: 1,
    sampling: NO_SAMPLING,
    ...overrides,
  };
}

export async function generate(
  client: Client,
  request: Partial<video.GenerateClipRequest['clip']>,
  format = 'gif',
  signal?: AbortSignal,
) {
  const frames: video.Frame[] = [];
  const progress: number[] = [];
  let result: video.Clip | undefined;
  for await (const m of client.stream(
    'generateClip',
    { clip: clip(request), format },
    { signal },
  )) {
    if (m.frame) frames.push(m.frame);
    if (m.progress) progress.push(m.progress.step);
    if (m.clip) result = m.clip;
  }
  return { frames, progress, clip: result! };
}

export async function startVideoService(env: Record<string, string>) {
  const port = await freePort();
  const config = loadVideoConfig({ GRPC_PORT: String(port), METRICS_PORT: '0', ...env });
  const service = await startGrpcService(
    videoServiceDefinition(config.video, config.jobs),
    config.service,
    {
      logger: new JsonLogger('video', 'warn'),
      handleSignals: false,
    },
  );
  const client: Client = new TypedGrpcClient(
    service.address,
    PROTO_FILES.video,
    'nextx.video.v1.VideoGeneration',
  );
  return { service, client };
}
