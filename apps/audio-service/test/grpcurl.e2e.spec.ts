import { JsonLogger, startGrpcService } from '@nextx/grpc';
import { describeGrpcurl, freePort, grpcurl } from '@nextx/grpc/testing';
import { expect, it } from 'vitest';
import { loadAudioConfig } from '../src/config';
import { audioServiceDefinition } from '../src/audio.module';

const SERVICE = 'nextx.audio.v1.AudioGeneration';

describeGrpcurl({
  name: 'audio-service',
  service: SERVICE,
  rpc: 'rpc Generate ( .nextx.audio.v1.GenerateRequest ) returns ( stream .nextx.audio.v1.GenerateResponse );',
  request: {
    message: 'nextx.audio.v1.GenerateRequest',
    field: /\.nextx\.common\.v1\.ModelRef model = 1;/,
  },
  models: ['musicgen-notes', 'magnet-notes'],
  start: async () => {
    const config = loadAudioConfig({ GRPC_PORT: String(await freePort()), METRICS_PORT: '0' });
    return startGrpcService(audioServiceDefinition(config.audio), config.service, {
      logger: new JsonLogger('audio', 'warn'),
      handleSignals: false,
    });
  },
  more: (address) => {
    it('reads the common ModelInfo as JSON: the recorded eval is a Struct', async () => {
      const { models } = JSON.parse(await grpcurl(address(), [`${SERVICE}/ListModels`], {}));
      const info = models.find(
        (m: { model: { name: string } }) => m.model.name === 'musicgen-notes',
      );
      expect(info).toMatchObject({ family: 'MODEL_FAMILY_MUSICGEN', audio: { sampleRate: 16000 } });
      expect(info.quality.eval.family_agreement).toBe(info.quality.classAgreement);
    });
  },
});
