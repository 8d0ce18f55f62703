import { describeOverload } from '@nextx/grpc/testing';
import { PROTO_FILES, shape } from '@nextx/proto';

describeOverload<shape.ShapeGenerationClient>({
  name: 'shape-service',
  entry: 'apps/shape-service/src/main.ts',
  env: { SHAPE_MAX_RUNNING: '2', SHAPE_MAX_WAITING: '2' },
  concurrency: 2,
  protoFile: PROTO_FILES.shape,
  service: 'nextx.shape.v1.ShapeGeneration',
  maxRssMiB: 1536,
  call: (client) =>
    client.stream('generate', {
      model: { name: 'shape-octree', version: '' },
      className: 'Resistor_THT',
      seed: 1,
      sampling: {},
      format: shape.MeshFormat.MESH_FORMAT_GLB,
      resolution: 0,
    }),
});
