#!/usr/bin/env bash
# Installs the Go-built tools of the deploy tests (helm v4, kube-score) with
# `go install` into ${XDG_CACHE_HOME:-~/.cache}/bankbox-ci/bin, once per
# version. tests/deploy/run.sh calls it; .ci/run also starts it early in the
# background, so the downloads and compiles overlap the Rust build.
set -euo pipefail
BIN="${XDG_CACHE_HOME:-$HOME/.cache}/bankbox-ci/bin"
export PATH="$PATH:/usr/local/go/bin"
HELM_VERSION=v4.3.1
KUBE_SCORE_VERSION=v1.20.0

go_tool() { # go_tool NAME MODULE@VERSION
    local name=$1 mod=$2
    if [[ -x "$BIN/$name" && -f "$BIN/$name.version" && "$(cat "$BIN/$name.version")" == "$mod" ]]; then
        return
    fi
    command -v go >/dev/null || { echo "go is needed to install $name ($mod)" >&2; exit 1; }
    echo "go install $mod"
    mkdir -p "$BIN"
    (cd / && GOBIN="$BIN" GOFLAGS=-buildvcs=false go install "$mod")
    echo "$mod" >"$BIN/$name.version"
}
go_tool helm "helm.sh/helm/v4/cmd/helm@$HELM_VERSION"
go_tool kube-score "github.com/zegl/kube-score/cmd/kube-score@$KUBE_SCORE_VERSION"
