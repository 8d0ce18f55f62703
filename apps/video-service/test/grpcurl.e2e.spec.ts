import type { RunningGrpcService } from '@nextx/grpc';
import { grpcHealthProbe, grpcurl } from '@nextx/grpc/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startVideoService, type Client } from './support';

const SERVICE = 'nextx.video.v1.VideoGeneration';

// grpcurl and grpc-health-probe know nothing of nextx but what reflection and health serve, as
// any third-party client; tools/install.sh builds them, and a missing one fails these tests.
describe('video-service through grpcurl and grpc-health-probe', () => {
  let service: RunningGrpcService;
  let client: Client;

  beforeAll(async () => {
    ({ service, client } = await startVideoService({}));
  }, 120_000);

  afterAll(async () => {
    client?.close();
    await service?.close();
  });

  it('lists the video and health services', async () => {
    expect((await grpcurl(service.address, ['list'])).trim().split('\n')).toEqual([
      'grpc.health.v1.Health',
      SERVICE,
    ]);
  });

  it('describes the service, a request with imported types, and health', async () => {
    expect(await grpcurl(service.address, ['describe', SERVICE])).toContain(
      'rpc GenerateClip ( .nextx.video.v1.GenerateClipRequest ) returns ( stream .nextx.video.v1.GenerateClipResponse );',
    );
    expect(
      await grpcurl(service.address, ['describe', 'nextx.video.v1.GenerateClipRequest']),
    ).toMatch(/\.nextx\.video\.clip\.v1\.ClipSpec clip = 1;/);
    expect(await grpcurl(service.address, ['describe', 'grpc.health.v1.Health'])).toContain(
      'rpc Check ( .grpc.health.v1.HealthCheckRequest ) returns ( .grpc.health.v1.HealthCheckResponse );',
    );
  });

  it('calls ListModels', async () => {
    const { models } = JSON.parse(await grpcurl(service.address, [`${SERVICE}/ListModels`]));
    expect(models.map((m: { model: { name: string } }) => m.model.name)).toEqual(
      expect.arrayContaining(['nbp-mmnist', 'ntp-mmnist']),
    );
  });

  it('grpc-health-probe sees the server and the service SERVING', async () => {
    expect(await grpcHealthProbe(service.address)).toContain('status: SERVING');
    expect(await grpcHealthProbe(service.address, SERVICE)).toContain('status: SERVING');
  });
});
