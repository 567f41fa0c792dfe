#!/usr/bin/env bash
# Build a base image from Debian's packages, without a container registry.
#
# Our development and CI machines reach Debian's package mirror but no registry, so the
# official images the deployment names cannot be pulled there. This script makes an
# equivalent: a minimal Debian bookworm root filesystem with the packages one image needs,
# made by debootstrap and loaded with `docker import`. Nothing else: no compiler, no
# package lists, no docs.
#
#   python    instead of python:3.11-slim-bookworm (web and grader): Debian's python3 is
#             3.11, python3-venv brings ensurepip for the Dockerfiles' virtual environment
#   postgres  the base of deploy/images/postgres/, instead of postgres:15-bookworm
#   sandbox-python
#             the base of services/sandbox-image-python/, instead of
#             python:3.11-slim-bookworm: python3 alone (no pip, no venv, no compiler), since
#             the sandbox runs students' programs and installs nothing
#
# Usage: build-offline-base.sh python|postgres|sandbox-python TAG
set -euo pipefail

usage='usage: build-offline-base.sh python|postgres|sandbox-python TAG'
kind=${1:?$usage}
tag=${2:?$usage}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

case $kind in
  python) packages=python3,python3-venv,ca-certificates ;;
  postgres) packages=postgresql-15,ca-certificates ;;
  sandbox-python) packages=python3 ;;
  *) echo "build-offline-base: unknown kind '$kind' (python, postgres or sandbox-python)" >&2; exit 2 ;;
esac

if ! command -v debootstrap >/dev/null; then
  echo "build-offline-base: debootstrap is missing (apt-get install debootstrap)" >&2
  exit 1
fi

rootfs=$(mktemp -d /tmp/offline-base.XXXXXX)
trap 'rm -rf "$rootfs"' EXIT

# dpkg syncs every file it unpacks to the disk: thousands of fsyncs, useless for a root
# filesystem that is thrown away once imported (a failed build starts over), and on a busy
# disk they stall whatever else syncs (a first `make run` migrates its database meanwhile).
# No sync during the bootstrap, then; the setting is not left in the image.
unsafe_io="$rootfs/etc/dpkg/dpkg.cfg.d/offline-base-unsafe-io"
mkdir -p "$(dirname "$unsafe_io")"
echo force-unsafe-io >"$unsafe_io"
debootstrap --variant=minbase --include="$packages" bookworm "$rootfs" "$mirror" >/dev/null
rm "$unsafe_io"

# Nothing in these images installs Debian packages: drop the caches, lists and docs.
rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* \
  "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/*
# The postgresql package makes and starts a cluster at install time; the image's
# entrypoint makes its own in the data volume instead.
rm -rf "$rootfs"/var/lib/postgresql/15 "$rootfs"/etc/postgresql/15

tar -C "$rootfs" --numeric-owner -c . |
  docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV LANG=C.UTF-8' \
    --change 'CMD ["bash"]' \
    - "$tag" >/dev/null
echo "build-offline-base: built $tag"
