#!/usr/bin/env bash
# Deployment tests: the Helm chart, the pod contract and the container image,
# without a cluster or a registry. Run as root (apt-get, namespaces, podman):
#
#   bash tests/deploy/run.sh
#
# 1. chart: values.schema.json is current; helm lint --strict and helm template
#    of every profile; what each profile must render (check_render.py); the
#    refusals fail with their message; NOTES.txt renders; manifests valid
#    against the Kubernetes 1.30 and 1.37 API schemas offline
#    (kubernetes-validate --strict); kube-score clean but for the exceptions in
#    kube-score-exceptions.yaml.
# 2. a static binary (glibc, crt-static), built as the Containerfile builds it.
# 3. the image: the Containerfile's runtime stage on `scratch` with that binary
#    (BINARY_SOURCE=context), built with buildah.
# 4. pod contract (pod_contract.py): the rendered StatefulSet of the minikube
#    and hardened profiles and the external-mode Deployment, run on the image's
#    files with exactly their argv, env, port, user and read-only root (external
#    mode against a throwaway PostgreSQL and Redis reached by service name);
#    every probe answers as expected; SIGTERM exits 0 in the grace period.
# 5. image test (image_test.py): podman runs the image read-only as 65532 with
#    a volume; login, deposit, transfer; SIGTERM exits 0; data survives.
#
# Tools are installed when missing: Debian packages (buildah, podman, runc,
# postgresql, redis-server),
# PyPI (kubernetes-validate, PyYAML), and Go binaries (helm v4, kube-score) with
# `go install` into ${XDG_CACHE_HOME:-~/.cache}/bankbox-ci/bin, kept between
# runs. The static build's target dir is kept there too.
#
# Environment: BANKBOX_DEPLOY_SKIP_IMAGE=1 runs only step 1.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
HERE=$ROOT/tests/deploy
CHART=$ROOT/chart/bankbox
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/bankbox-ci"
BIN=$CACHE/bin
STATIC_TARGET_DIR=${BANKBOX_STATIC_TARGET_DIR:-$CACHE/target-static}
export PATH="$BIN:$PATH:/usr/local/go/bin"
IMAGE=localhost/bankbox:deploy-test
KUBERNETES_VALIDATE_VERSION=1.37.0
KUBE_VERSIONS=(1.30.0 1.37.0)
PROFILES=(default minikube external ingress-tls hardened)
BUILDAH=(buildah --storage-driver vfs)

OUT=$(mktemp -d /tmp/bankbox-deploy.XXXXXX)
CONTAINER=""
cleanup() {
    if [[ -n "$CONTAINER" ]]; then
        "${BUILDAH[@]}" umount "$CONTAINER" >/dev/null 2>&1 || true
        "${BUILDAH[@]}" rm "$CONTAINER" >/dev/null 2>&1 || true
    fi
    rm -rf "$OUT"
}
trap cleanup EXIT

PASS=0
FAIL=0
FAILED_NAMES=()
ok() { PASS=$((PASS + 1)); echo "  ok   $*"; }
bad() { FAIL=$((FAIL + 1)); FAILED_NAMES+=("$1"); echo "  FAIL $*"; }
# check NAME CMD...: one test; its output is shown only when it fails.
check() {
    local name=$1; shift
    if "$@" >"$OUT/last.log" 2>&1; then ok "$name"; else bad "$name"; sed 's/^/       | /' "$OUT/last.log" | tail -40; fi
}
# check_verbose NAME CMD...: one test that prints its own detail lines.
check_verbose() {
    local name=$1; shift
    if "$@"; then ok "$name"; else bad "$name"; fi
}
section() { echo; echo "::: $*"; }
elapsed() { echo "($((SECONDS - $1))s)"; }

# ---------------------------------------------------------------- tools --
section "tools"
T0=$SECONDS
if [[ $EUID -ne 0 ]]; then
    echo "tests/deploy/run.sh needs root (apt-get, namespaces, podman)" >&2
    exit 1
fi
need_apt=()
command -v ip >/dev/null || need_apt+=(iproute2)
command -v unshare >/dev/null || need_apt+=(util-linux)
if [[ -z "${BANKBOX_DEPLOY_SKIP_IMAGE:-}" ]]; then
    command -v buildah >/dev/null || need_apt+=(buildah)
    command -v podman >/dev/null || need_apt+=(podman)
    command -v runc >/dev/null || need_apt+=(runc)
    command -v file >/dev/null || need_apt+=(file)
    # The external-mode pod contract runs a throwaway PostgreSQL and Redis.
    ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need_apt+=(postgresql)
    command -v redis-server >/dev/null || need_apt+=(redis-server)
