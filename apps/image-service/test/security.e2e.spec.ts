import { JsonLogger, startGrpcService } from '@nextx/grpc';
import { describeGrpcSecurity } from '@nextx/grpc/testing';
import { image, PROTO_FILES } from '@nextx/proto';
import { loadImageConfig } from '../src/config';
import { imageServiceDefinition } from '../src/image.module';

describeGrpcSecurity({
  name: 'image-service',
  protoFile: PROTO_FILES.image,
  service: `${image.protobufPackage}.${image.IMAGE_GENERATION_SERVICE_NAME}`,
  start: (env) => {
    const config = loadImageConfig(env);
    return startGrpcService(imageServiceDefinition(config.image), config.service, {
      logger: new JsonLogger('image', 'warn'),
      handleSignals: false,
    });
  },
});
