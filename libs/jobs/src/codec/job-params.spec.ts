import { describe, expect, it } from 'vitest';
import { JobParamsError, jobParamsCodec } from './job-params';

// A kind's own message stands in for a modality's job spec; any message works the same way.
const seeds = jobParamsCodec<{ value: number }>(
  'google/protobuf/wrappers.proto',
  'google.protobuf.UInt64Value',
);

describe('jobParamsCodec', () => {
  it('packs the message as an Any under its type URL and unpacks it, 64-bit values as numbers', () => {
    const params = seeds.pack({ value: 2 ** 40 });
    expect(params.typeUrl).toBe('type.googleapis.com/google.protobuf.UInt64Value');
    expect(seeds.typeUrl).toBe(params.typeUrl);
    expect(seeds.unpack(params)).toEqual({ value: 2 ** 40 });
    // Only the name after the last '/' identifies the type.
    expect(
      seeds.unpack({ ...params, typeUrl: 'example.com/x/google.protobuf.UInt64Value' }),
    ).toEqual({ value: 2 ** 40 });
  });

  it('refuses params that are missing, of another type or undecodable, naming what it expected', () => {
    expect(() => seeds.unpack(undefined)).toThrow(
      new JobParamsError('google.protobuf.UInt64Value', 'missing'),
    );
    expect(() =>
      seeds.unpack({
        typeUrl: 'type.googleapis.com/google.protobuf.StringValue',
        value: Buffer.from([]),
      }),
    ).toThrow(
      'params: expected a google.protobuf.UInt64Value, got "type.googleapis.com/google.protobuf.StringValue"',
    );
    expect(() =>
      seeds.unpack({ ...seeds.pack({ value: 1 }), value: Buffer.from([0x08, 0xff]) }),
    ).toThrow(/^params: expected a google.protobuf.UInt64Value, undecodable: /);
  });
});
