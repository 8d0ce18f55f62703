import { checkHealth, describeServer } from '@nextx/grpc';
import { Command } from 'commander';
import { clientSecurity } from './security';

/** `nextx health <addr>`: exit 0 when SERVING. */
export function healthCommand(): Command {
  return new Command('health')
    .description('ask a service for its grpc.health.v1 status (exit code 0 when SERVING)')
    .argument('<address>', 'host:port of the service')
    .option('-s, --service <name>', 'fully-qualified service name ("" = whole server)', '')
    .option('--timeout <ms>', 'deadline in milliseconds', '5000')
    .action(async (address: string, options: { service: string; timeout: string }) => {
      const status = await checkHealth(
        address,
        options.service,
        Number(options.timeout),
        clientSecurity(),
      );
      process.stdout.write(
        `${address}${options.service ? ` ${options.service}` : ''}: ${status}\n`,
      );
      process.exitCode = status === 'SERVING' ? 0 : 1;
    });
}

/** `nextx describe <addr>`: the services and methods, through server reflection. */
export function describeCommand(): Command {
  return new Command('describe')
    .description('list the services and methods a server exposes (server reflection)')
    .argument('<address>', 'host:port of the service')
    .action(async (address: string) => {
      for (const service of await describeServer(address, clientSecurity())) {
        process.stdout.write(`${service.name}\n`);
        for (const m of service.methods) {
          process.stdout.write(
            `  ${m.name}${m.serverStreaming ? ' (server stream)' : ''}${m.clientStreaming ? ' (client stream)' : ''}\n`,
          );
        }
      }
    });
}
