import { describeGrpcurl } from '@nextx/grpc/testing';
import { startVideoService } from './support';

describeGrpcurl({
  name: 'video-service',
  service: 'nextx.video.v1.VideoGeneration',
  rpc: 'rpc GenerateClip ( .nextx.video.v1.GenerateClipRequest ) returns ( stream .nextx.video.v1.GenerateClipResponse );',
  request: {
    message: 'nextx.video.v1.GenerateClipRequest',
    field: /\.nextx\.video\.clip\.v1\.ClipSpec clip = 1;/,
  },
  models: ['nbp-mmnist', 'ntp-mmnist'],
  start: async () => {
    const { service, client } = await startVideoService({});
    client.close();
    return service;
  },
});
