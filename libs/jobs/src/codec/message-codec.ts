import { join } from 'node:path';
import { protoRoot } from '@nextx/proto';
import protobuf from 'protobufjs';

/** Encodes and decodes one protobuf message type by reflection over its .proto file. */
export interface MessageCodec<T> {
  /** Protobuf wire bytes of `value`; throws naming the field when `value` does not fit the type. */
  encode(value: T): Buffer;
  /** The message in `bytes`, with proto3 defaults filled in and unset sub-messages left out. */
  decode(bytes: Uint8Array): T;
}

const roots = new Map<string, protobuf.Root>();

/** The parsed `protoFile` (relative to `protoRoot()`) with its imports, loaded once. */
function rootOf(protoFile: string): protobuf.Root {
  let root = roots.get(protoFile);
  if (!root) {
    const base = protoRoot();
    const loading = new protobuf.Root();
    // Imports name files relative to proto/ (as protoc and buf do), not to the importing file;
    // google/protobuf/* resolve to the definitions bundled with protobufjs.
    loading.resolvePath = (_origin, target) => join(base, target);
    root = loading.loadSync(protoFile);
    camelCaseBundledFields(root);
    roots.set(protoFile, root);
  }
  return root;
}

/**
 * protobufjs adds google/protobuf/* from bundled JSON that keeps the snake_case field names
 * (`type_url`) while it camelCases every name it parses, so `google.protobuf.Any` would not read
 * or write the `typeUrl` ts-proto generates. Renames those fields the way the parser would.
 * Types with a oneof (Struct's Value) would need the oneof renamed too; none is imported.
 */
function camelCaseBundledFields(root: protobuf.Root): void {
  const google = root.lookup('google.protobuf');
  if (!(google instanceof protobuf.Namespace)) return;
  for (const type of google.nestedArray) {
    if (!(type instanceof protobuf.Type) || type.oneofsArray.length > 0) continue;
    for (const field of [...type.fieldsArray]) {
      const name = protobuf.util.camelCase(field.name);
      if (name === field.name) continue;
      type.remove(field);
      type.add(
        new protobuf.Field(name, field.id, field.type, field.rule, field.extend, field.options),
      );
    }
  }
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

/**
 * Codec of message `typeName` (fully qualified, e.g. `nextx.jobs.v1.JobSpec`) declared in
 * `protoFile` or its imports. `T` is the type ts-proto generated for it (camelCase fields,
 * 64-bit integers as numbers, enums as their names).
 */
export function messageCodec<T>(protoFile: string, typeName: string): MessageCodec<T> {
  const type = rootOf(protoFile).lookupType(typeName);
  return {
    encode(value: T): Buffer {
      const plain = withoutNulls(value) as Record<string, unknown>;
      const problem = type.verify(type.fromObject(plain));
      if (problem) throw new TypeError(`${type.name}: ${problem}`);
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
