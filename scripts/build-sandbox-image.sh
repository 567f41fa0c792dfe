#!/usr/bin/env bash
# Build a sandbox image when a Docker Engine is reachable: the Node one
# (services/sandbox-image, the default) or the Python one (services/sandbox-image-python).
#
# Each Dockerfile's base is an official image (`node:22-bookworm-slim`,
# `python:3.11-slim-bookworm`); where no registry can be reached (our development and CI
# machines) an equivalent base is built offline from Debian's packages instead.
# Without an Engine this says so and succeeds, except under CI=true where tests need it.
#
# Usage: build-sandbox-image.sh [node|python] [IMAGE]
# IMAGE defaults to $SANDBOX_IMAGE (node) or $PYTHON_SANDBOX_IMAGE (python), else the :1 tag.
# SANDBOX_OFFLINE_BASE / PYTHON_SANDBOX_OFFLINE_BASE name the offline base to use or make,
# and SANDBOX_BUILD_NO_CACHE=1 builds without Docker's layer cache: bench/first_run.py
# measures a first run with both, without touching the shared images. SANDBOX_CONTEXT builds
# another directory on the same base (bench/measured_labs.py: an old commit's sandbox).
set -euo pipefail
cd "$(dirname "$0")/.."

kind=${1:-node}
case $kind in
  node)
    name=sandbox-image
    image=${2:-${SANDBOX_IMAGE:-course-sandbox-node:1}}
    default_base=node:22-bookworm-slim
    offline_base=${SANDBOX_OFFLINE_BASE:-course-sandbox-base:node22-bookworm}
    context=${SANDBOX_CONTEXT:-services/sandbox-image}
    build_offline_base() { services/sandbox-image/build-offline-base.sh "$1"; }
    ;;
  python)
    name=python-sandbox-image
    image=${2:-${PYTHON_SANDBOX_IMAGE:-course-sandbox-python:1}}
    default_base=python:3.11-slim-bookworm
    offline_base=${PYTHON_SANDBOX_OFFLINE_BASE:-course-sandbox-python-base:bookworm}
    context=services/sandbox-image-python
    # debootstrap with python3 alone: the sandbox runs students' programs, installs nothing.
    build_offline_base() { deploy/images/build-offline-base.sh sandbox-python "$1"; }
    ;;
  *)
    echo "usage: build-sandbox-image.sh [node|python] [IMAGE]" >&2
    exit 2
    ;;
esac

if ! docker info >/dev/null 2>&1; then
  echo "$name: no Docker Engine is reachable: its tests will skip (start dockerd)." >&2
  [[ ${CI:-} == true ]] && { echo "$name: CI=true needs Docker" >&2; exit 1; }
  exit 0
fi

if docker image inspect "$default_base" >/dev/null 2>&1 ||
  timeout 60 docker pull --quiet "$default_base" >/dev/null 2>&1; then
  base=$default_base
else
  base=$offline_base
  if ! docker image inspect "$base" >/dev/null 2>&1; then
    echo "$name: $default_base cannot be pulled; building $base offline" >&2
    build_offline_base "$base"
  fi
fi

no_cache=()
[[ ${SANDBOX_BUILD_NO_CACHE:-} == 1 ]] && no_cache=(--no-cache)
docker build --quiet "${no_cache[@]}" --build-arg "BASE_IMAGE=$base" -t "$image" "$context" >/dev/null
echo "$name: $image built on $base"
