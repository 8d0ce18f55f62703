import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type {
  ConfigMap,
  Container,
  Deployment,
  HorizontalPodAutoscaler,
  Manifest,
  PersistentVolumeClaim,
  Probe,
  Service,
} from './manifests';
import { Release } from './manifests';
import { serviceEnv } from './service-env';
import {
  chartDir,
  examplesDir,
  goCommand,
  helmLint,
  helmTemplate,
  kubecheck,
  kubecheckModule,
  run,
} from './toolchain';

/** Every example values file: a new service (shape-service) is tested by adding its file. */
const examples = readdirSync(examplesDir)
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => basename(f, '.yaml'))
  .sort();

const chartDefaults = parse(readFileSync(join(chartDir, 'values.yaml'), 'utf8')) as object;

/** A value of the example at a dotted path, else the chart's default there (as Helm merges them). */
function valueOf(example: object, path: string): unknown {
  const at = (root: unknown) =>
    path
      .split('.')
      .reduce<unknown>(
        (node, key) =>
          node !== null && typeof node === 'object'
            ? (node as Record<string, unknown>)[key]
            : undefined,
        root,
      );
  return at(example) ?? at(chartDefaults);
}

/** Renders values through helm template and kubecheck; fails with their output otherwise. */
function render(release: string, valuesFile: string, set: readonly string[] = []): Release {
  const rendered = helmTemplate(release, valuesFile, set);
  if (rendered.code !== 0) throw new Error(`helm template failed:\n${rendered.stderr}`);
  const checked = kubecheck(rendered.stdout);
  if (checked.code !== 0) throw new Error(`kubecheck refused the manifests:\n${checked.stderr}`);
  return new Release(JSON.parse(checked.stdout) as Manifest[]);
}

const probesOf = (c: Container): [string, Probe | undefined][] => [
  ['startupProbe', c.startupProbe],
  ['readinessProbe', c.readinessProbe],
  ['livenessProbe', c.livenessProbe],
];

it('finds the example of every service', () => {
  expect(examples).toEqual(
    expect.arrayContaining([
      'audio-service',
      'image-service',
      'shape-service',
      'timeseries-service',
      'video-service',
      'video-worker',
      'gateway',
    ]),
  );
});

