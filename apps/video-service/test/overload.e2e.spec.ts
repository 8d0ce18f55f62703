import { describeOverload } from '@nextx/grpc/testing';
import { PROTO_FILES, type video } from '@nextx/proto';
import { clip } from './support';

describeOverload<video.VideoGenerationClient>({
  name: 'video-service',
  entry: 'apps/video-service/src/main.ts',
  // GenerateClip needs no broker; the job RPCs are not part of this load.
  env: { VIDEO_MAX_RUNNING: '2', VIDEO_MAX_WAITING: '2', KAFKA_BROKERS: '' },
  concurrency: 2,
  protoFile: PROTO_FILES.video,
  service: 'nextx.video.v1.VideoGeneration',
  maxRssMiB: 1536,
  call: (client) => client.stream('generateClip', { clip: clip({ frames: 2 }), format: 'gif' }),
});
