import type { protobufAny } from '@nextx/proto';
import { messageCodec } from './message-codec';

/** Prefix of the type URLs this project packs (the one protoc and buf use). */
const TYPE_URL_PREFIX = 'type.googleapis.com/';

/** `JobSpec.params` missing, of another message type, or not decodable as the expected one. */
export class JobParamsError extends Error {
  override readonly name = 'JobParamsError';
  constructor(
    /** Full name of the expected message. */
    readonly expected: string,
    /** What was found instead, e.g. `missing` or `got type.googleapis.com/other.Message`. */
    readonly detail: string,
  ) {
    super(`params: expected a ${expected}, ${detail}`);
  }
}

/**
 * Packs one job kind's own parameters message into `JobSpec.params` (a `google.protobuf.Any`)
 * and unpacks it again, so the job envelope never needs to know a modality's messages.
 */
export interface JobParamsCodec<T> {
  /** Full name of the message, e.g. `nextx.video.v1.VideoJobSpec`. */
  readonly typeName: string;
  /** Type URL of packed values: `type.googleapis.com/<typeName>`. */
  readonly typeUrl: string;
  /** `value` as an Any; throws naming the field when `value` does not fit the type. */
  pack(value: T): protobufAny.Any;
  /** The message packed in `params`; throws {@link JobParamsError} unless it holds a `T`. */
  unpack(params: protobufAny.Any | undefined): T;
}

/** {@link JobParamsCodec} of message `typeName`, declared in `protoFile` (relative to proto/). */
export function jobParamsCodec<T>(protoFile: string, typeName: string): JobParamsCodec<T> {
  const codec = messageCodec<T>(protoFile, typeName);
  const typeUrl = `${TYPE_URL_PREFIX}${typeName}`;
  return {
    typeName,
    typeUrl,
    pack: (value) => ({ typeUrl, value: codec.encode(value) }),
    unpack(params) {
      if (!params) throw new JobParamsError(typeName, 'missing');
      // Any allows any prefix before the last '/'; only the type name identifies the message.
      const found = params.typeUrl.slice(params.typeUrl.lastIndexOf('/') + 1);
      if (found !== typeName)
        throw new JobParamsError(typeName, `got ${JSON.stringify(params.typeUrl)}`);
      try {
        return codec.decode(params.value);
      } catch (error) {
        throw new JobParamsError(typeName, `undecodable: ${(error as Error).message}`);
      }
    },
  };
}
