import { JsonLogger, startGrpcService } from '@nextx/grpc';
import { describeGrpcurl, freePort, grpcurl } from '@nextx/grpc/testing';
import { expect, it } from 'vitest';
import { loadShapeConfig } from '../src/config';
import { shapeServiceDefinition } from '../src/shape.module';

const SERVICE = 'nextx.shape.v1.ShapeGeneration';

describeGrpcurl({
  name: 'shape-service',
  service: SERVICE,
  rpc: 'rpc Generate ( .nextx.shape.v1.GenerateRequest ) returns ( stream .nextx.shape.v1.GenerateResponse );',
  request: {
    message: 'nextx.shape.v1.GenerateRequest',
    field: /\.nextx\.common\.v1\.ModelRef model = 1;/,
  },
  models: ['shape-octree', 'shape-raster'],
  start: async () => {
    const config = loadShapeConfig({ GRPC_PORT: String(await freePort()), METRICS_PORT: '0' });
    return startGrpcService(shapeServiceDefinition(config.shape), config.service, {
      logger: new JsonLogger('shape', 'warn'),
      handleSignals: false,
    });
  },
  more: (address) => {
    it('generates a shape through grpcurl (JSON in, a GLB and per-level previews out)', async () => {
      const out = await grpcurl(address(), [`${SERVICE}/Generate`], {
        model: { name: 'shape-octree' },
        className: 'Capacitor_THT',
        seed: 3,
      });
      const messages = out
        .trim()
        .split(/\n(?=\{)/)
        .map((m) => JSON.parse(m));
      expect(messages.filter((m) => m.level)).toHaveLength(4);
      const shape = messages[messages.length - 1].shape;
      expect(Buffer.from(shape.mesh, 'base64').subarray(0, 4).toString()).toBe('glTF');
      expect(shape.occupancy.resolution).toBe(16);
    });
  },
});
