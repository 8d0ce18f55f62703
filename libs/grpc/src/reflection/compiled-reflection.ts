import type { Server } from '@grpc/grpc-js';
import type { PackageDefinition, ProtobufTypeDefinition } from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { fileDescriptorsOfServices } from '@nextx/proto';

/**
 * Served besides the services' own files: the google.rpc detail messages packed in
 * `grpc-status-details-bin` are not imported by any service, and a reflection client such as
 * grpcurl can only print a detail whose type it can look up.
 */
const ERROR_DETAIL_FILES = ['google/rpc/error_details.proto'];

/**
 * Registers server reflection (`grpc.reflection.v1` and `v1alpha`) for `serviceNames`, serving
 * the compiled descriptors that `npm run generate` embeds (buf's `FileDescriptorProto`s of the
 * files declaring them and of all their imports).
 *
 * @param server the grpc-js server, before it starts.
 * @param serviceNames fully-qualified services the server exposes; reflection lists exactly these.
 */
export function addCompiledReflection(
  server: Pick<Server, 'addService'>,
  serviceNames: readonly string[],
): void {
  // ReflectionService reads nothing from a package definition but each entry's
  // `fileDescriptorProtos`. The ones proto-loader attaches are rebuilt by protobufjs from the
  // parsed .proto files, with partly-qualified type names ("*.common.v1.ModelRef") and map entry
  // names protoc would not write, which grpcurl rejects; so it gets one entry with buf's instead.
  const compiled: ProtobufTypeDefinition = {
    format: 'compiled FileDescriptorProtos',
    type: {},
    fileDescriptorProtos: fileDescriptorsOfServices(serviceNames, ERROR_DETAIL_FILES).map((bytes) =>
      Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
    ),
  };
  new ReflectionService({ compiled } as unknown as PackageDefinition, {
    services: [...serviceNames],
  }).addToServer(server);
}
