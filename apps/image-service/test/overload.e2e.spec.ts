import { describeOverload } from '@nextx/grpc/testing';
import { PROTO_FILES, type image } from '@nextx/proto';

describeOverload<image.ImageGenerationClient>({
  name: 'image-service',
  entry: 'apps/image-service/src/main.ts',
  env: { IMAGE_MAX_RUNNING: '2', IMAGE_MAX_WAITING: '2' },
  concurrency: 2,
  protoFile: PROTO_FILES.image,
  service: 'nextx.image.v1.ImageGeneration',
  maxRssMiB: 1536,
  call: (client) =>
    client.stream('generate', {
      model: { name: 'var-mnist', version: '' },
      classLabel: 3,
      numImages: 1,
      seed: 1,
      sampling: {},
      speculative: false,
      lantern: false,
      jacobi: false,
      draftHeads: false,
    }),
});