describe.each(examples)('examples/%s.yaml', (name) => {
  const file = join(examplesDir, `${name}.yaml`);
  const values = parse(readFileSync(file, 'utf8')) as object;
  const kind = valueOf(values, 'kind') as 'grpc' | 'worker' | 'gateway';
  // Rendered on first use, inside each test: a missing tool then fails every test with the
  // reason (a throwing beforeAll would report them as skipped).
  let cached:
    | {
        release: Release;
        deployment: Deployment;
        container: Container;
        settings: Record<string, string>;
      }
    | undefined;
  const rendered = () => {
    if (!cached) {
      const release = render(name, file);
      const deployment = release.one<Deployment>('Deployment');
      cached = {
        release,
        deployment,
        container: deployment.spec.template.spec.containers[0],
        settings: release.one<ConfigMap>('ConfigMap').data,
      };
    }
    return cached;
  };

  it('passes helm lint --strict, with no template failure logged', () => {
    const lint = helmLint(file);
    const output = lint.stdout + lint.stderr;
    expect(lint.code, output).toBe(0);
    expect(output).toContain('1 chart(s) linted, 0 chart(s) failed');
    // helm lint only logs a template's `fail` (as [INFO] Fail:) instead of failing.
    expect(output).not.toMatch(/\[(WARNING|ERROR)\]|Fail:/);
  });

  it('renders documents that kubecheck accepts, one Deployment and its ConfigMap', () => {
    const { release, deployment, container } = rendered();
    expect(release.kinds()).toEqual(expect.arrayContaining(['Deployment', 'ConfigMap']));
    expect(deployment.spec.template.spec.containers).toHaveLength(1);
    expect(container.image).toBe(`nextx/${name}:0.1.0`);
    expect(container.envFrom?.[0]?.configMapRef?.name).toBe(
      release.one<ConfigMap>('ConfigMap').metadata.name,
    );
  });

  it('runs as a hardened non-root pod: user 10001, read-only root, no privileges, /tmp an emptyDir', () => {
    const { deployment, container } = rendered();
    const pod = deployment.spec.template.spec;
    expect(pod.securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 10001,
      fsGroup: 10001,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(container.securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 10001,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      privileged: false,
      capabilities: { drop: ['ALL'] },
    });
    expect(container.securityContext?.capabilities?.add).toBeUndefined();
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.enableServiceLinks).toBe(false);
    const tmp = container.volumeMounts?.find((m) => m.mountPath === '/tmp');
    expect(pod.volumes?.find((v) => v.name === tmp?.name)?.emptyDir).toBeDefined();
  });

  it('probes the process where it listens: grpc.health.v1 (exec under TLS), the worker /healthz, or the gateway /healthz', () => {
    const { release, container, settings } = rendered();
    const ports = Object.fromEntries((container.ports ?? []).map((p) => [p.name, p.containerPort]));
    if (kind === 'gateway') {
      // The gateway has no metrics endpoint; its HTTP port serves the API and /healthz.
      const http = valueOf(values, 'ports.http');
      expect(ports).toEqual({ http });
      expect(settings['GATEWAY_PORT']).toBe(String(http));
      expect(settings['GATEWAY_HOST']).toBe('0.0.0.0');
      expect(settings['METRICS_PORT']).toBeUndefined();
      expect(Object.keys(settings).filter((k) => /^GRPC_(HOST|PORT)$/.test(k))).toEqual([]);
      const tls = valueOf(values, 'tls.enabled');
      for (const [probeName, probe] of probesOf(container))
        expect(probe?.httpGet, probeName).toEqual({
          path: '/healthz',
          port: 'http',
          ...(tls ? { scheme: 'HTTPS' } : {}),
        });
      expect(release.one<Service>('Service').spec.ports).toEqual([
        expect.objectContaining({ name: 'http', port: http, targetPort: 'http' }),
      ]);
      return;
    }
    const metricsPort = valueOf(values, 'ports.metrics');
    expect(ports['metrics']).toBe(metricsPort);
    expect(settings['METRICS_PORT']).toBe(String(metricsPort));
    for (const [probeName, probe] of probesOf(container)) {
      expect(probe, probeName).toBeDefined();
      if (kind === 'worker') {
        expect(probe?.httpGet, probeName).toEqual({ path: '/healthz', port: 'metrics' });
      } else if (valueOf(values, 'tls.enabled')) {
        // kubelet's grpc probe cannot speak TLS: the image's checker, with the container's TLS env.
        expect(probe?.exec?.command, probeName).toEqual(['node', '/opt/nextx/app/healthcheck.mjs']);
      } else {
        expect(probe?.grpc?.port, probeName).toBe(ports['grpc']);
      }
    }
    if (kind === 'grpc') {
      // The example keeps the service's own ports (apps/<app>/src/config.ts), as the README lists.
      const defaults = serviceEnv(name).ports;
      expect(defaults, `no <X>_PORTS in apps/${name}/src/config.ts`).toBeDefined();
      expect(ports['grpc']).toBe(defaults?.grpc);
      expect(ports['metrics']).toBe(defaults?.metrics);
      expect(settings['GRPC_PORT']).toBe(String(ports['grpc']));
      expect(settings['GRPC_HOST']).toBe('0.0.0.0');
      const service = release.one<Service>('Service');
      expect(service.spec.ports.find((p) => p.name === 'grpc')).toMatchObject({
        port: ports['grpc'],
        targetPort: 'grpc',
      });
    } else {
      expect(ports['grpc']).toBeUndefined();
      // kubelet probes the pod IP: the worker's endpoint must not bind loopback (its default).
      expect(settings['METRICS_HOST']).toBe('0.0.0.0');
      expect(Object.keys(settings).filter((k) => k.startsWith('GRPC_'))).toEqual([]);
    }
  });

  it('drains before SIGTERM and leaves the grace period room for the in-flight calls', () => {
    const { deployment, container, settings } = rendered();
    const drain = valueOf(values, 'shutdown.drainSeconds') as number;
    const grace = valueOf(values, 'shutdown.graceSeconds') as number;
    const preStop = container.lifecycle?.preStop?.exec?.command;
    if (kind !== 'worker') {
      expect(drain).toBeGreaterThan(0);
      expect(preStop).toEqual(['/bin/sleep', String(drain)]);
      expect(settings['SHUTDOWN_GRACE_MS']).toBe(String(grace * 1000));
    } else if (drain === 0) {
      expect(preStop).toBeUndefined();
    }
    expect(deployment.spec.template.spec.terminationGracePeriodSeconds).toBeGreaterThan(
      drain + grace,
    );
  });

  it(`sets only variables apps/${name} reads`, () => {
    const { container, settings } = rendered();
    const known = serviceEnv(name).names;
    expect(known.has('LOG_LEVEL')).toBe(true);
    const set = [...Object.keys(settings), ...(container.env ?? []).map((e) => e.name)];
    expect(set.filter((variable) => !known.has(variable))).toEqual([]);
  });

  it('renders an HPA and a PDB exactly when the values enable them', () => {
    const { release, deployment } = rendered();
    const hpa = release.all<HorizontalPodAutoscaler>('HorizontalPodAutoscaler');
    const pdb = release.all('PodDisruptionBudget');
    expect(hpa).toHaveLength(valueOf(values, 'autoscaling.enabled') ? 1 : 0);
    expect(pdb).toHaveLength(valueOf(values, 'podDisruptionBudget.enabled') ? 1 : 0);
    if (hpa.length) {
      expect(hpa[0].spec.scaleTargetRef).toMatchObject({
        kind: 'Deployment',
        name: deployment.metadata.name,
      });
      // The HPA owns the count: a fixed replicas would reset it on every upgrade.
      expect(deployment.spec.replicas).toBeUndefined();
    } else {
      expect(deployment.spec.replicas).toBe(valueOf(values, 'replicas'));
    }
  });

  it('mounts the models, the job store and the secrets the values name, never by subPath', () => {
    const { release, deployment, container, settings } = rendered();
    const pod = deployment.spec.template.spec;
    const volume = (mountPath: string) => {
      const mount = container.volumeMounts?.find((m) => m.mountPath === mountPath);
      return mount && { mount, volume: pod.volumes?.find((v) => v.name === mount.name) };
    };
    // subPath mounts never see a renewed secret or a model added to the claim.
    expect(container.volumeMounts?.filter((m) => m.subPath)).toEqual([]);
    const source = valueOf(values, 'models.source');
    if (source === 'image') {
      expect(settings['MODELS_DIR']).toBeUndefined();
    } else {
      const mountPath = valueOf(values, 'models.mountPath') as string;
      const subPath = valueOf(values, 'models.subPath') as string;
      expect(settings['MODELS_DIR']).toBe(subPath ? `${mountPath}/${subPath}` : mountPath);
      const models = volume(mountPath);
      expect(models?.mount.readOnly).toBe(true);
      if (source === 'pvc')
        expect(models?.volume?.persistentVolumeClaim?.claimName).toBe(
          (valueOf(values, 'models.pvc.claimName') as string) || `${name}-models`,
        );
    }
    if (valueOf(values, 'jobStorage.enabled')) {
      const dir = settings['JOBS_CHUNK_DIR'];
      expect(dir).toBe(valueOf(values, 'jobStorage.mountPath'));
      const claim = volume(dir)?.volume?.persistentVolumeClaim?.claimName;
      expect(claim).toBe((valueOf(values, 'jobStorage.claimName') as string) || `${name}-jobs`);
      if (valueOf(values, 'jobStorage.create'))
        expect(
          release.one<PersistentVolumeClaim>('PersistentVolumeClaim').spec.accessModes,
        ).toEqual(['ReadWriteMany']);
    }
    if (valueOf(values, 'tls.enabled')) {
      const tls = volume('/etc/nextx/tls');
      expect(tls?.volume?.secret?.secretName).toBe(valueOf(values, 'tls.secretName'));
      expect(settings['GRPC_TLS_CERT']).toBe('/etc/nextx/tls/tls.crt');
      expect(settings['GRPC_TLS_KEY']).toBe('/etc/nextx/tls/tls.key');
      // The exec probe's health check trusts the server's CA and dials it by a name it carries
      // (the gateway's kubelet HTTPS probe checks no certificate, and needs none of this).
      if (kind === 'grpc')
        expect(settings['HEALTHCHECK_TLS_CA']).toBe(
          `/etc/nextx/tls/${valueOf(values, 'probes.exec.tls.caKey') as string}`,
        );
      if (kind === 'grpc')
        expect(settings['HEALTHCHECK_TLS_SERVER_NAME']).toBe(
          (valueOf(values, 'probes.exec.tls.serverName') as string) || `${name}.nextx.svc`,
        );
      if (valueOf(values, 'tls.clientCA.enabled')) {
        expect(settings['GRPC_TLS_CLIENT_CA']).toMatch(/^\/etc\/nextx\/tls(-client-ca)?\//);
        const client = valueOf(values, 'probes.exec.tls.clientCertSecret') as string;
        const dir = client ? '/etc/nextx/healthcheck-client' : '/etc/nextx/tls';
        expect(settings['HEALTHCHECK_TLS_CERT']).toBe(`${dir}/tls.crt`);
        expect(settings['HEALTHCHECK_TLS_KEY']).toBe(`${dir}/tls.key`);
        if (client) expect(volume(dir)?.volume?.secret?.secretName).toBe(client);
      }
    }
    if (valueOf(values, 'apiKeys.secretName')) {
      expect(volume('/etc/nextx/api-keys')?.volume?.secret?.secretName).toBe(
        valueOf(values, 'apiKeys.secretName'),
      );
      expect(settings['GRPC_API_KEYS_FILE']).toBe(
        `/etc/nextx/api-keys/${valueOf(values, 'apiKeys.key') as string}`,
      );
    }
    const brokers = valueOf(values, 'kafka.brokers') as string[];
    expect(settings['KAFKA_BROKERS']).toBe(brokers.length ? brokers.join(',') : undefined);
    if (valueOf(values, 'kafka.sasl.mechanism'))
      expect(volume('/etc/nextx/kafka-sasl')?.volume?.secret?.secretName).toBe(
        valueOf(values, 'kafka.sasl.passwordSecret'),
      );
  });
});

