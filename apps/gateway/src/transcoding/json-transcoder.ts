import {
  fromBinary,
  fromJson,
  toBinary,
  toJson,
  type DescField,
  type DescMessage,
  type JsonObject,
  type JsonValue,
  type Message,
  ScalarType,
} from '@bufbuild/protobuf';
import type { HttpRoute } from './http-rules';
import { descriptorRegistry } from './descriptor-registry';

/** Longest value a path variable or query parameter may have, characters. */
export const MAX_PARAMETER_CHARS = 512;
/** Most query parameters one request may carry. */
export const MAX_QUERY_PARAMETERS = 64;
/** How much of a client's text an error message repeats. */
const ECHO_CHARS = 40;

/** A request the gateway refuses before calling a backend: which field, and why. */
export class BadRequestProblem extends Error {
  constructor(
    readonly field: string,
    readonly description: string,
  ) {
    super(`${field}: ${description}`);
  }
}

/** At most {@link ECHO_CHARS} characters of client text, for messages. */
export function echo(text: string): string {
  return text.length > ECHO_CHARS ? `${text.slice(0, ECHO_CHARS)}…` : text;
}

/** What an HTTP request carries toward its RPC's request message. */
export interface HttpRequestParts {
  /** Parsed JSON body (undefined when there was none). */
  readonly body: unknown;
  /** Path variables, in the order of the route's `variables`. */
  readonly pathValues: readonly string[];
  /** Query parameters; repeated keys give arrays. */
  readonly query: Readonly<Record<string, string | string[] | undefined>>;
}

/** The field of `message` named `name` in either spelling (proto or JSON). */
function fieldOf(message: DescMessage, name: string): DescField | undefined {
  return message.fields.find((f) => f.name === name || f.jsonName === name);
}

/** Converts a query/path string to the JSON value proto3 JSON expects for `field`. */
function jsonScalar(field: DescField, text: string, where: string): JsonValue {
  if (text.length > MAX_PARAMETER_CHARS)
    throw new BadRequestProblem(where, `longer than ${MAX_PARAMETER_CHARS} characters`);
  if (field.fieldKind === 'enum') return text;
  if (field.fieldKind !== 'scalar' && field.fieldKind !== 'list')
    throw new BadRequestProblem(where, 'a message field cannot be set from the URL');
  if (field.fieldKind === 'list' && field.listKind !== 'scalar' && field.listKind !== 'enum')
    throw new BadRequestProblem(where, 'a message field cannot be set from the URL');
  // Numbers as JSON strings are valid proto3 JSON; only a bool needs its JSON literal.
  if (field.scalar === ScalarType.BOOL) {
    if (text !== 'true' && text !== 'false')
      throw new BadRequestProblem(where, `expected true or false, got "${echo(text)}"`);
    return text === 'true';
  }
  return text;
}

/** Sets the dotted field path `path` (proto or JSON names) of `json` to a value from the URL. */
function setFromUrl(
  json: JsonObject,
  schema: DescMessage,
  path: string,
  values: readonly string[],
): void {
  const segments = path.split('.');
  let message = schema;
  let target = json;
  segments.forEach((segment, i) => {
    const field = fieldOf(message, segment);
    if (!field) throw new BadRequestProblem(path, `no such field in ${message.typeName}`);
    if (i === segments.length - 1) {
      const converted = values.map((v) => jsonScalar(field, v, path));
      target[field.jsonName] = field.fieldKind === 'list' ? converted : converted.at(-1)!;
      return;
    }
    if (field.fieldKind !== 'message')
      throw new BadRequestProblem(path, `${segment} is not a message field`);
    const next = target[field.jsonName];
    const child: JsonObject =
      next && typeof next === 'object' && !Array.isArray(next) ? (next as JsonObject) : {};
    target[field.jsonName] = child;
    target = child;
    message = field.message;
  });
}

/** Names the field a protobuf-es JSON error is about (`… field pkg.Msg.num_images …`). */
function problemOf(error: Error): BadRequestProblem {
  const text = error.message;
  const field = /field ([\w.]+)/.exec(text)?.[1]?.split('.').at(-1);
  const key = /key "([^"]*)" is unknown/.exec(text)?.[1];
  const description = text.replace(/"([^"]{40})[^"]+"/g, '"$1…"');
  return new BadRequestProblem(key !== undefined ? echo(key) : (field ?? 'body'), description);
}

/**
 * Builds the request message of `route` from an HTTP request the way grpc-gateway does: the body
 * (`body: "*"`) is the proto3 JSON of the message, path variables set their fields, and without a
 * body the query parameters set fields by name. Unknown fields are refused, not dropped.
 *
 * @throws BadRequestProblem naming the field
 */
export function requestFromHttp(route: HttpRoute, parts: HttpRequestParts): Message {
  const schema = route.method.input;
  let json: JsonObject = {};
  if (route.body === '*') {
    if (parts.body !== undefined) {
      if (!parts.body || typeof parts.body !== 'object' || Array.isArray(parts.body))
        throw new BadRequestProblem('body', `expected the JSON object of ${schema.typeName}`);
      json = parts.body as JsonObject;
    }
  } else {
    const entries = Object.entries(parts.query).filter(([, v]) => v !== undefined);
    if (entries.length > MAX_QUERY_PARAMETERS)
      throw new BadRequestProblem('query', `more than ${MAX_QUERY_PARAMETERS} parameters`);
    for (const [key, value] of entries)
      setFromUrl(json, schema, key, Array.isArray(value) ? value : [value as string]);
  }
  route.variables.forEach((path, i) => setFromUrl(json, schema, path, [parts.pathValues[i]]));
  try {
    return fromJson(schema, json, { registry: descriptorRegistry() });
  } catch (error) {
    throw problemOf(error as Error);
  }
}

/** The binary encoding of a message, for the wire. */
export function encodeMessage(schema: DescMessage, message: Message): Uint8Array {
  return toBinary(schema, message);
}

/** Decodes a backend's binary response. */
export function decodeMessage(schema: DescMessage, bytes: Uint8Array): Message {
  return fromBinary(schema, bytes);
}

/**
 * The proto3 JSON of a response, with every field present (zero values too), as the services'
 * gRPC clients see it.
 */
export function responseJson(schema: DescMessage, message: Message): JsonValue {
  return toJson(schema, message, { registry: descriptorRegistry(), alwaysEmitImplicit: true });
}
