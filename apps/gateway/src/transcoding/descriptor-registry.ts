import { createFileRegistry, fromBinary, type FileRegistry } from '@bufbuild/protobuf';
import { FileDescriptorSetSchema } from '@bufbuild/protobuf/wkt';
import { compiledDescriptorSet } from '@nextx/proto';

let registry: FileRegistry | undefined;

/**
 * Every message, service and extension of proto/ (and its imports: google.api's HTTP rules,
 * google.rpc's error details), from the compiled descriptor set that `npm run generate` embeds:
 * the one source the gateway's routes, JSON mapping and error details are read from.
 */
export function descriptorRegistry(): FileRegistry {
  registry ??= createFileRegistry(fromBinary(FileDescriptorSetSchema, compiledDescriptorSet()));
  return registry;
}