describe('the chart', () => {
  const image = join(examplesDir, 'image-service.yaml');

  it('leaves the HPA and PDB out when they are off', () => {
    const release = render('image-service', image, [
      'autoscaling.enabled=false',
      'podDisruptionBudget.enabled=false',
    ]);
    expect(release.kinds()).not.toContain('HorizontalPodAutoscaler');
    expect(release.kinds()).not.toContain('PodDisruptionBudget');
    expect(release.one<Deployment>('Deployment').spec.replicas).toBe(1);
  });

  it('serves models from an image volume when asked', () => {
    const release = render('image-service', image, [
      'models.source=imageVolume',
      'models.imageVolume.reference=registry.example/nextx-models:2025-01',
    ]);
    const pod = release.one<Deployment>('Deployment').spec.template.spec;
    expect(pod.volumes?.find((v) => v.name === 'models')?.image?.reference).toBe(
      'registry.example/nextx-models:2025-01',
    );
    expect(release.one<ConfigMap>('ConfigMap').data['MODELS_DIR']).toBe('/models');
  });

  // Each refused by values.schema.json, in helm template and helm lint alike.
  it.each([
    ['replicas=-1', "at '/replicas': minimum: got -1, want 0"],
    ['models.source=nfs', "value must be one of 'image', 'pvc', 'imageVolume'"],
    ['replica=2', "additional properties 'replica' not allowed"],
    ['autoscaling.maxReplica=3', "additional properties 'maxReplica' not allowed"],
    ['kind=job', "value must be one of 'grpc', 'worker', 'gateway'"],
    ['settings.GRPC_PORT=1', "invalid propertyName 'GRPC_PORT'"],
    ['settings.image_workers=2', "'image_workers' does not match pattern"],
    ['ports.grpc=0', "at '/ports/grpc': minimum: got 0, want 1"],
    ['kafka.brokers={kafka-0}', "'kafka-0' does not match pattern"],
    ['runAsUser=0', "at '/runAsUser': minimum: got 0, want 1"],
  ])('the schema refuses %s', (set, message) => {
    const template = helmTemplate('image-service', image, [set]);
    expect(template.code).not.toBe(0);
    expect(template.stderr).toContain("values don't meet the specifications of the schema");
    expect(template.stderr).toContain(message);
    const lint = helmLint(image, [set]);
    expect(lint.code).not.toBe(0);
    expect(lint.stdout + lint.stderr).toContain(message);
  });

  // Combinations the schema cannot say, refused by the templates with a message naming the values.
  it.each([
    ['timeseries-service', ['probes.type=grpc'], "kubelet's gRPC probe cannot speak TLS"],
    ['image-service', ['apiKeys.secretName=k', 'apiKeys.healthAuth=closed'], 'sends no API key'],
    ['video-worker', ['kafka.brokers=null'], 'kind worker needs kafka.brokers'],
    ['gateway', ['apiKeys.healthAuth=closed'], "kubelet's HTTP probe of /healthz sends no API key"],
    [
      'image-service',
      ['shutdown.terminationGracePeriodSeconds=10'],
      'must be more than drainSeconds + graceSeconds',
    ],
    ['audio-service', ['models.pvc.claimName='], 'models.source pvc needs models.pvc.claimName'],
    ['image-service', ['tls.enabled=true'], 'tls.enabled needs tls.secretName'],
    [
      'timeseries-service',
      ['apiKeys.healthAuth=closed'],
      'apiKeys.healthAuth closed with exec probes needs probes.exec.apiKeySecret',
    ],
  ])('%s with %j is refused', (example, set, message) => {
    const template = helmTemplate(example, join(examplesDir, `${example}.yaml`), set);
    expect(template.code).not.toBe(0);
    expect(template.stderr).toContain(message);
  });

  it('refuses autoscaling without a CPU request (utilization is a share of it)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nextx-helm-'));
    try {
      const file = join(dir, 'values.yaml');
      writeFileSync(
        file,
        'image: {repository: nextx/image-service}\nautoscaling: {enabled: true}\n',
      );
      const template = helmTemplate('image-service', file);
      expect(template.code).not.toBe(0);
      expect(template.stderr).toContain('autoscaling.enabled needs resources.requests.cpu');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('kubecheck', () => {
  /** The image-service release as helm renders it (the input kubecheck must refuse once edited). */
  const rendered = (): string => {
    const template = helmTemplate('image-service', join(examplesDir, 'image-service.yaml'));
    if (template.code !== 0) throw new Error(`helm template failed:\n${template.stderr}`);
    return template.stdout;
  };

  it.each([
    [
      'readOnlyRootFilesystem: true',
      'readOnlyRootFileSystem: true',
      'spec.template.spec.containers[0].securityContext.readOnlyRootFileSystem',
    ],
    ['imagePullPolicy:', 'imagePullPolcy:', 'spec.template.spec.containers[0].imagePullPolcy'],
    [
      'terminationGracePeriodSeconds:',
      'terminationGracePeriod:',
      'spec.template.spec.terminationGracePeriod',
    ],
  ])('refuses the rendered Deployment with %s misspelt', (field, misspelt, path) => {
    const manifests = rendered();
    expect(manifests).toContain(field);
    const result = kubecheck(manifests.replace(field, misspelt));
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      new RegExp(
        `document \\d+ \\(Deployment "image-service", nextx-service/templates/deployment.yaml\\): .*unknown field "${path.replace(/[[\].]/g, '\\$&')}"`,
      ),
    );
  });

  it('refuses a kind it does not know', () => {
    const result = kubecheck(
      rendered().replace('kind: PodDisruptionBudget', 'kind: PodDisruptionBudgit'),
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('unknown kind PodDisruptionBudgit in policy/v1');
  });

  it('passes its own go test', () => {
    const result = run(goCommand(), ['test', './...'], {
      cwd: kubecheckModule,
      timeoutMs: 240_000,
    });
    expect(result.code, result.stdout + result.stderr).toBe(0);
  }, 240_000);
});
