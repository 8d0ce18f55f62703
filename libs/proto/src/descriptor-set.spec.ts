import descriptorModule from 'protobufjs/ext/descriptor/index.js';
import type { Type } from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { fileDescriptorsOfServices } from './descriptor-set';

const { FileDescriptorProto } = descriptorModule as unknown as { FileDescriptorProto: Type };

interface Decoded {
  name: string;
  messageType: {
    name: string;
    field: { name: string; typeName?: string }[];
    nestedType: { name: string; options?: { mapEntry?: boolean } }[];
  }[];
}

const decode = (services: string[]) =>
  fileDescriptorsOfServices(services).map(
    (b) => FileDescriptorProto.decode(b) as unknown as Decoded,
  );

describe('fileDescriptorsOfServices', () => {
  it('gives the files declaring the services and everything they import, nothing else', () => {
    expect(
      decode(['nextx.video.v1.VideoGeneration'])
        .map((f) => f.name)
        .sort(),
    ).toEqual([
      // The HTTP rules of the gateway (google.api.http) and the options they extend.
      'google/api/annotations.proto',
      'google/api/http.proto',
      'google/protobuf/descriptor.proto',
      'google/protobuf/struct.proto',
      'nextx/common/v1/common.proto',
      // The public job messages; the Kafka envelope (nextx/jobs/v1/jobs.proto) is not reachable.
      'nextx/common/v1/job.proto',
      'nextx/common/v1/model.proto',
      'nextx/video/clip/v1/clip.proto',
      'nextx/video/v1/video.proto',
    ]);
  });

  it('adds files asked for besides the services, with their imports', () => {
    const names = fileDescriptorsOfServices(
      ['nextx.timeseries.v1.TimeSeries'],
      ['google/rpc/error_details.proto'],
    ).map((b) => (FileDescriptorProto.decode(b) as unknown as Decoded).name);
    expect(names).toEqual(
      expect.arrayContaining(['google/rpc/error_details.proto', 'google/protobuf/duration.proto']),
    );
    expect(() => fileDescriptorsOfServices([], ['nope.proto'])).toThrow(
      /nope\.proto was not compiled/,
    );
  });

  it('keeps the compiler’s fully-qualified type names', () => {
    const [imageFile] = decode(['nextx.image.v1.ImageGeneration']);
    const request = imageFile.messageType.find((m) => m.name === 'GenerateRequest')!;
    expect(request.field.find((f) => f.name === 'model')?.typeName).toBe(
      '.nextx.common.v1.ModelRef',
    );
  });

  it('serves grpc.health.v1 with its map entry named as protoc names it', () => {
    const [health] = decode(['grpc.health.v1.Health']);
    const list = health.messageType.find((m) => m.name === 'HealthListResponse')!;
    expect(list.nestedType).toEqual([
      expect.objectContaining({
        name: 'StatusesEntry',
        options: expect.objectContaining({ mapEntry: true }),
      }),
    ]);
  });

  it('names a service no compiled file declares', () => {
    expect(() => fileDescriptorsOfServices(['nextx.nope.v1.Nope'])).toThrow(
      /nextx\.nope\.v1\.Nope/,
    );
  });
});
