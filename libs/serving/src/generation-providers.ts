import type { Provider } from '@nestjs/common';
import { GrpcMetrics } from '@nextx/grpc';
import type { TaskMap } from '@nextx/runtime';
import { GenerationMetrics } from './generation-metrics';
import { GenerationService, type GenerationServiceOptions } from './generation-service';

/**
 * The Nest providers of a generating service: its {@link GenerationMetrics} on the service's
 * registry, and its {@link GenerationService} under `token` (what controllers and tests inject).
 */
export function generationProviders<M extends TaskMap<M>>(
  token: symbol,
  options: GenerationServiceOptions,
): Provider[] {
  return [
    {
      provide: GenerationMetrics,
      useFactory: (metrics: GrpcMetrics) => new GenerationMetrics(metrics.registry),
      inject: [GrpcMetrics],
    },
    {
      provide: token,
      useFactory: (metrics: GenerationMetrics) => new GenerationService<M>(options, metrics),
      inject: [GenerationMetrics],
    },
  ];
}
