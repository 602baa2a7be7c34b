{{/* Chart name, truncated to a DNS label. */}}
{{- define "strata-operator.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Full name: release name, plus the chart name unless the release name already contains it. */}}
{{- define "strata-operator.fullname" -}}
{{- if contains .Chart.Name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{- define "strata-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ include "strata-operator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "strata-operator.labels" -}}
{{ include "strata-operator.selectorLabels" . }}
{{ include "strata-operator.releaseLabels" . }}
{{- end }}

{{/* Labels every object of the release carries besides its selector labels. */}}
{{- define "strata-operator.releaseLabels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: strata
{{- end }}

{{- define "strata-operator.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "strata-operator.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "strata-operator.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{- define "strata-operator.brokerImage" -}}
{{- printf "%s:%s" .Values.brokerImage.repository (default .Chart.AppVersion .Values.brokerImage.tag) }}
{{- end }}

{{/* RBAC rules for reconciling the strata.dev kinds and the objects they own (namespaced part). */}}
{{- define "strata-operator.rules" -}}
- apiGroups: ["strata.dev"]
  resources: ["strataclusters", "stratatopics", "stratausers"]
  verbs: ["get", "list", "watch", "update", "patch"]
- apiGroups: ["strata.dev"]
  resources: ["strataclusters/status", "stratatopics/status", "stratausers/status"]
  verbs: ["get", "update", "patch"]
- apiGroups: ["strata.dev"]
  resources: ["strataclusters/finalizers", "stratatopics/finalizers", "stratausers/finalizers"]
  verbs: ["update"]
- apiGroups: [""]
  resources: ["configmaps", "services"]
  verbs: ["get", "list", "watch", "create", "update", "patch", "delete"]
- apiGroups: [""]
  resources: ["secrets"]
  verbs: ["get", "list", "watch", "create", "update", "patch"]
- apiGroups: [""]
  resources: ["pods"]
  verbs: ["get", "list", "watch", "delete"]
- apiGroups: ["apps"]
  resources: ["statefulsets"]
  verbs: ["get", "list", "watch", "create", "update", "patch", "delete"]
- apiGroups: ["policy"]
  resources: ["poddisruptionbudgets"]
  verbs: ["get", "list", "watch", "create", "update", "patch", "delete"]
- apiGroups: ["", "events.k8s.io"]
  resources: ["events"]
  verbs: ["create", "patch"]
{{- if .Values.rbac.serviceMonitors }}
- apiGroups: ["monitoring.coreos.com"]
  resources: ["servicemonitors"]
  verbs: ["get", "list", "watch", "create", "update", "patch", "delete"]
{{- end }}
{{- end }}

{{/* Leader election (in the release namespace). */}}
{{- define "strata-operator.leaseRules" -}}
- apiGroups: ["coordination.k8s.io"]
  resources: ["leases"]
  verbs: ["get", "list", "watch", "create", "update", "patch"]
- apiGroups: ["", "events.k8s.io"]
  resources: ["events"]
  verbs: ["create", "patch"]
{{- end }}

{{/* The web console: its own name (so the operator's selectors never match its pods) and labels. */}}
{{- define "strata-operator.console.fullname" -}}
{{- printf "%s-console" (include "strata-operator.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "strata-operator.console.selectorLabels" -}}
app.kubernetes.io/name: strata-console
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: console
{{- end }}

{{- define "strata-operator.console.labels" -}}
{{ include "strata-operator.console.selectorLabels" . }}
{{ include "strata-operator.releaseLabels" . }}
{{- end }}

{{/* Console image: console.image.* where set, else the operator image (the console ships in it). */}}
{{- define "strata-operator.console.image" -}}
{{- $repo := default .Values.image.repository .Values.console.image.repository }}
{{- $tag := default (default .Chart.AppVersion .Values.image.tag) .Values.console.image.tag }}
{{- printf "%s:%s" $repo $tag }}
{{- end }}

{{/*
Bootstrap brokers of the console: console.brokers, else the bootstrap Service of the StrataCluster
console.cluster.name in the release namespace (operator/src/naming.ts bootstrapAddress:
`<cluster>-bootstrap.<namespace>.svc:<port>`).
*/}}
{{- define "strata-operator.console.brokers" -}}
{{- if .Values.console.brokers }}
{{- .Values.console.brokers }}
{{- else if .Values.console.cluster.name }}
{{- printf "%s-bootstrap.%s.svc:%d" .Values.console.cluster.name .Release.Namespace (int .Values.console.cluster.listenerPort) }}
{{- else }}
{{- fail "console.enabled=true needs console.cluster.name (a StrataCluster in the release namespace) or console.brokers" }}
{{- end }}
{{- end }}

{{/*
Broker metrics port the console discovers targets with (STRATA_CONSOLE_METRICS_PORT), or empty: console.metricsPort
when set (0: no discovery); unset (null), the port the operator gives every broker's /metrics (operator/src/naming.ts
METRICS_PORT; spec.config cannot change it) when the console reaches a StrataCluster through console.cluster.name
and no console.metricsUrls are given. Explicit console.brokers may be any cluster, so they get no default.
*/}}
{{- define "strata-operator.console.metricsPort" -}}
{{- $c := .Values.console }}
{{- if kindIs "invalid" $c.metricsPort }}
{{- if and $c.cluster.name (not $c.brokers) (not $c.metricsUrls) }}9644{{ end }}
{{- else if gt (int $c.metricsPort) 0 }}
{{- int $c.metricsPort }}
{{- end }}
{{- end }}
