import { JsonLogger, startGrpcService, type RunningGrpcService } from '@nextx/grpc';
import { freePort, grpcHealthProbe, grpcurl } from '@nextx/grpc/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAudioConfig } from '../src/config';
import { audioServiceDefinition } from '../src/audio.module';

const SERVICE = 'nextx.audio.v1.AudioGeneration';

// grpcurl and grpc-health-probe know nothing of nextx but what reflection and health serve, as
// any third-party client; tools/install.sh builds them, and a missing one fails these tests.
describe('audio-service through grpcurl and grpc-health-probe', () => {
  let service: RunningGrpcService;

  beforeAll(async () => {
    const config = loadAudioConfig({ GRPC_PORT: String(await freePort()), METRICS_PORT: '0' });
    service = await startGrpcService(audioServiceDefinition(config.audio), config.service, {
      logger: new JsonLogger('audio', 'warn'),
      handleSignals: false,
    });
  }, 120_000);

  afterAll(async () => {
    await service?.close();
  });

  it('lists the audio and health services', async () => {
    expect((await grpcurl(service.address, ['list'])).trim().split('\n')).toEqual([
      'grpc.health.v1.Health',
      SERVICE,
    ]);
  });

  it('describes the service, a request with imported types, and health', async () => {
    expect(await grpcurl(service.address, ['describe', SERVICE])).toContain(
      'rpc Generate ( .nextx.audio.v1.GenerateRequest ) returns ( stream .nextx.audio.v1.GenerateResponse );',
    );
    expect(await grpcurl(service.address, ['describe', 'nextx.audio.v1.GenerateRequest'])).toMatch(
      /\.nextx\.common\.v1\.ModelRef model = 1;/,
    );
    expect(await grpcurl(service.address, ['describe', 'grpc.health.v1.Health'])).toContain(
      'rpc Check ( .grpc.health.v1.HealthCheckRequest ) returns ( .grpc.health.v1.HealthCheckResponse );',
    );
  });

  it('calls ListModels', async () => {
    const { models } = JSON.parse(await grpcurl(service.address, [`${SERVICE}/ListModels`]));
    expect(models.map((m: { model: { name: string } }) => m.model.name)).toEqual(
      expect.arrayContaining(['musicgen-notes', 'magnet-notes']),
    );
    // The common ModelInfo: the recorded eval is a Struct, so JSON clients read it as an object.
    const info = models.find((m: { model: { name: string } }) => m.model.name === 'musicgen-notes');
    expect(info).toMatchObject({ family: 'MODEL_FAMILY_MUSICGEN', audio: { sampleRate: 16000 } });
    expect(info.quality.eval.family_agreement).toBe(info.quality.classAgreement);
  });

  it('grpc-health-probe sees the server and the service SERVING', async () => {
    expect(await grpcHealthProbe(service.address)).toContain('status: SERVING');
    expect(await grpcHealthProbe(service.address, SERVICE)).toContain('status: SERVING');
  });
});
