{{/* The service's name: nameOverride, else the image repository's last part (nextx/image-service -> image-service). */}}
{{- define "nextx.name" -}}
{{- default (.Values.image.repository | splitList "/" | last) .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Object names: fullnameOverride, else the release name when it already contains the service's name, else release-name. */}}
{{- define "nextx.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := include "nextx.name" . -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "nextx.selectorLabels" -}}
app.kubernetes.io/name: {{ include "nextx.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "nextx.labels" -}}
{{ include "nextx.selectorLabels" . }}
app.kubernetes.io/component: {{ get (dict "grpc" "grpc-service" "worker" "worker" "gateway" "gateway") .Values.kind }}
app.kubernetes.io/part-of: nextx
app.kubernetes.io/version: {{ include "nextx.tag" . | trunc 63 | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{- define "nextx.tag" -}}
{{- default .Chart.AppVersion .Values.image.tag -}}
{{- end -}}

{{- define "nextx.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (include "nextx.tag" .) -}}
{{- end -}}
{{- end -}}

{{- define "nextx.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "nextx.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* Where the TLS, CA, API-key and Kafka secret files are mounted. */}}
{{- define "nextx.paths" -}}
tls: /etc/nextx/tls
clientCA: /etc/nextx/tls-client-ca
apiKeys: /etc/nextx/api-keys
kafkaCA: /etc/nextx/kafka-ca
kafkaClient: /etc/nextx/kafka-client
kafkaSasl: /etc/nextx/kafka-sasl
healthcheckClient: /etc/nextx/healthcheck-client
healthcheckApiKey: /etc/nextx/healthcheck-api-key
{{- end -}}

{{/* The probe type after `auto` is resolved: grpc, exec or http (worker). */}}
{{- define "nextx.probeType" -}}
{{- if or (eq .Values.kind "worker") (eq .Values.kind "gateway") -}}
http
{{- else if eq .Values.probes.type "auto" -}}
{{- ternary "exec" "grpc" .Values.tls.enabled -}}
{{- else -}}
{{- .Values.probes.type -}}
{{- end -}}
{{- end -}}

{{/* drainSeconds + graceSeconds + 10, unless set; refused when it leaves no time after the drain and the grace. */}}
{{- define "nextx.terminationGracePeriodSeconds" -}}
{{- $s := .Values.shutdown -}}
{{- $needed := add $s.drainSeconds $s.graceSeconds -}}
{{- if $s.terminationGracePeriodSeconds -}}
{{- if le (int $s.terminationGracePeriodSeconds) (int $needed) -}}
{{- fail (printf "shutdown.terminationGracePeriodSeconds=%v must be more than drainSeconds + graceSeconds = %v: the pod would be killed before in-flight calls end" $s.terminationGracePeriodSeconds $needed) -}}
{{- end -}}
{{- $s.terminationGracePeriodSeconds -}}
{{- else -}}
{{- add $needed 10 -}}
{{- end -}}
{{- end -}}

{{/* Combinations the schema cannot express; each message names the values to change. */}}
{{- define "nextx.validate" -}}
{{- $v := .Values -}}
{{- if and (eq $v.kind "worker") (eq (int $v.ports.metrics) 0) -}}
{{- fail "kind worker needs ports.metrics: its probes are GET /healthz on that port" -}}
{{- end -}}
{{- if and (eq $v.kind "worker") (empty $v.kafka.brokers) -}}
{{- fail "kind worker needs kafka.brokers: a video worker is a Kafka consumer" -}}
{{- end -}}
{{- if and $v.tls.enabled (not $v.tls.secretName) -}}
{{- fail "tls.enabled needs tls.secretName (a kubernetes.io/tls Secret)" -}}
{{- end -}}
{{- if and $v.tls.clientCA.enabled (not $v.tls.enabled) -}}
{{- fail "tls.clientCA.enabled (mTLS) needs tls.enabled" -}}
{{- end -}}
{{- if and (eq $v.kind "gateway") $v.apiKeys.secretName (eq $v.apiKeys.healthAuth "closed") -}}
{{- fail "apiKeys.healthAuth closed with kind gateway: kubelet's HTTP probe of /healthz sends no API key; keep health open" -}}
{{- end -}}
{{- if and (eq $v.kind "worker") (or $v.tls.enabled $v.apiKeys.secretName) -}}
{{- fail "tls and apiKeys are settings of a gRPC server; a worker (kind worker) has none" -}}
{{- end -}}
{{- if and (eq (include "nextx.probeType" .) "grpc") $v.tls.enabled -}}
{{- fail "probes.type grpc with tls.enabled: kubelet's gRPC probe cannot speak TLS; use probes.type exec (or auto)" -}}
{{- end -}}
{{- if and (eq (include "nextx.probeType" .) "grpc") (eq $v.apiKeys.healthAuth "closed") -}}
{{- fail "apiKeys.healthAuth closed with grpc probes: kubelet's gRPC probe sends no API key; keep health open or use probes.type exec" -}}
{{- end -}}
{{- if and (eq (include "nextx.probeType" .) "exec") $v.apiKeys.secretName (eq $v.apiKeys.healthAuth "closed") (not $v.probes.exec.apiKeySecret) -}}
{{- fail "apiKeys.healthAuth closed with exec probes needs probes.exec.apiKeySecret (the key the health check sends)" -}}
{{- end -}}
{{- if and (eq $v.models.source "pvc") (not $v.models.pvc.claimName) (not $v.models.pvc.create) -}}
{{- fail "models.source pvc needs models.pvc.claimName or models.pvc.create" -}}
{{- end -}}
{{- if and (eq $v.models.source "imageVolume") (not $v.models.imageVolume.reference) -}}
{{- fail "models.source imageVolume needs models.imageVolume.reference" -}}
{{- end -}}
{{- if and $v.jobStorage.enabled (not $v.jobStorage.claimName) (not $v.jobStorage.create) -}}
{{- fail "jobStorage.enabled needs jobStorage.claimName or jobStorage.create" -}}
{{- end -}}
{{- if and (or $v.kafka.tls.caSecret $v.kafka.tls.clientCertSecret) (not $v.kafka.tls.enabled) -}}
{{- fail "kafka.tls.caSecret / clientCertSecret need kafka.tls.enabled" -}}
{{- end -}}
{{- if and $v.kafka.sasl.mechanism (or (not $v.kafka.sasl.username) (not $v.kafka.sasl.passwordSecret)) -}}
{{- fail "kafka.sasl.mechanism needs kafka.sasl.username and kafka.sasl.passwordSecret" -}}
{{- end -}}
{{- if and $v.autoscaling.enabled (not (dig "requests" "cpu" "" $v.resources)) -}}
{{- fail "autoscaling.enabled needs resources.requests.cpu: CPU utilization is a share of the request" -}}
{{- end -}}
{{- if and $v.autoscaling.enabled $v.autoscaling.targetMemoryUtilizationPercentage (not (dig "requests" "memory" "" $v.resources)) -}}
{{- fail "autoscaling.targetMemoryUtilizationPercentage needs resources.requests.memory" -}}
{{- end -}}
{{- if and $v.autoscaling.enabled (gt (int $v.autoscaling.minReplicas) (int $v.autoscaling.maxReplicas)) -}}
{{- fail "autoscaling.minReplicas is more than autoscaling.maxReplicas" -}}
{{- end -}}
{{- if and (eq $v.tracing.exporter "otlp") (not $v.tracing.endpoint) -}}
{{- fail "tracing.exporter otlp needs tracing.endpoint (the collector's OTLP/HTTP base URL)" -}}
{{- end -}}
{{- end -}}

{{/* A setting as a quoted string; whole numbers without an exponent (values files give Helm floats: 16777216 would print as 1.6777216e+07). */}}
{{- define "nextx.envValue" -}}
{{- if and (kindIs "float64" .) (eq (floor .) .) -}}
{{- printf "%d" (int64 .) | quote -}}
{{- else -}}
{{- toString . | quote -}}
{{- end -}}
{{- end -}}
