import { readFileSync } from 'node:fs';
import {
  ConfigError,
  envInt,
  loadServerSecurity,
  loadTracingConfig,
  parseEnv,
  securityEnvSchema,
  type ServerSecurity,
  type TracingConfig,
} from '@nextx/config';
import type { ClientSecurity } from '@nextx/grpc';
import { z } from 'zod';

/** The modality services behind the gateway, by the name their HTTP paths start with. */
export const BACKENDS = ['image', 'video', 'timeseries', 'audio', 'shape'] as const;
export type BackendName = (typeof BACKENDS)[number];

/** Each backend's fully-qualified gRPC service. */
export const BACKEND_SERVICES: Record<BackendName, string> = {
  image: 'nextx.image.v1.ImageGeneration',
  video: 'nextx.video.v1.VideoGeneration',
  timeseries: 'nextx.timeseries.v1.TimeSeries',
  audio: 'nextx.audio.v1.AudioGeneration',
  shape: 'nextx.shape.v1.ShapeGeneration',
};

/** The ports `npm start` gives the services (their own defaults). */
const DEFAULT_ADDRESSES: Record<BackendName, string> = {
  image: '127.0.0.1:50051',
  video: '127.0.0.1:50052',
  timeseries: '127.0.0.1:50055',
  audio: '127.0.0.1:50054',
  shape: '127.0.0.1:50056',
};

const address = z
  .string()
  .regex(/^[\w.-]+:\d{1,5}$|^\[[0-9a-fA-F:]+\]:\d{1,5}$|^unix:\/.+$/, 'expected host:port');

const schema = z.object({
  /** Interface the HTTP server binds. */
  GATEWAY_HOST: z.string().min(1).default('127.0.0.1'),
  /** HTTP port. */
  GATEWAY_PORT: envInt(8080, 1, 65535),
  IMAGE_ADDRESS: address.default(DEFAULT_ADDRESSES.image),
  VIDEO_ADDRESS: address.default(DEFAULT_ADDRESSES.video),
  TIMESERIES_ADDRESS: address.default(DEFAULT_ADDRESSES.timeseries),
  AUDIO_ADDRESS: address.default(DEFAULT_ADDRESSES.audio),
  SHAPE_ADDRESS: address.default(DEFAULT_ADDRESSES.shape),
  /**
   * Deadline of a backend call, ms, when the client asks for none; a client's `Grpc-Timeout`
   * header may ask for less, never more.
   */
  GATEWAY_TIMEOUT_MS: envInt(300_000, 100, 3_600_000),
  /** Largest accepted request body, bytes (checked before it is parsed). */
  GATEWAY_MAX_BODY_BYTES: envInt(16 * 1024 * 1024, 1024, 512 * 1024 * 1024),
  /** Backend calls in flight at once; more get 429 with Retry-After. */
  GATEWAY_MAX_IN_FLIGHT: envInt(256, 1, 100_000),
  /** How long shutdown waits for in-flight requests, ms. */
  SHUTDOWN_GRACE_MS: envInt(10_000, 0, 600_000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** API key the gateway sends to the backends; unset = it forwards the caller's Authorization. */
  GATEWAY_BACKEND_API_KEY: z.string().min(1).optional(),
  /** PEM CA bundle of the backends' certificates; set = TLS to the backends. */
  GATEWAY_BACKEND_TLS_CA: z.string().min(1).optional(),
  /** PEM client certificate (mTLS to the backends), with GATEWAY_BACKEND_TLS_KEY. */
  GATEWAY_BACKEND_TLS_CERT: z.string().min(1).optional(),
  GATEWAY_BACKEND_TLS_KEY: z.string().min(1).optional(),
  /** Name to check the backends' certificates against instead of their host. */
  GATEWAY_BACKEND_TLS_SERVER_NAME: z.string().min(1).optional(),
  ...securityEnvSchema.shape,
});

/** The validated gateway settings, read once at start. */
export interface GatewayConfig {
  readonly host: string;
  readonly port: number;
  readonly backends: Record<BackendName, string>;
  readonly timeoutMs: number;
  readonly maxBodyBytes: number;
  readonly maxInFlight: number;
  readonly shutdownGraceMs: number;
  readonly logLevel: z.infer<typeof schema>['LOG_LEVEL'];
  /**
   * The same settings as every gRPC service (GRPC_TLS_*, GRPC_API_KEYS*): HTTPS with those
   * files, and `Authorization: Bearer <key>` checked against those keys and the gRPC methods
   * each may call.
   */
  readonly security: ServerSecurity;
  /** How the gateway reaches the backends. */
  readonly backendSecurity: ClientSecurity;
  /** Whether the caller's Authorization header is forwarded (no GATEWAY_BACKEND_API_KEY). */
  readonly forwardAuthorization: boolean;
  readonly tracing: TracingConfig;
}

function readPem(variable: string, path: string | undefined): Buffer | undefined {
  if (!path) return undefined;
  try {
    return readFileSync(path);
  } catch (error) {
    throw new ConfigError(`${variable}: cannot read ${path}: ${(error as Error).message}`);
  }
}

/** Reads and validates the configuration; throws ConfigError naming every bad variable. */
export function loadGatewayConfig(env: NodeJS.ProcessEnv): GatewayConfig {
  const e = parseEnv(schema, env);
  const { security, problems } = loadServerSecurity(e);
  if (!security) throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
  if ((e.GATEWAY_BACKEND_TLS_CERT === undefined) !== (e.GATEWAY_BACKEND_TLS_KEY === undefined))
    throw new ConfigError(
      'invalid configuration: GATEWAY_BACKEND_TLS_CERT and GATEWAY_BACKEND_TLS_KEY go together',
    );
  const tlsWanted = e.GATEWAY_BACKEND_TLS_CA || e.GATEWAY_BACKEND_TLS_CERT;
  const backendSecurity: ClientSecurity = {
    ...(tlsWanted
      ? {
          tls: {
            ca: readPem('GATEWAY_BACKEND_TLS_CA', e.GATEWAY_BACKEND_TLS_CA),
            cert: readPem('GATEWAY_BACKEND_TLS_CERT', e.GATEWAY_BACKEND_TLS_CERT),
            key: readPem('GATEWAY_BACKEND_TLS_KEY', e.GATEWAY_BACKEND_TLS_KEY),
            serverName: e.GATEWAY_BACKEND_TLS_SERVER_NAME,
          },
        }
      : {}),
    ...(e.GATEWAY_BACKEND_API_KEY ? { apiKey: e.GATEWAY_BACKEND_API_KEY } : {}),
  };
  return {
    host: e.GATEWAY_HOST,
    port: e.GATEWAY_PORT,
    backends: {
      image: e.IMAGE_ADDRESS,
      video: e.VIDEO_ADDRESS,
      timeseries: e.TIMESERIES_ADDRESS,
      audio: e.AUDIO_ADDRESS,
      shape: e.SHAPE_ADDRESS,
    },
    timeoutMs: e.GATEWAY_TIMEOUT_MS,
    maxBodyBytes: e.GATEWAY_MAX_BODY_BYTES,
    maxInFlight: e.GATEWAY_MAX_IN_FLIGHT,
    shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
    logLevel: e.LOG_LEVEL,
    security,
    backendSecurity,
    forwardAuthorization: !e.GATEWAY_BACKEND_API_KEY,
    tracing: loadTracingConfig(env),
  };
}
