import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { HealthClient, type HealthStatus } from '@nextx/grpc';
import { BACKENDS, type BackendName, type GatewayConfig } from '../config';
import { GATEWAY_CONFIG } from '../tokens';
import { BackendChannel } from './backend-channel';

/** The gateway's channels to its backends (one per service, reused by every request). */
@Injectable()
export class BackendChannels implements OnApplicationShutdown {
  private readonly channels = new Map<BackendName, BackendChannel>();
  private readonly health = new Map<BackendName, HealthClient>();

  constructor(@Inject(GATEWAY_CONFIG) config: GatewayConfig) {
    for (const backend of BACKENDS) {
      const address = config.backends[backend];
      this.channels.set(backend, new BackendChannel(address, config.backendSecurity));
      this.health.set(backend, new HealthClient(address, config.backendSecurity));
    }
  }

  channel(backend: BackendName): BackendChannel {
    return this.channels.get(backend)!;
  }

  address(backend: BackendName): string {
    return this.channels.get(backend)!.address;
  }

  /** The backend's grpc.health.v1 status, or `UNREACHABLE` with why. */
  async healthOf(
    backend: BackendName,
    timeoutMs: number,
  ): Promise<{ status: HealthStatus | 'UNREACHABLE'; error?: string }> {
    try {
      return { status: await this.health.get(backend)!.check('', timeoutMs) };
    } catch (error) {
      return { status: 'UNREACHABLE', error: (error as Error).message.slice(0, 200) };
    }
  }

  onApplicationShutdown(): void {
    for (const channel of this.channels.values()) channel.close();
    for (const client of this.health.values()) client.close();
  }
}
