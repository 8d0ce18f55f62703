import descriptorModule from 'protobufjs/ext/descriptor/index.js';
import type { Type } from 'protobufjs';
import { FILE_DESCRIPTOR_SET_BASE64 } from './generated/descriptor-set';

const { FileDescriptorSet, FileDescriptorProto } = descriptorModule as unknown as {
  FileDescriptorSet: Type;
  FileDescriptorProto: Type;
};

/** The fields of a `google.protobuf.FileDescriptorProto` this module reads. */
interface FileDescriptor {
  name: string;
  package?: string;
  dependency?: string[];
  service?: { name: string }[];
}

let compiled: FileDescriptor[] | undefined;

/** Every compiled file (proto/ and grpc.health.v1), decoded once on first use. */
function compiledFiles(): FileDescriptor[] {
  compiled ??= (
    FileDescriptorSet.decode(Buffer.from(FILE_DESCRIPTOR_SET_BASE64, 'base64')) as unknown as {
      file: FileDescriptor[];
    }
  ).file;
  return compiled;
}

/**
 * The compiled `FileDescriptorProto`s (buf's output, fully-qualified type names, map entries as
 * protoc writes them) of the files that declare `serviceNames` and of everything they import,
 * encoded. These are what server reflection must hand to clients such as grpcurl, which resolve
 * every type and every import of a file they are given.
 *
 * @param serviceNames fully-qualified services, e.g. `nextx.image.v1.ImageGeneration`.
 * @param alsoFiles further compiled files to include (with their imports), e.g. the
 *   `google/rpc/error_details.proto` whose messages travel packed in `Any`s.
 * @throws Error naming a service or file that was not compiled.
 */
export function fileDescriptorsOfServices(
  serviceNames: readonly string[],
  alsoFiles: readonly string[] = [],
): Uint8Array[] {
  const files = compiledFiles();
  const byName = new Map(files.map((file) => [file.name, file]));
  const pending = serviceNames.map((service) => {
    const file = files.find((f) =>
      (f.service ?? []).some((s) => `${f.package ? `${f.package}.` : ''}${s.name}` === service),
    );
    if (!file) throw new Error(`no compiled proto file declares ${service}; run npm run generate`);
    return file;
  });
  for (const name of alsoFiles) {
    const file = byName.get(name);
    if (!file) throw new Error(`${name} was not compiled; run npm run generate`);
    pending.push(file);
  }
  const selected = new Set<FileDescriptor>();
  for (let file = pending.pop(); file; file = pending.pop()) {
    if (selected.has(file)) continue;
    selected.add(file);
    for (const dependency of file.dependency ?? []) {
      const imported = byName.get(dependency);
      if (!imported) throw new Error(`${file.name} imports ${dependency}, which was not compiled`);
      pending.push(imported);
    }
  }
  return [...selected].map((file) => FileDescriptorProto.encode(file).finish());
}

/**
 * The whole compiled `FileDescriptorSet` (every file of proto/ with its imports, google.api's HTTP
 * rules included), encoded: what a proto3 JSON transcoder such as the gateway builds its registry
 * from.
 */
export function compiledDescriptorSet(): Uint8Array {
  return Buffer.from(FILE_DESCRIPTOR_SET_BASE64, 'base64');
}