fi
if ((${#need_apt[@]})); then
    echo "apt-get install ${need_apt[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi
# Rootful podman in a sandbox that cannot raise ulimits.
if [[ -z "${BANKBOX_DEPLOY_SKIP_IMAGE:-}" ]] && ! grep -qs '^default_ulimits *= *\[\]' /etc/containers/containers.conf; then
    mkdir -p /etc/containers
    if [[ -s /etc/containers/containers.conf ]]; then
        echo "warning: /etc/containers/containers.conf exists without default_ulimits = []; leaving it" >&2
    else
        printf '[containers]\ndefault_ulimits = []\n' >/etc/containers/containers.conf
    fi
fi
if ! python3 -c 'import yaml, kubernetes_validate' 2>/dev/null; then
    pip_args=(--quiet --disable-pip-version-check "kubernetes-validate==$KUBERNETES_VALIDATE_VERSION" pyyaml)
    python3 -m pip install "${pip_args[@]}" 2>/dev/null ||
        python3 -m pip install --break-system-packages "${pip_args[@]}"
fi
bash "$HERE/go-tools.sh"
echo "helm $(helm version --template '{{.Version}}'), $(cat "$BIN/kube-score.version"), kubernetes-validate $(python3 -c 'import kubernetes_validate.version as v; print(v.__version__)' 2>/dev/null || echo '?') $(elapsed $T0)"
# kube-linter is not used: its module (golang.stackrox.io/kube-linter) is refused
# by the Go module proxy here. kubeconform is not used: it has no offline schemas,
# and kubernetes-validate's bundled ones use $refs it cannot resolve.

# ---------------------------------------------------------------- chart --
section "chart: schema, lint, render"
T0=$SECONDS
check "values.schema.json is generated from gen_schema.py" python3 "$HERE/gen_schema.py" --check
render() { # render NAME [helm args...] -> $OUT/render-NAME.yaml
    local name=$1; shift
    helm template bankbox "$CHART" --namespace default --kube-version "${KUBE_VERSIONS[0]}" "$@" >"$OUT/render-$name.yaml"
}
values_args() { [[ $1 == default ]] || echo "--values=$CHART/ci/$1-values.yaml"; }
for p in "${PROFILES[@]}"; do
    # shellcheck disable=SC2046
    check "helm lint --strict ($p)" helm lint --strict "$CHART" $(values_args "$p")
    # shellcheck disable=SC2046
    check "helm template ($p)" render "$p" $(values_args "$p")
    check_verbose "render expectations ($p)" python3 "$HERE/check_render.py" "$p" "$OUT/render-$p.yaml"
    # shellcheck disable=SC2046
    check "NOTES.txt renders ($p)" env KUBECONFIG=/nonexistent helm install bankbox "$CHART" --dry-run=client $(values_args "$p")
done
# Variants that must render (and meet their expectations).
variants=(
    "external-urls|--set database.mode=external --set database.url=postgres://bank:pw@postgresql:5432/bank --set redis.enabled=true --set redis.url=redis://redis-master:6379 --set redis.keyPrefix=bank-a: --set replicaCount=3 --set networkPolicy.enabled=true"
    "external-single|--set database.mode=external --set database.existingSecret=bankbox-urls"
    "no-persistence|--set persistence.enabled=false"
    "servicemonitor|--set serviceMonitor.enabled=true"
    "no-prestop|--set preStopSleepSeconds=0"
)
for v in "${variants[@]}"; do
    name=${v%%|*}
    # shellcheck disable=SC2086
    check "helm template ($name)" render "$name" ${v#*|}
    check_verbose "render expectations ($name)" python3 "$HERE/check_render.py" "$name" "$OUT/render-$name.yaml"
done
elapsed "$T0"

section "chart: refusals"
T0=$SECONDS
# refuse NAME EXPECTED-SUBSTRING helm-args...: rendering must fail, saying so.
refuse() {
    local name=$1 want=$2; shift 2
    if helm template bankbox "$CHART" "$@" >"$OUT/refuse.out" 2>&1; then
        bad "refused: $name (it rendered)"
    elif grep -qF -- "$want" "$OUT/refuse.out"; then
        ok "refused: $name"
    else
        bad "refused: $name (without the expected message: $want)"
        sed 's/^/       | /' "$OUT/refuse.out" | tail -5
    fi
}
EXT=(--set database.mode=external --set database.existingSecret=urls)
refuse "embedded + replicaCount=2" "replicaCount=2 is refused with database.mode=embedded" --set replicaCount=2
refuse "embedded + autoscaling" "autoscaling.enabled=true is refused with database.mode=embedded" --set autoscaling.enabled=true
refuse "minikube profile + replicaCount=3" "is refused with database.mode=embedded" -f "$CHART/ci/minikube-values.yaml" --set replicaCount=3
refuse "external + 3 replicas without Redis" "is refused without Redis" "${EXT[@]}" --set replicaCount=3
refuse "external + autoscaling without Redis" "is refused without Redis" "${EXT[@]}" --set autoscaling.enabled=true
refuse "external profile with Redis turned off" "is refused without Redis" -f "$CHART/ci/external-values.yaml" --set redis.enabled=false
refuse "external without a database URL" "database.mode=external needs database.url" --set database.mode=external
refuse "Redis without a URL" "redis.enabled=true needs redis.url" "${EXT[@]}" --set redis.enabled=true
refuse "both cert-manager issuers" "set only one of ingress.tls.clusterIssuer and ingress.tls.issuer" --set ingress.enabled=true --set ingress.tls.enabled=true --set ingress.tls.issuer=a --set ingress.tls.clusterIssuer=b
refuse "typo in a key (schema)" "replicaCout" --set replicaCout=2
refuse "typo in a nested key (schema)" "enabeld" --set ingress.enabeld=true
refuse "unknown environment (schema)" "environment" --set environment=staging
refuse "database URL of another kind (schema)" "/database/url" --set database.mode=external --set database.url=mysql://db/bank
refuse "node port out of range (schema)" "nodePort" --set service.type=NodePort --set service.nodePort=8080
elapsed "$T0"

section "chart: Kubernetes API schemas, offline (kubernetes-validate --strict)"
T0=$SECONDS
# ServiceMonitor (monitoring.coreos.com/v1) is a custom resource: no bundled
# schema, so kubernetes-validate skips it (its warning is shown below).
for name in "${PROFILES[@]}" external-urls external-single no-persistence servicemonitor no-prestop; do
    for kv in "${KUBE_VERSIONS[@]}"; do
        check "valid for Kubernetes $kv ($name)" kubernetes-validate --strict --quiet -k "$kv" "$OUT/render-$name.yaml"
        if [[ $name == servicemonitor && $kv == "${KUBE_VERSIONS[0]}" ]]; then
            kubernetes-validate --strict -k "$kv" "$OUT/render-$name.yaml" 2>&1 | grep -i "find schema" | sed 's/^/       note: /' || true
        fi
    done
done
elapsed "$T0"

section "chart: kube-score (exceptions: tests/deploy/kube-score-exceptions.yaml)"
T0=$SECONDS
# external-urls: the external Deployment with its NetworkPolicy on.
for p in "${PROFILES[@]}" external-urls; do
    mapfile -t ignores < <(python3 - "$HERE/kube-score-exceptions.yaml" "$p" <<'EOF'
import sys, yaml
for e in yaml.safe_load(open(sys.argv[1])):
    assert e.get("reason", "").strip(), f"exception {e['check']} has no reason"
    if "*" in e["profiles"] or sys.argv[2] in e["profiles"]:
        print(e["check"])
EOF
    )
    args=()
    for i in "${ignores[@]}"; do args+=(--ignore-test "$i"); done
    check "kube-score ($p${ignores:+; ignoring ${ignores[*]}})" \
        kube-score score --output-format ci --exit-one-on-warning \
        --enable-optional-test container-seccomp-profile --enable-optional-test container-ports-check \
        "${args[@]}" "$OUT/render-$p.yaml"
done
elapsed "$T0"

if [[ -n "${BANKBOX_DEPLOY_SKIP_IMAGE:-}" ]]; then
    echo
    echo "BANKBOX_DEPLOY_SKIP_IMAGE is set: no static build, pod contract or image test"
else
# --------------------------------------------------------- static binary --
section "static binary (as the Containerfile's builder stage builds it)"
T0=$SECONDS
# Same flags as the builder stage of the Containerfile.
build_static() {
    RUSTFLAGS="-C target-feature=+crt-static" \
    CARGO_PROFILE_RELEASE_STRIP=symbols \
    CARGO_PROFILE_RELEASE_DEBUG=0 \
    CARGO_TARGET_DIR="$STATIC_TARGET_DIR" \
        cargo build --release --locked --target x86_64-unknown-linux-gnu
}
STATIC_BIN=$STATIC_TARGET_DIR/x86_64-unknown-linux-gnu/release/bankbox
# Build from exactly what the builder stage copies in (its COPY lines), so a
# file the build needs but the Containerfile leaves out fails here. The copy
# sits at a fixed path with the files' times kept: cargo rebuilds only what changed.
BUILD_CTX=$CACHE/build-context
mapfile -t builder_inputs < <(awk '
    /^FROM .* AS builder/ { b = 1; next }
    /^FROM / { b = 0 }
    b && /^COPY / { for (i = 2; i < NF; i++) if ($i !~ /^--/) print $i }' "$ROOT/Containerfile")
echo "builder stage inputs: ${builder_inputs[*]}"
rm -rf "$BUILD_CTX"
mkdir -p "$BUILD_CTX"
for f in "${builder_inputs[@]}"; do cp -a "$ROOT/${f%/}" "$BUILD_CTX/"; done
if (cd "$BUILD_CTX" && build_static) >"$OUT/static-build.log" 2>&1; then
    ok "cargo build --release --target x86_64-unknown-linux-gnu with crt-static $(elapsed $T0)"
else
    bad "static build"; tail -30 "$OUT/static-build.log"
fi
check "the binary is static (no dynamic loader, no shared libraries)" \
    bash -c "file '$STATIC_BIN' | grep -q 'static' && ! readelf -d '$STATIC_BIN' 2>/dev/null | grep -q NEEDED"
echo "binary: $(du -h "$STATIC_BIN" | cut -f1)"

# ----------------------------------------------------------------- image --
section "image: Containerfile, runtime stage on scratch with the host-built binary"
T0=$SECONDS
check ".containerignore and Containerfile.dockerignore say the same" \
    diff <(grep -v '^#' "$ROOT/.containerignore") <(grep -v '^#' "$ROOT/Containerfile.dockerignore")
CTX=$OUT/context
mkdir -p "$CTX"
cp "$STATIC_BIN" "$CTX/bankbox"
"${BUILDAH[@]}" rmi -f "$IMAGE" >/dev/null 2>&1 || true
# buildah 1.28 leaves the intermediate stages' images and working containers
# behind: remove those this build made, and nothing else.
"${BUILDAH[@]}" containers -q --all | sort >"$OUT/containers.before"
"${BUILDAH[@]}" images -q --all --no-trunc | sort >"$OUT/images.before"
check "buildah bud (RUNTIME_BASE=scratch, BINARY_SOURCE=context)" \
    "${BUILDAH[@]}" bud --layers=false -f "$ROOT/Containerfile" \
        --build-arg RUNTIME_BASE=scratch --build-arg BINARY_SOURCE=context \
        --build-arg REVISION="$(git -C "$ROOT" rev-parse HEAD 2>/dev/null || echo unknown)" \
        -t "$IMAGE" "$CTX"
FINAL=$("${BUILDAH[@]}" images -q --no-trunc "$IMAGE" | head -n 1)
comm -13 "$OUT/containers.before" <("${BUILDAH[@]}" containers -q --all | sort) |
    xargs -r "${BUILDAH[@]}" rm >/dev/null
comm -13 "$OUT/images.before" <("${BUILDAH[@]}" images -q --all --no-trunc | sort) | grep -vxF "$FINAL" |
    xargs -r "${BUILDAH[@]}" rmi -f >/dev/null 2>&1 || true
"${BUILDAH[@]}" inspect --type image "$IMAGE" >"$OUT/image.json"
python3 -c 'import json,sys; json.dump(json.load(open(sys.argv[1]))["OCIv1"]["config"], open(sys.argv[2], "w"))' \
    "$OUT/image.json" "$OUT/image-config.json"
SIZE=$(podman --storage-driver vfs image inspect "$IMAGE" --format '{{.Size}}')
echo "image $IMAGE: $SIZE bytes ($((SIZE / 1000000)) MB, scratch base; distroless static adds about 2 MB) $(elapsed $T0)"

# --------------------------------------------------------- pod contract --
section "pod contract: rendered workload x image, read-only root, as 65532"
T0=$SECONDS
CONTAINER=$("${BUILDAH[@]}" from --pull-never "$IMAGE")
ROOTFS=$("${BUILDAH[@]}" mount "$CONTAINER")
# The embedded profiles' StatefulSet; external mode's Deployment with the URLs in
# a chart-made Secret (the external profile itself names an existing Secret,
# which a render cannot show), against a throwaway PostgreSQL and Redis.
for pk in minikube:StatefulSet hardened:StatefulSet external-urls:Deployment; do
    p=${pk%%:*}
    echo "[$p]"
    check_verbose "pod contract ($p)" python3 "$HERE/pod_contract.py" --kind "${pk#*:}" \
        --manifest "$OUT/render-$p.yaml" --image-config "$OUT/image-config.json" --rootfs "$ROOTFS"
done
elapsed "$T0"

# ----------------------------------------------------------- image test --
section "image test: podman, read-only, 65532, volume, SIGTERM, restart"
T0=$SECONDS
check_verbose "image test" python3 "$HERE/image_test.py" --image "$IMAGE"
elapsed "$T0"
fi

echo
if ((FAIL)); then
    echo "failed:"
    printf '  %s\n' "${FAILED_NAMES[@]}"
fi
echo "deploy tests: $PASS passed, $FAIL failed"
((FAIL == 0))
