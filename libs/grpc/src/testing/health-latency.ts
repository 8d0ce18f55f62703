import { HealthClient } from '../clients/health-client';

/**
 * Latencies (ms) of `count` health checks on one warm channel — what a load balancer sees while
 * the service is busy. The first check (which opens the connection) is not counted.
 */
export async function healthCheckLatencies(address: string, count = 10): Promise<number[]> {
  const health = new HealthClient(address);
  try {
    if ((await health.check()) !== 'SERVING') throw new Error(`${address} is not SERVING`);
    const latencies: number[] = [];
    for (let i = 0; i < count; i++) {
      const started = performance.now();
      const status = await health.check();
      latencies.push(performance.now() - started);
      if (status !== 'SERVING') throw new Error(`${address} answered ${status}`);
    }
    return latencies;
  } finally {
    health.close();
  }
}
