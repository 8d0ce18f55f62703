/**
 * `google.protobuf.Struct` as proto-loader sends and receives it. The generated interfaces type a
 * Struct field as a plain JSON object, but ts-proto's unwrapping registers itself on the
 * protobufjs that the generated code imports, not on the one inside @grpc/proto-loader, so on
 * the wire path a Struct stays in its message form `{ fields: { key: Value } }`. These two
 * functions convert at that seam.
 */
// A type alias, not an interface: it must fit the generated `{ [key: string]: any }` field type.
export type StructMessage = {
  readonly fields: { readonly [key: string]: ValueMessage };
};

/** `google.protobuf.Value` in message form (`kind` is set on received messages). */
export interface ValueMessage {
  readonly kind?: string;
  readonly nullValue?: string | number;
  readonly numberValue?: number;
  readonly stringValue?: string;
  readonly boolValue?: boolean;
  readonly structValue?: StructMessage;
  readonly listValue?: { readonly values: readonly ValueMessage[] };
}

function toValue(value: unknown): ValueMessage {
  if (value === null || value === undefined) return { nullValue: 'NULL_VALUE' };
  if (typeof value === 'number') return { numberValue: value };
  if (typeof value === 'string') return { stringValue: value };
  if (typeof value === 'boolean') return { boolValue: value };
  if (Array.isArray(value)) return { listValue: { values: value.map(toValue) } };
  if (typeof value === 'object') return { structValue: toStruct(value as Record<string, unknown>) };
  return { stringValue: String(value) };
}

function fromValue(value: ValueMessage): unknown {
  const kind =
    value.kind ??
    (['numberValue', 'stringValue', 'boolValue', 'structValue', 'listValue'] as const).find(
      (k) => value[k] !== undefined,
    );
  switch (kind) {
    case 'numberValue':
      return value.numberValue;
    case 'stringValue':
      return value.stringValue;
    case 'boolValue':
      return value.boolValue;
    case 'structValue':
      return fromStruct(value.structValue);
    case 'listValue':
      return (value.listValue?.values ?? []).map(fromValue);
    default:
      return null;
  }
}

/** A JSON object as a Struct message (non-JSON values become strings, `undefined` null). */
export function toStruct(json: Readonly<Record<string, unknown>>): StructMessage {
  return {
    fields: Object.fromEntries(Object.entries(json).map(([key, value]) => [key, toValue(value)])),
  };
}

/** A received Struct message as the JSON object it carries; `{}` when unset. */
export function fromStruct(struct: object | undefined): { [key: string]: unknown } {
  const fields = (struct as Partial<StructMessage> | undefined)?.fields ?? {};
  return Object.fromEntries(Object.entries(fields).map(([key, value]) => [key, fromValue(value)]));
}
