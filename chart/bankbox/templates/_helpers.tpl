{{/* Names, labels and the checks that refuse unsafe combinations. */}}

{{- define "bankbox.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "bankbox.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "bankbox.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Every object of the release. */}}
{{- define "bankbox.chartLabels" -}}
helm.sh/chart: {{ include "bankbox.chart" . }}
app.kubernetes.io/name: {{ include "bankbox.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | trunc 63 | trimSuffix "-" | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: bankbox
{{- end }}

{{/* The server and what belongs to it. */}}
{{- define "bankbox.labels" -}}
{{ include "bankbox.chartLabels" . }}
app.kubernetes.io/component: server
{{- end }}

{{/* The server pods. The helm test pod shares name and instance but not the
component, so neither the Service nor the NetworkPolicy selects it. */}}
{{- define "bankbox.selectorLabels" -}}
app.kubernetes.io/name: {{ include "bankbox.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: server
{{- end }}

{{- define "bankbox.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "bankbox.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "bankbox.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) }}
{{- end }}
{{- end }}

{{- define "bankbox.external" -}}
{{- if eq .Values.database.mode "external" }}true{{ end }}
{{- end }}

{{/* Name of the chart-made Secret with JWT_SECRET and the admin password. */}}
{{- define "bankbox.authSecretName" -}}
{{- printf "%s-auth" (include "bankbox.fullname" .) }}
{{- end }}

{{/* Name of the chart-made Secret with DATABASE_URL and REDIS_URL. */}}
{{- define "bankbox.urlSecretName" -}}
{{- printf "%s-urls" (include "bankbox.fullname" .) }}
{{- end }}

{{/* terminationGracePeriodSeconds: the preStop sleep, then bankbox's own drain,
then a margin for the process to exit. */}}
{{- define "bankbox.gracePeriod" -}}
{{- add (int .Values.preStopSleepSeconds) (int .Values.shutdownTimeoutSeconds) 5 }}
{{- end }}

{{/* Refusals: combinations that would lose or corrupt data or sessions. */}}
{{- define "bankbox.validate" -}}
{{- $replicas := int .Values.replicaCount }}
{{- if eq .Values.database.mode "embedded" }}
  {{- if gt $replicas 1 }}
    {{- fail (printf "\n\nbankbox: replicaCount=%d is refused with database.mode=embedded: the embedded store is one redb file on one volume, with a single writer. Keep replicaCount=1, or set database.mode=external (PostgreSQL) and redis.enabled=true to run several replicas." $replicas) }}
  {{- end }}
  {{- if .Values.autoscaling.enabled }}
    {{- fail "\n\nbankbox: autoscaling.enabled=true is refused with database.mode=embedded: the embedded store allows exactly one pod. Set database.mode=external (PostgreSQL) and redis.enabled=true to autoscale." }}
  {{- end }}
{{- else }}
  {{- if not (or .Values.database.url .Values.database.existingSecret) }}
    {{- fail "\n\nbankbox: database.mode=external needs database.url (postgres://USER:PASSWORD@HOST:5432/DATABASE) or database.existingSecret (a Secret with the URL under database.existingSecretKey)." }}
  {{- end }}
  {{- if and .Values.database.url (not (regexMatch "^postgres(ql)?://" .Values.database.url)) }}
    {{- fail "\n\nbankbox: database.url must start with postgres:// or postgresql://." }}
  {{- end }}
  {{- if and (not .Values.redis.enabled) (or (gt $replicas 1) .Values.autoscaling.enabled) }}
    {{- fail (printf "\n\nbankbox: replicaCount=%d / autoscaling.enabled=%v is refused without Redis: each pod would keep its own cache, so a logout or revoked session on one pod would stay valid on the others, and cached responses would go stale. Set redis.enabled=true with redis.url or redis.existingSecret, or run one replica." $replicas .Values.autoscaling.enabled) }}
  {{- end }}
{{- end }}
{{- if .Values.redis.enabled }}
  {{- if not (or .Values.redis.url .Values.redis.existingSecret) }}
    {{- fail "\n\nbankbox: redis.enabled=true needs redis.url (redis://HOST:6379) or redis.existingSecret." }}
  {{- end }}
  {{- if and .Values.redis.url (not (regexMatch "^rediss?://" .Values.redis.url)) }}
    {{- fail "\n\nbankbox: redis.url must start with redis:// or rediss://." }}
  {{- end }}
{{- end }}
{{- if and .Values.autoscaling.enabled (lt (int .Values.autoscaling.maxReplicas) (int .Values.autoscaling.minReplicas)) }}
  {{- fail "\n\nbankbox: autoscaling.maxReplicas must be >= autoscaling.minReplicas." }}
{{- end }}
{{- if and (eq .Values.service.type "NodePort") .Values.service.nodePort }}
  {{- if or (lt (int .Values.service.nodePort) 30000) (gt (int .Values.service.nodePort) 32767) }}
    {{- fail "\n\nbankbox: service.nodePort must be in 30000-32767." }}
  {{- end }}
{{- end }}
{{- if and .Values.ingress.tls.enabled .Values.ingress.tls.clusterIssuer .Values.ingress.tls.issuer }}
  {{- fail "\n\nbankbox: set only one of ingress.tls.clusterIssuer and ingress.tls.issuer." }}
{{- end }}
{{- end }}

{{/* The pod template shared by the StatefulSet (embedded) and the Deployment (external). */}}
{{- define "bankbox.podTemplate" -}}
metadata:
  labels:
    {{- include "bankbox.labels" . | nindent 4 }}
    {{- with .Values.podLabels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  {{- $annotations := deepCopy (.Values.podAnnotations | default dict) }}
  {{- if or .Values.database.url .Values.redis.url }}
  {{- /* Roll the pods when a URL in the chart-made Secret changes. */}}
  {{- $_ := set $annotations "checksum/urls" (printf "%s|%s" .Values.database.url .Values.redis.url | sha256sum) }}
  {{- end }}
  {{- with $annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
spec:
  serviceAccountName: {{ include "bankbox.serviceAccountName" . }}
  automountServiceAccountToken: false
  # Service links would inject BANKBOX_PORT, BANKBOX_SERVICE_HOST, ... into the
  # environment, the namespace bankbox reads its settings from.
  enableServiceLinks: false
  {{- with .Values.imagePullSecrets }}
  imagePullSecrets:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.priorityClassName }}
  priorityClassName: {{ . }}
  {{- end }}
  securityContext:
    {{- toYaml .Values.podSecurityContext | nindent 4 }}
  terminationGracePeriodSeconds: {{ include "bankbox.gracePeriod" . }}
  containers:
    - name: bankbox
      image: {{ include "bankbox.image" . | quote }}
      imagePullPolicy: {{ .Values.image.pullPolicy }}
      args:
        - serve
      ports:
        - name: http
          containerPort: {{ .Values.containerPort }}
          protocol: TCP
      env:
        - name: ENVIRONMENT
          value: {{ .Values.environment | quote }}
        - name: LOG_LEVEL
          value: {{ .Values.logLevel | quote }}
        - name: BANKBOX_LISTEN
          value: {{ printf "0.0.0.0:%d" (int .Values.containerPort) | quote }}
        - name: BANKBOX_DATA_DIR
          value: /data
        - name: BANKBOX_OPEN_REGISTRATION
          value: {{ .Values.openRegistration | quote }}
        - name: BANKBOX_SHUTDOWN_TIMEOUT
          value: {{ .Values.shutdownTimeoutSeconds | quote }}
        - name: JWT_SECRET
          valueFrom:
            secretKeyRef:
              name: {{ .Values.auth.jwtSecret.existingSecret | default (include "bankbox.authSecretName" .) }}
              key: {{ ternary .Values.auth.jwtSecret.key "jwt-secret" (ne .Values.auth.jwtSecret.existingSecret "") }}
        - name: BANKBOX_ADMIN_PASSWORD
          valueFrom:
            secretKeyRef:
              name: {{ .Values.auth.adminPassword.existingSecret | default (include "bankbox.authSecretName" .) }}
              key: {{ ternary .Values.auth.adminPassword.key "admin-password" (ne .Values.auth.adminPassword.existingSecret "") }}
        {{- if include "bankbox.external" . }}
        - name: BANKBOX_DATABASE_POOL_SIZE
          value: {{ .Values.database.poolSize | quote }}
        - name: DATABASE_URL
          valueFrom:
            secretKeyRef:
              name: {{ .Values.database.existingSecret | default (include "bankbox.urlSecretName" .) }}
              key: {{ ternary .Values.database.existingSecretKey "DATABASE_URL" (ne .Values.database.existingSecret "") }}
        {{- end }}
        {{- if .Values.redis.enabled }}
        {{- with .Values.redis.keyPrefix }}
        - name: BANKBOX_REDIS_PREFIX
          value: {{ . | quote }}
        {{- end }}
        - name: REDIS_URL
          valueFrom:
            secretKeyRef:
              name: {{ .Values.redis.existingSecret | default (include "bankbox.urlSecretName" .) }}
              key: {{ ternary .Values.redis.existingSecretKey "REDIS_URL" (ne .Values.redis.existingSecret "") }}
        {{- end }}
        {{- with .Values.extraEnv }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      startupProbe:
        httpGet:
          path: /ping
          port: http
        periodSeconds: {{ .Values.probes.startup.periodSeconds }}
        timeoutSeconds: {{ .Values.probes.startup.timeoutSeconds }}
        failureThreshold: {{ .Values.probes.startup.failureThreshold }}
      readinessProbe:
        httpGet:
          path: /ready
          port: http
        periodSeconds: {{ .Values.probes.readiness.periodSeconds }}
        timeoutSeconds: {{ .Values.probes.readiness.timeoutSeconds }}
        failureThreshold: {{ .Values.probes.readiness.failureThreshold }}
        successThreshold: 1
      livenessProbe:
        httpGet:
          path: /ping
          port: http
        periodSeconds: {{ .Values.probes.liveness.periodSeconds }}
        timeoutSeconds: {{ .Values.probes.liveness.timeoutSeconds }}
        failureThreshold: {{ .Values.probes.liveness.failureThreshold }}
      {{- if gt (int .Values.preStopSleepSeconds) 0 }}
      lifecycle:
        preStop:
          sleep:
            seconds: {{ int .Values.preStopSleepSeconds }}
      {{- end }}
      resources:
        {{- toYaml .Values.resources | nindent 8 }}
      securityContext:
        {{- toYaml .Values.securityContext | nindent 8 }}
      volumeMounts:
        - name: data
          mountPath: /data
  {{- $external := include "bankbox.external" . }}
  {{- if or $external .Values.persistence.existingClaim (not .Values.persistence.enabled) }}
  volumes:
    - name: data
      {{- if $external }}
      # PostgreSQL holds the data; /data only takes what bankbox may keep per pod.
      emptyDir:
        sizeLimit: 16Mi
      {{- else if .Values.persistence.existingClaim }}
      persistentVolumeClaim:
        claimName: {{ .Values.persistence.existingClaim }}
      {{- else }}
      # persistence.enabled=false: the accounts live as long as the pod.
      emptyDir:
        sizeLimit: {{ .Values.persistence.size }}
      {{- end }}
  {{- end }}
  {{- with .Values.nodeSelector }}
  nodeSelector:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- if .Values.affinity }}
  affinity:
    {{- toYaml .Values.affinity | nindent 4 }}
  {{- else if $external }}
  affinity:
    podAntiAffinity:
      preferredDuringSchedulingIgnoredDuringExecution:
        - weight: 100
          podAffinityTerm:
            topologyKey: kubernetes.io/hostname
            labelSelector:
              matchLabels:
                {{- include "bankbox.selectorLabels" . | nindent 18 }}
  {{- end }}
  {{- with .Values.tolerations }}
  tolerations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.topologySpreadConstraints }}
  topologySpreadConstraints:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end }}
