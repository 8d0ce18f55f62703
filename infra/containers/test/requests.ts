import { TypedGrpcClient } from '@nextx/grpc';
import { PROTO_FILES, type video, type videoClip as clip } from '@nextx/proto';

export type VideoClient = TypedGrpcClient<video.VideoGenerationClient>;

export function videoClient(address: string): VideoClient {
  return new TypedGrpcClient(address, PROTO_FILES.video, 'nextx.video.v1.VideoGeneration');
}

/** A clip of the bundled nbp-mmnist model; sampling at the model's defaults. */
export function videoClip(overrides: Partial<clip.ClipSpec> = {}): clip.ClipSpec {
  return {
    model: { name: 'nbp-mmnist', version: '' },
    digits: [3, 7],
    motions: [],
    frames: 4,
    fps: 8,
    seed: 1,
    sampling: {},
    ...overrides,
  } as clip.ClipSpec;
}

/** The whole output of a finished job (GetJobOutput's pieces joined). */
export async function jobOutput(client: VideoClient, jobId: string): Promise<Buffer> {
  const pieces: Buffer[] = [];
  for await (const piece of client.stream('getJobOutput', { jobId, offset: 0 }))
    pieces.push(Buffer.from(piece.data));
  return Buffer.concat(pieces);
}
