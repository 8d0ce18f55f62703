import { join } from 'node:path';
import { PROTO_FILES, protoRoot, type jobs } from '@nextx/proto';
import protobuf from 'protobufjs';

/** Encodes and decodes one message type of `nextx.jobs.v1` by reflection over the .proto file. */
export interface MessageCodec<T> {
  /** Protobuf wire bytes of `value`; throws naming the field when `value` does not fit the type. */
  encode(value: T): Buffer;
  /** The message in `bytes`, with proto3 defaults filled in and unset sub-messages left out. */
  decode(bytes: Uint8Array): T;
}

let root: protobuf.Root | undefined;

function jobsRoot(): protobuf.Root {
  if (!root) {
    const base = protoRoot();
    const loading = new protobuf.Root();
    // Imports name files relative to proto/ (as protoc and buf do), not to the importing file.
    loading.resolvePath = (_origin, target) => join(base, target);
    root = loading.loadSync(PROTO_FILES.jobs);
  }
  return root;
}

/** Drops the nulls protobufjs puts for unset sub-messages so values match the generated types. */
function withoutNulls(value: unknown): unknown {
  if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value)) return value;
  if (Array.isArray(value)) return value.map(withoutNulls);
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    if (item !== null && item !== undefined) out[key] = withoutNulls(item);
  }
  return out;
}

function codecFor<T>(name: string): MessageCodec<T> {
  const type = jobsRoot().lookupType(`nextx.jobs.v1.${name}`);
  return {
    encode(value: T): Buffer {
      const plain = withoutNulls(value) as Record<string, unknown>;
      const problem = type.verify(type.fromObject(plain));
      if (problem) throw new TypeError(`${name}: ${problem}`);
      return Buffer.from(type.encode(type.fromObject(plain)).finish());
    },
    decode(bytes: Uint8Array): T {
      const message = type.decode(bytes);
      return withoutNulls(
        type.toObject(message, { longs: Number, enums: String, defaults: true }),
      ) as T;
    },
  };
}

/** Codecs of the Kafka messages of the job pipeline (all keyed by job id). */
export const codecs = {
  /** Jobs topic. */
  spec: codecFor<jobs.JobSpec>('JobSpec'),
  /** Compacted status topic. */
  status: codecFor<jobs.JobStatus>('JobStatus'),
  /** Commands topic. */
  command: codecFor<jobs.JobCommand>('JobCommand'),
  /** Dead-letter topic. */
  deadLetter: codecFor<jobs.DeadLetter>('DeadLetter'),
};
