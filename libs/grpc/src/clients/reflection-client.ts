import { loadPackageDefinition, type Client, type ClientDuplexStream } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import descriptorModule from 'protobufjs/ext/descriptor/index.js';
import type { Type } from 'protobufjs';
import { clientCredentials, clientSecurityOptions, type ClientSecurity } from './client-security';

const { FileDescriptorProto } = descriptorModule as unknown as { FileDescriptorProto: Type };

/** A service as the server describes it through reflection. */
export interface ReflectedService {
  readonly name: string;
  readonly methods: { name: string; serverStreaming: boolean; clientStreaming: boolean }[];
}

interface ReflectionResponse {
  listServicesResponse?: { service: { name: string }[] };
  fileDescriptorResponse?: { fileDescriptorProto: Buffer[] };
  errorResponse?: { errorCode: number; errorMessage: string };
}

function reflectionClient(
  address: string,
  security: ClientSecurity,
): Client & { serverReflectionInfo(): ClientDuplexStream<object, ReflectionResponse> } {
  const root = join(
    dirname(createRequire(import.meta.url).resolve('@grpc/reflection')),
    '..',
    'proto',
  );
  const definition = loadSync(join(root, 'grpc/reflection/v1/reflection.proto'), {
    keepCase: false,
    includeDirs: [root],
  });
  const pkg = loadPackageDefinition(definition) as unknown as {
    grpc: {
      reflection: {
        v1: {
          ServerReflection: new (
            a: string,
            c: ReturnType<typeof clientCredentials>,
            o: object,
          ) => Client;
        };
      };
    };
  };
  return new pkg.grpc.reflection.v1.ServerReflection(
    address,
    clientCredentials(security),
    clientSecurityOptions(security),
  ) as never;
}

async function ask(
  address: string,
  request: object,
  security: ClientSecurity,
): Promise<ReflectionResponse> {
  const client = reflectionClient(address, security);
  try {
    const call = client.serverReflectionInfo();
    const reply = new Promise<ReflectionResponse>((resolve, reject) => {
      call.once('data', resolve);
      call.once('error', reject);
    });
    call.write(request);
    call.end();
    return await reply;
  } finally {
    client.close();
  }
}

/**
 * Lists the services a server exposes and their methods, the way grpcurl does: `list_services`,
 * then `file_containing_symbol` for each service, decoding the FileDescriptorProtos.
 */
export async function describeServer(
  address: string,
  security: ClientSecurity = {},
): Promise<ReflectedService[]> {
  const listed = await ask(address, { listServices: '' }, security);
  const names = listed.listServicesResponse?.service.map((s) => s.name) ?? [];
  const services: ReflectedService[] = [];
  for (const name of names) {
    const reply = await ask(address, { fileContainingSymbol: name }, security);
    const methods: ReflectedService['methods'] = [];
    for (const bytes of reply.fileDescriptorResponse?.fileDescriptorProto ?? []) {
      const file = FileDescriptorProto.decode(bytes) as unknown as {
        package?: string;
        service?: {
          name: string;
          method?: { name: string; serverStreaming?: boolean; clientStreaming?: boolean }[];
        }[];
      };
      for (const svc of file.service ?? []) {
        if (`${file.package ? `${file.package}.` : ''}${svc.name}` !== name) continue;
        for (const m of svc.method ?? []) {
          methods.push({
            name: m.name,
            serverStreaming: !!m.serverStreaming,
            clientStreaming: !!m.clientStreaming,
          });
        }
      }
    }
    services.push({ name, methods });
  }
  return services;
}
