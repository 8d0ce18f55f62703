import { JsonLogger, startGrpcService } from '@nextx/grpc';
import { describeGrpcSecurity } from '@nextx/grpc/testing';
import { PROTO_FILES, video } from '@nextx/proto';
import { loadVideoConfig } from '../src/config';
import { videoServiceDefinition } from '../src/video.module';

// No KAFKA_BROKERS: the job RPCs are off, ListModels and the transport security are not.
describeGrpcSecurity({
  name: 'video-service',
  protoFile: PROTO_FILES.video,
  service: `${video.protobufPackage}.${video.VIDEO_GENERATION_SERVICE_NAME}`,
  start: (env) => {
    const config = loadVideoConfig(env);
    return startGrpcService(videoServiceDefinition(config.video, config.jobs), config.service, {
      logger: new JsonLogger('video', 'warn'),
      handleSignals: false,
    });
  },
});
