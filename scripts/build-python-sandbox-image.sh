#!/usr/bin/env bash
# Build the Python sandbox image (services/sandbox-image-python) when a Docker Engine is
# reachable; the twin of build-sandbox-image.sh, which builds the Node one.
#
# The Dockerfile's base is `python:3.11-slim-bookworm`; where no registry can be reached (our
# development and CI machines) the base is built offline from Debian's packages instead
# (deploy/images/build-offline-base.sh sandbox-python: debootstrap with python3 only).
# Without an Engine this says so and succeeds, except under CI=true where tests need it.
set -euo pipefail
cd "$(dirname "$0")/.."

image=${PYTHON_SANDBOX_IMAGE:-course-sandbox-python:1}
default_base=python:3.11-slim-bookworm
offline_base=course-sandbox-python-base:bookworm

if ! docker info >/dev/null 2>&1; then
  echo "python-sandbox-image: no Docker Engine is reachable: its tests will skip (start dockerd)." >&2
  [[ ${CI:-} == true ]] && { echo "python-sandbox-image: CI=true needs Docker" >&2; exit 1; }
  exit 0
fi

if docker image inspect "$default_base" >/dev/null 2>&1 ||
  timeout 60 docker pull --quiet "$default_base" >/dev/null 2>&1; then
  base=$default_base
else
  base=$offline_base
  if ! docker image inspect "$base" >/dev/null 2>&1; then
    echo "python-sandbox-image: $default_base cannot be pulled; building $base offline" >&2
    deploy/images/build-offline-base.sh sandbox-python "$base"
  fi
fi

docker build --quiet --build-arg "BASE_IMAGE=$base" -t "$image" services/sandbox-image-python >/dev/null
echo "python-sandbox-image: $image built on $base"
