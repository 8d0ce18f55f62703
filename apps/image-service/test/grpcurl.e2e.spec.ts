import { JsonLogger, startGrpcService } from '@nextx/grpc';
import { describeGrpcurl, freePort, grpcurl } from '@nextx/grpc/testing';
import { expect, it } from 'vitest';
import { loadImageConfig } from '../src/config';
import { imageServiceDefinition } from '../src/image.module';

const SERVICE = 'nextx.image.v1.ImageGeneration';

describeGrpcurl({
  name: 'image-service',
  service: SERVICE,
  rpc: 'rpc Generate ( .nextx.image.v1.GenerateRequest ) returns ( stream .nextx.image.v1.GenerateResponse );',
  request: {
    message: 'nextx.image.v1.GenerateRequest',
    field: /\.nextx\.common\.v1\.ModelRef model = 1;/,
  },
  models: ['llama-mnist', 'var-mnist'],
  start: async () => {
    const config = loadImageConfig({ GRPC_PORT: String(await freePort()), METRICS_PORT: '0' });
    return startGrpcService(imageServiceDefinition(config.image), config.service, {
      logger: new JsonLogger('image', 'warn'),
      handleSignals: false,
    });
  },
  more: (address) => {
    it('reads the common ModelInfo as JSON: the recorded eval is a Struct', async () => {
      const { models } = JSON.parse(await grpcurl(address(), [`${SERVICE}/ListModels`], {}));
      const info = models.find((m: { model: { name: string } }) => m.model.name === 'var-mnist');
      expect(info).toMatchObject({ family: 'MODEL_FAMILY_VAR', image: { imageSize: 32 } });
      expect(info.quality.eval.class_agreement).toBe(info.quality.classAgreement);
    });
  },
});
