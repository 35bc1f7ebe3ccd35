{{/* The name of the ServiceAccount, ClusterRole, bindings and Deployment. */}}
{{- define "slipway.fullname" -}}
{{- default "slipway-controller" .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "slipway.selectorLabels" -}}
app.kubernetes.io/name: slipway-controller
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "slipway.labels" -}}
{{ include "slipway.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/*
slipway.rules (dict "root" . "kind" KIND "name" NAME): the rules of that
ClusterRole or Role in files/rbac.yaml,
which scripts/generate-deploy copies from deploy/rbac.yaml: the chart grants
exactly what the plain manifests grant, written once.
*/}}
{{- define "slipway.rules" -}}
{{- $kind := .kind -}}
{{- $name := .name -}}
{{- $found := false -}}
{{- range $doc := regexSplit "(?m)^---[ \t]*$" (.root.Files.Get "files/rbac.yaml") -1 -}}
{{- $o := fromYaml $doc -}}
{{- if and (not $found) (eq (toString $o.kind) $kind) (eq (toString (($o.metadata | default dict).name)) $name) -}}
{{- $found = true -}}
{{- toYaml $o.rules -}}
{{- end -}}
{{- end -}}
{{- if not $found -}}
{{- fail (printf "files/rbac.yaml has no %s %s (run scripts/generate-deploy)" $kind $name) -}}
{{- end -}}
{{- end -}}
