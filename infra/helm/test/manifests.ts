/**
 * The parts of the rendered Kubernetes objects the chart spec reads (kubecheck has already
 * decoded them strictly against k8s.io/api, so these shapes hold).
 */
export interface Manifest {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly labels?: Record<string, string> };
}

export interface Probe {
  readonly grpc?: { readonly port: number; readonly service?: string };
  readonly exec?: { readonly command: readonly string[] };
  readonly httpGet?: { readonly path: string; readonly port: string | number };
}

export interface Container {
  readonly name: string;
  readonly image: string;
  readonly ports?: readonly { readonly name?: string; readonly containerPort: number }[];
  readonly env?: readonly { readonly name: string }[];
  readonly envFrom?: readonly { readonly configMapRef?: { readonly name: string } }[];
  readonly startupProbe?: Probe;
  readonly readinessProbe?: Probe;
  readonly livenessProbe?: Probe;
  readonly lifecycle?: { readonly preStop?: { readonly exec?: { readonly command: string[] } } };
  readonly securityContext?: {
    readonly runAsNonRoot?: boolean;
    readonly runAsUser?: number;
    readonly readOnlyRootFilesystem?: boolean;
    readonly allowPrivilegeEscalation?: boolean;
    readonly privileged?: boolean;
    readonly capabilities?: { readonly drop?: readonly string[]; readonly add?: readonly string[] };
  };
  readonly volumeMounts?: readonly {
    readonly name: string;
    readonly mountPath: string;
    readonly subPath?: string;
    readonly readOnly?: boolean;
  }[];
}

export interface Volume {
  readonly name: string;
  readonly emptyDir?: object;
  readonly persistentVolumeClaim?: { readonly claimName: string; readonly readOnly?: boolean };
  readonly secret?: { readonly secretName: string };
  readonly image?: { readonly reference: string };
}

export interface Deployment extends Manifest {
  readonly spec: {
    readonly replicas?: number;
    readonly template: {
      readonly spec: {
        readonly containers: readonly Container[];
        readonly volumes?: readonly Volume[];
        readonly terminationGracePeriodSeconds?: number;
        readonly automountServiceAccountToken?: boolean;
        readonly enableServiceLinks?: boolean;
        readonly securityContext?: {
          readonly runAsNonRoot?: boolean;
          readonly runAsUser?: number;
          readonly fsGroup?: number;
          readonly seccompProfile?: { readonly type: string };
        };
      };
    };
  };
}

export interface ConfigMap extends Manifest {
  readonly data: Record<string, string>;
}

export interface Service extends Manifest {
  readonly spec: {
    readonly ports: readonly {
      readonly name: string;
      readonly port: number;
      readonly targetPort: string | number;
    }[];
  };
}

export interface HorizontalPodAutoscaler extends Manifest {
  readonly spec: {
    readonly scaleTargetRef: { readonly kind: string; readonly name: string };
    readonly minReplicas?: number;
    readonly maxReplicas: number;
  };
}

export interface PersistentVolumeClaim extends Manifest {
  readonly spec: { readonly accessModes: readonly string[] };
}

/** The rendered documents of one release, by kind. */
export class Release {
  constructor(readonly documents: readonly Manifest[]) {}

  /** Every document of a kind. */
  all<T extends Manifest>(kind: string): T[] {
    return this.documents.filter((d) => d.kind === kind) as T[];
  }

  /** The one document of a kind; throws when there is none or several. */
  one<T extends Manifest>(kind: string): T {
    const found = this.all<T>(kind);
    if (found.length !== 1)
      throw new Error(`expected one ${kind}, rendered ${found.length}: ${this.kinds().join(', ')}`);
    return found[0];
  }

  kinds(): string[] {
    return this.documents.map((d) => d.kind);
  }
}
