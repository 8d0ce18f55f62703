import { Inject, Injectable } from '@nestjs/common';
import type { GatewayConfig } from '../config';
import { GATEWAY_CONFIG } from '../tokens';

/** Bounds the backend calls the gateway has open at once (GATEWAY_MAX_IN_FLIGHT). */
@Injectable()
export class InFlightLimit {
  private running = 0;
  private readonly max: number;

  constructor(@Inject(GATEWAY_CONFIG) config: GatewayConfig) {
    this.max = config.maxInFlight;
  }

  /** A release function when a slot is free, undefined when every slot is taken. */
  acquire(): (() => void) | undefined {
    if (this.running >= this.max) return undefined;
    this.running++;
    let released = false;
    return () => {
      if (!released) this.running--;
      released = true;
    };
  }

  get inFlight(): number {
    return this.running;
  }
}
