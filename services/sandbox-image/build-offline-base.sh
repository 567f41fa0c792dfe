#!/usr/bin/env bash
# Build the sandbox's base image without a container registry.
#
# Our development and CI machines reach Debian's package mirror but no registry, so
# `node:22-bookworm-slim` cannot be pulled there. This script makes an equivalent base:
# a minimal Debian bookworm root filesystem with Debian's `nodejs` (Node 18), made by
# debootstrap and loaded with `docker import`. The Dockerfile builds on it unchanged.
#
# Usage: build-offline-base.sh [TAG]   (default tag: course-sandbox-base:bookworm)
set -euo pipefail

tag=${1:-course-sandbox-base:bookworm}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

if ! command -v debootstrap >/dev/null; then
  echo "build-offline-base: debootstrap is missing (apt-get install debootstrap)" >&2
  exit 1
fi

rootfs=$(mktemp -d /tmp/sandbox-base.XXXXXX)
trap 'rm -rf "$rootfs"' EXIT

# dpkg syncs every file it unpacks to the disk: thousands of fsyncs, useless for a root
# filesystem that is thrown away once imported (a failed build starts over), and on a busy
# disk they stall whatever else syncs (a first `make run` migrates its database meanwhile).
# No sync during the bootstrap, then; the setting is not left in the image.
unsafe_io="$rootfs/etc/dpkg/dpkg.cfg.d/offline-base-unsafe-io"
mkdir -p "$(dirname "$unsafe_io")"
echo force-unsafe-io >"$unsafe_io"
debootstrap --variant=minbase --include=nodejs,ca-certificates bookworm "$rootfs" "$mirror"
rm "$unsafe_io"

# Nothing in the sandbox installs packages: drop the caches and the package lists.
rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* \
  "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/*

tar -C "$rootfs" --numeric-owner -c . |
  docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["node"]' \
    - "$tag"
echo "build-offline-base: built $tag"
