import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

/** Serves `GET /metrics` (Prometheus text format) on its own HTTP port, apart from gRPC. */
export class MetricsHttpServer {
  private server?: Server;

  constructor(private readonly registry: Registry) {}

  /** Starts listening; resolves with the bound port (useful when asked for port 0). */
  async listen(port: number, host: string): Promise<number> {
    this.server = createServer((req, res) => {
      if (req.method === 'GET' && req.url === '/metrics') {
        this.registry
          .metrics()
          .then((body) => {
            res.writeHead(200, { 'content-type': this.registry.contentType });
            res.end(body);
          })
          .catch((error: Error) => {
            res.writeHead(500);
            res.end(error.message);
          });
        return;
      }
      res.writeHead(404);
      res.end('not found; try /metrics\n');
    });
    const server = this.server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    return (server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
