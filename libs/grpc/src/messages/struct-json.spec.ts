import { loadSync } from '@grpc/proto-loader';
import { describe, expect, it } from 'vitest';
import { LOADER_OPTIONS } from '../clients/proto-loading';
import { fromStruct, toStruct } from './struct-json';

const record = {
  class_agreement: 0.987,
  per_class: [1, 0.98],
  settings: { cfg_scale: 1, schedule: 'linear' },
  note: null,
  ok: true,
};

describe('toStruct / fromStruct', () => {
  it('round-trips a JSON object through the Struct message form', () => {
    expect(fromStruct(toStruct(record))).toEqual(record);
    expect(fromStruct(undefined)).toEqual({});
  });

  it('survives proto-loader serialization as the services and clients use it', () => {
    // The same loader settings as the servers: what comes off the wire has `kind` set.
    const definition = loadSync('google/protobuf/struct.proto', LOADER_OPTIONS);
    const type = definition['google.protobuf.Struct'] as unknown as {
      serialize(value: object): Buffer;
      deserialize(bytes: Buffer): object;
    };
    expect(fromStruct(type.deserialize(type.serialize(toStruct(record))))).toEqual(record);
  });
});
