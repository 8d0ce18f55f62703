import { loadSync, type Options, type PackageDefinition } from '@grpc/proto-loader';
import { protoRoot } from '@nextx/proto';
import { join } from 'node:path';

/**
 * proto-loader settings shared by servers and clients; they match the ts-proto options in
 * buf.gen.yaml (camelCase fields, 64-bit integers as numbers, enums as their names, defaults
 * filled) so the generated interfaces describe exactly what arrives.
 */
export const LOADER_OPTIONS: Options = {
  keepCase: false,
  longs: Number,
  enums: String,
  defaults: true,
  arrays: true,
  oneofs: true,
};

/** Absolute paths of proto files given relative to the proto root. */
export function protoPaths(files: readonly string[]): string[] {
  const root = protoRoot();
  return files.map((file) => join(root, file));
}

/** Loads proto files (relative to the proto root, or absolute) into a package definition. */
export function loadProtoFiles(files: readonly string[]): PackageDefinition {
  return loadSync(
    files.map((f) => (f.startsWith('/') ? f : protoPaths([f])[0])),
    {
      ...LOADER_OPTIONS,
      includeDirs: [protoRoot()],
    },
  );
}
