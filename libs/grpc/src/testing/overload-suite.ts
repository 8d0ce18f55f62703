import { status, type ServiceError } from '@grpc/grpc-js';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HealthClient } from '../clients/health-client';
import { TypedGrpcClient } from '../clients/typed-client';
import { readStatusDetails } from '../errors/status-details';
import { freePort } from './free-port';
import { spawnService, workspaceRoot, type SpawnedService } from './spawned-service';

/** A service the shared overload suite drives past its admission limits. */
export interface OverloadTarget<C> {
  /** Label, e.g. `image-service`. */
  readonly name: string;
  /** Entry point, relative to the workspace root (spawned as its own process). */
  readonly entry: string;
  /** Its environment: the queue limits the suite overloads (running + waiting). */
  readonly env: Record<string, string>;
  /** Calls generating at once, as `env` configures it. */
  readonly concurrency: number;
  readonly protoFile: string;
  readonly service: string;
  /** One cheap call: a unary promise, or a server stream the suite reads to its end. */
  call(client: TypedGrpcClient<C>): Promise<unknown> | AsyncIterable<unknown>;
  /** Resident memory the process must stay under, MiB. */
  readonly maxRssMiB: number;
}

/** Seconds the overload runs: 60 (the figure) unless `NEXTX_OVERLOAD_SECONDS` says less. */
export function overloadSeconds(): number {
  return Number(process.env['NEXTX_OVERLOAD_SECONDS'] ?? 60);
}

/** Waits for a unary call, or reads a stream to its end (its status ends the call). */
async function finish(call: Promise<unknown> | AsyncIterable<unknown>): Promise<void> {
  if (!(Symbol.asyncIterator in call)) {
    await call;
    return;
  }
  const messages = call[Symbol.asyncIterator]();
  while (!(await messages.next()).done);
}

async function rssMiB(pid: number): Promise<number> {
  const statusFile = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+) kB/.exec(statusFile)?.[1] ?? NaN);
  return kb / 1024;
}

/**
 * 16× the configured concurrency for {@link overloadSeconds} on loopback: every client loop calls
 * again as soon as its call ends. The excess must be RESOURCE_EXHAUSTED with `RetryInfo`, nothing
 * else may fail, health must answer SERVING throughout (each check within 2 s on a 2-core box
 * where the load generator shares the CPU), the process must stay up
 * and under its memory bound, and once the load stops every admitted call has ended and the
 * service serves a call at once. The figures are printed for the record.
 */
export function describeOverload<C>(target: OverloadTarget<C>): void {
  describe(`${target.name}: 16× its concurrency for ${overloadSeconds()} s`, () => {
    let service: SpawnedService;
    let address: string;

    beforeAll(async () => {
      const port = await freePort();
      address = `127.0.0.1:${port}`;
      service = await spawnService(
        join(workspaceRoot(), target.entry),
        { GRPC_PORT: String(port), METRICS_PORT: '0', LOG_LEVEL: 'warn', ...target.env },
        { address, timeoutMs: 60_000 },
      );
    }, 90_000);

    afterAll(async () => {
      service?.process.kill('SIGTERM');
      await service?.exited;
    });

    it(
      'refuses the excess with RESOURCE_EXHAUSTED + RetryInfo, stays healthy and bounded',
      async () => {
        const pid = service.process.pid!;
        const client = new TypedGrpcClient<C>(address, target.protoFile, target.service);
        // Warm up: models loaded, one call through, before the baseline is read.
        await finish(target.call(client));
        const before = await rssMiB(pid);
        const counts = { ok: 0, exhausted: 0, exhaustedWithRetryInfo: 0, other: [] as string[] };
        const stopAt = Date.now() + overloadSeconds() * 1000;
        let peak = before;
        const health = new HealthClient(address);
        const healthMs: number[] = [];
        const monitor = (async () => {
          while (Date.now() < stopAt) {
            const started = performance.now();
            const answer = await health.check().catch((e: Error) => e.message);
            healthMs.push(performance.now() - started);
            if (answer !== 'SERVING') counts.other.push(`health: ${answer}`);
            peak = Math.max(peak, await rssMiB(pid));
            await new Promise((r) => setTimeout(r, 250));
          }
        })();
        const loops = Array.from({ length: 16 * target.concurrency }, async () => {
          while (Date.now() < stopAt) {
            try {
              await finish(target.call(client));
              counts.ok++;
            } catch (error) {
              const e = error as ServiceError;
              if (e.code === status.RESOURCE_EXHAUSTED) {
                counts.exhausted++;
                if (readStatusDetails(e)?.retryInfo?.retryDelay) counts.exhaustedWithRetryInfo++;
                // An impatient client: retries after 50 ms instead of the RetryInfo delay.
                await new Promise((r) => setTimeout(r, 50));
              } else counts.other.push(`${e.code}: ${e.details ?? e.message}`.slice(0, 200));
            }
          }
        });
        await Promise.all(loops);
        await monitor;
        health.close();
        const after = await rssMiB(pid);
        // The service is idle again: a call is admitted at once.
        await finish(target.call(client));
        client.close();
        const sorted = [...healthMs].sort((a, b) => a - b);
        console.log(
          `${target.name} overload: ${16 * target.concurrency} client loops for ${overloadSeconds()} s → ` +
            `${counts.ok} completed, ${counts.exhausted} RESOURCE_EXHAUSTED (${counts.exhaustedWithRetryInfo} with RetryInfo), ` +
            `${counts.other.length} other; health p50 ${sorted[sorted.length >> 1].toFixed(1)} ms, max ${sorted[sorted.length - 1].toFixed(1)} ms over ${sorted.length} checks; ` +
            `RSS ${before.toFixed(0)} MiB before, ${peak.toFixed(0)} MiB peak, ${after.toFixed(0)} MiB after (bound ${target.maxRssMiB} MiB)`,
        );
        expect(counts.other).toEqual([]);
        expect(counts.ok).toBeGreaterThan(0);
        expect(counts.exhausted).toBeGreaterThan(0);
        expect(counts.exhaustedWithRetryInfo).toBe(counts.exhausted);
        expect(service.process.exitCode).toBeNull();
        expect(sorted[sorted.length - 1]).toBeLessThan(2000);
        expect(peak).toBeLessThan(target.maxRssMiB);
      },
      (overloadSeconds() + 120) * 1000,
    );
  });
}
