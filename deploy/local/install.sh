#!/usr/bin/env bash
# Installs everything liveline needs to run and test on this machine, caching it under
# ~/.cache/liveline (LIVELINE_CACHE) so that a second clone starts in seconds:
#   uv (Python tooling), the Python workspace (.venv), Apache Kafka jars from Maven Central,
#   FerretDB, MinIO and kustomize built with go, and ffmpeg from Debian's packages.
# Idempotent: each step is skipped when its result is already in the cache.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
cache=${LIVELINE_CACHE:-$HOME/.cache/liveline}
bin="$cache/bin"
mkdir -p "$bin" "$cache/logs"

# shellcheck source=versions.env
source "$here/versions.env"

say() { printf '[install] %s\n' "$*" >&2; }
die() { printf '[install] error: %s\n' "$*" >&2; exit 1; }
need() {
  command -v "$1" >/dev/null 2>&1 || die "'$1' is not installed. $2"
}

# One install at a time per cache: a second clone waits instead of racing the first.
exec 9>"$cache/.install.lock"
flock -w 3600 9 || die "another install holds $cache/.install.lock"

install_debian_packages() {
  local missing=()
  command -v ffmpeg >/dev/null 2>&1 && command -v ffprobe >/dev/null 2>&1 || missing+=(ffmpeg)
  # The CJK-capable font the media service burns its overlay with (merchant names in Chinese).
  dpkg -s fonts-wqy-zenhei >/dev/null 2>&1 || missing+=(fonts-wqy-zenhei)
  # The browser the end-to-end tests drive (tests/e2e, Playwright pointed at /usr/bin/chromium).
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  [ ${#missing[@]} -eq 0 ] && return
  command -v apt-get >/dev/null 2>&1 || die "${missing[*]} missing and apt-get is not available: install ${missing[*]} yourself."
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  say "installing ${missing[*]} from Debian's packages"
  $sudo apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}

install_uv() {
  if [ -x "$cache/uv/bin/uv" ] && "$cache/uv/bin/uv" --version | grep -q "$UV_VERSION"; then return; fi
  need python3 "Install Python 3.11 or newer."
  say "installing uv $UV_VERSION"
  rm -rf "$cache/uv"
  python3 -m venv "$cache/uv"
  "$cache/uv/bin/pip" install -q "uv==$UV_VERSION"
}

install_python_workspace() {
  say "syncing the Python workspace (.venv) from uv.lock"
  (cd "$repo" && UV_PYTHON_DOWNLOADS=never "$cache/uv/bin/uv" sync --frozen --all-packages --quiet)
}

install_kafka() {
  local dest="$cache/kafka-$KAFKA_VERSION"
  [ -f "$dest/.complete" ] && return
  need java "Install a JDK (17 or newer), e.g. 'apt-get install openjdk-17-jre-headless'."
  need mvn "Install Apache Maven, e.g. 'apt-get install maven'."
  say "resolving Apache Kafka $KAFKA_VERSION from Maven Central"
  rm -rf "$dest"
  mvn -B -q -f "$here/kafka/pom.xml" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$dest/lib" -Dkafka.version="$KAFKA_VERSION"
  touch "$dest/.complete"
}

# FerretDB is built from the module's source with the version file the module zip lacks and the
# patches in ferretdb/ (each explains itself). The binary's name carries the patches' hash, so a
# changed patch builds a new binary.
ferretdb_binary() {
  echo "$bin/ferretdb-$FERRETDB_VERSION-$(cat "$here"/ferretdb/*.patch | sha256sum | cut -c1-8)"
}

install_ferretdb() {
  local out
  out=$(ferretdb_binary)
  [ -x "$out" ] && return
  need go "Install Go 1.22 or newer."
  need patch "Install patch, e.g. 'apt-get install patch'."
  say "building FerretDB $FERRETDB_VERSION (first time only, a few minutes)"
  local src work
  src=$(cd "$cache" && GOFLAGS=-mod=mod go mod download -json "github.com/FerretDB/FerretDB@$FERRETDB_VERSION" \
        | python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])')
  work=$(mktemp -d)
  cp -r "$src/." "$work/"
  chmod -R u+w "$work"
  printf '%s' "$FERRETDB_VERSION" > "$work/build/version/version.txt"
  for fix in "$here"/ferretdb/*.patch; do
    patch -s -p1 -d "$work" < "$fix"
  done
  (cd "$work" && CGO_ENABLED=0 go build -trimpath -o "$out.tmp" ./cmd/ferretdb)
  mv "$out.tmp" "$out"
  rm -rf "$work"
}

# Builds a Go program from the module proxy into the cache, once per version.
go_install() {
  local name=$1 module=$2 version=$3 what=$4
  local out="$bin/$name-$version"
  [ -x "$out" ] && return
  need go "Install Go 1.24 or newer."
  say "building $what"
  local gobin
  gobin=$(mktemp -d)
  (cd "$cache" && CGO_ENABLED=0 GOBIN="$gobin" go install -trimpath "$module@$version")
  mv "$gobin/$name" "$out"
  rm -rf "$gobin"
}

install_minio() {
  go_install minio github.com/minio/minio "$MINIO_VERSION" "MinIO $MINIO_VERSION (first time only, several minutes)"
}

# kustomize renders deploy/k8s in the tests that check the manifests.
install_kustomize() {
  go_install kustomize sigs.k8s.io/kustomize/kustomize/v5 "$KUSTOMIZE_VERSION" "kustomize $KUSTOMIZE_VERSION"
}

# Kafka's own command-line tools (kafka-topics, kafka-consumer-groups, the console consumer and
# producer) beside the broker; deploy/local/bin/kafka-* run them.
install_kafka_tools() {
  local dest="$cache/kafka-$KAFKA_VERSION/tools"
  [ -f "$dest/.complete" ] && return
  need java "Install a JDK (17 or newer), e.g. 'apt-get install openjdk-17-jre-headless'."
  need mvn "Install Apache Maven, e.g. 'apt-get install maven'."
  say "resolving Apache Kafka's command-line tools $KAFKA_VERSION from Maven Central"
  rm -rf "$dest"
  mvn -B -q -f "$here/kafka-tools/pom.xml" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$dest" -Dkafka.version="$KAFKA_VERSION"
  touch "$dest/.complete"
}

# A Python command-line tool in a virtualenv of its own (its pins stay out of uv.lock).
python_tool() {
  local name=$1 version=$2
  local venv="$cache/tools/$name-$version"
  [ -f "$venv/.complete" ] && return
  say "installing $name $version from PyPI"
  rm -rf "$venv"
  UV_PYTHON_DOWNLOADS=never "$cache/uv/bin/uv" venv -q --python python3 "$venv"
  UV_PYTHON_DOWNLOADS=never "$cache/uv/bin/uv" pip install -q --python "$venv/bin/python" "$name==$version"
  touch "$venv/.complete"
}

# What tests/deploy checks deploy/k8s with: kubernetes-validate (the Kubernetes schemas), checkov
# (the policy linter; kube-linter's module is not served by the Go module proxy reachable here),
# the CRDs of KEDA's ScaledObject (from KEDA's Go module) and Strimzi's KafkaTopic (generated
# by Strimzi's own CRD generator from its API model on Maven Central).
install_k8s_checks() {
  python_tool kubernetes-validate "$KUBERNETES_VALIDATE_VERSION"
  python_tool checkov "$CHECKOV_VERSION"
  local keda="$cache/crds/keda-$KEDA_VERSION"
  if [ ! -f "$keda/.complete" ]; then
    need go "Install Go 1.24 or newer."
    say "fetching KEDA $KEDA_VERSION's CRDs from the Go module proxy"
    local src
    src=$(cd "$cache" && GOFLAGS=-mod=mod go mod download -json "github.com/kedacore/keda/v2@$KEDA_VERSION" \
          | python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])')
    mkdir -p "$keda"
    cp "$src/config/crd/bases/keda.sh_scaledobjects.yaml" "$keda/"
    touch "$keda/.complete"
  fi
  local strimzi="$cache/crds/strimzi-$STRIMZI_VERSION"
  if [ ! -f "$strimzi/.complete" ]; then
    need java "Install a JDK (17 or newer), e.g. 'apt-get install openjdk-17-jre-headless'."
    need mvn "Install Apache Maven, e.g. 'apt-get install maven'."
    say "generating Strimzi $STRIMZI_VERSION's KafkaTopic CRD from its API on Maven Central"
    rm -rf "$strimzi"
    mvn -B -q -f "$here/crds/pom.xml" dependency:copy-dependencies \
      -DincludeScope=runtime -DoutputDirectory="$strimzi/lib" -Dstrimzi.version="$STRIMZI_VERSION"
    java -cp "$strimzi/lib/*" io.strimzi.crdgenerator.CrdGenerator --crd-api-version v1 \
      --api-versions v1beta2 --storage-version v1beta2 \
      --yaml "io.strimzi.api.kafka.model.topic.KafkaTopic=$strimzi/kafkatopic.yaml" 2>/dev/null
    touch "$strimzi/.complete"
  fi
}

# promtool checks the Prometheus alerting rules (deploy/prometheus).
install_promtool() {
  go_install promtool github.com/prometheus/prometheus/cmd/promtool "$PROMETHEUS_VERSION" \
    "promtool $PROMETHEUS_VERSION (first time only, several minutes)"
}

install_debian_packages
install_uv
install_kafka
install_ferretdb
install_minio
install_kustomize
install_python_workspace
install_kafka_tools
install_k8s_checks
install_promtool
say "ready (cache: $cache)"
