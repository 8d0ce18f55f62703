import { Injectable, type BeforeApplicationShutdown } from '@nestjs/common';

/** Whether the gateway is shutting down: health turns NOT_SERVING before the server closes. */
@Injectable()
export class ShutdownState implements BeforeApplicationShutdown {
  draining = false;

  beforeApplicationShutdown(): void {
    this.draining = true;
  }
}
