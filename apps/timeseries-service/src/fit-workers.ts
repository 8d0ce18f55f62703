import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { WorkerPool, workerEntry } from '@nextx/runtime/workers';
import type { TimeSeriesTasks } from '@nextx/timeseries';
import type { TimeSeriesLimits } from './config';
import { TIMESERIES_LIMITS } from './tokens';

/** Worker threads that fit and simulate, keeping the gRPC thread free for I/O. */
@Injectable()
export class FitWorkers implements OnModuleInit, OnApplicationShutdown {
  readonly pool: WorkerPool<TimeSeriesTasks>;

  constructor(@Inject(TIMESERIES_LIMITS) limits: TimeSeriesLimits) {
    this.pool = new WorkerPool(workerEntry(import.meta.url, 'fit.worker'), limits.workers);
  }

  async onModuleInit(): Promise<void> {
    await this.pool.ready();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.pool.close();
  }
}
