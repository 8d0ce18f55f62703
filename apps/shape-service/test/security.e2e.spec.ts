import { JsonLogger, startGrpcService } from '@nextx/grpc';
import { describeGrpcSecurity } from '@nextx/grpc/testing';
import { PROTO_FILES, shape } from '@nextx/proto';
import { loadShapeConfig } from '../src/config';
import { shapeServiceDefinition } from '../src/shape.module';

describeGrpcSecurity({
  name: 'shape-service',
  protoFile: PROTO_FILES.shape,
  service: `${shape.protobufPackage}.${shape.SHAPE_GENERATION_SERVICE_NAME}`,
  start: (env) => {
    const config = loadShapeConfig(env);
    return startGrpcService(shapeServiceDefinition(config.shape), config.service, {
      logger: new JsonLogger('shape', 'warn'),
      handleSignals: false,
    });
  },
});
