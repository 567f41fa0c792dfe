#!/usr/bin/env bash
# Build the sandbox's base image without a container registry.
#
# Our development and CI machines reach Debian's package mirror and npm's registry but no
# container registry, so `node:22-bookworm-slim` cannot be pulled there. This script makes
# an equivalent base: a minimal Debian bookworm root filesystem made by debootstrap, with
# the same Node.js as that image, the official Linux build of Node 22, and loaded with
# `docker import`. The Dockerfile builds on it unchanged.
#
# Why not Debian's own `nodejs`: it is Node 18, built without Node's start-up snapshot and
# code cache, so every Node (the harness, the student's program, each worker thread)
# compiles its bootstrap afresh: a Thread Lab run took twice as long as on Node 22, and the
# tests would check a Node the default base never runs. The official build comes from npm's
# registry as the `node-linux-<arch>` package (the one the `node` package installs from),
# pinned to a version and to its tarball's sha512 below, and is fetched while debootstrap
# runs.
#
# Usage: build-offline-base.sh [TAG]   (default tag: course-sandbox-base:node22-bookworm)
set -euo pipefail

tag=${1:-course-sandbox-base:node22-bookworm}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

NODE_VERSION=22.23.5
declare -A NODE_INTEGRITY=(
  [x64]=sha512-3jhC+wcoWxKZxcRqF2sUSl0c9HEXFnur/nuIPx6O6CWKV0jOUWQm7Htw5SuXqqlMCEhi0cJqybFPEb5hhcBiMw==
  [arm64]=sha512-e1LOUGKVruPGuLVutn8+Cgm5pI1APm4Kvh+zbb/qe/ZpD9s+TQby5iUgZOWmPpbSKpj0Td8DP1N0NEnXasHizg==
)

for tool in debootstrap npm; do
  if ! command -v "$tool" >/dev/null; then
    echo "build-offline-base: $tool is missing (apt-get install $tool)" >&2
    exit 1
  fi
done
case $(dpkg --print-architecture) in
  amd64) node_arch=x64 ;;
  arm64) node_arch=arm64 ;;
  *)
    echo "build-offline-base: no pinned Node.js build for $(dpkg --print-architecture)" >&2
    exit 1
    ;;
esac

rootfs=$(mktemp -d /tmp/sandbox-base.XXXXXX)
download=$(mktemp -d /tmp/sandbox-base-node.XXXXXX)
trap 'rm -rf "$rootfs" "$download"' EXIT

# The Node.js package, fetched meanwhile; npm checks the tarball against the registry's
# integrity, and we check that against the pinned one.
package=node-linux-$node_arch@$NODE_VERSION
(cd "$download" && npm pack --silent "$package" >npm-pack.log 2>&1) &
fetch=$!

# dpkg syncs every file it unpacks to the disk: thousands of fsyncs, useless for a root
# filesystem that is thrown away once imported (a failed build starts over), and on a busy
# disk they stall whatever else syncs (a first `make run` migrates its database meanwhile).
# No sync during the bootstrap, then; the setting is not left in the image.
unsafe_io="$rootfs/etc/dpkg/dpkg.cfg.d/offline-base-unsafe-io"
mkdir -p "$(dirname "$unsafe_io")"
echo force-unsafe-io >"$unsafe_io"
debootstrap --variant=minbase --include=ca-certificates bookworm "$rootfs" "$mirror"
rm "$unsafe_io"

if ! wait "$fetch"; then
  echo "build-offline-base: npm could not fetch $package:" >&2
  cat "$download/npm-pack.log" >&2
  exit 1
fi
tarball=("$download"/node-linux-"$node_arch"-"$NODE_VERSION".tgz)
integrity=sha512-$(python3 -c 'import base64, hashlib, sys
print(base64.b64encode(hashlib.sha512(open(sys.argv[1], "rb").read()).digest()).decode())' "${tarball[0]}")
if [[ $integrity != "${NODE_INTEGRITY[$node_arch]}" ]]; then
  echo "build-offline-base: $package is not the tarball pinned here ($integrity)" >&2
  exit 1
fi
# Where the official image has it; its libraries (libstdc++, libgcc) come with minbase.
tar -xzf "${tarball[0]}" -C "$download" package/bin/node
install -m 0755 "$download/package/bin/node" "$rootfs/usr/local/bin/node"

# Nothing in the sandbox installs packages: drop the caches and the package lists.
rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* \
  "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/*

tar -C "$rootfs" --numeric-owner -c . |
  docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["node"]' \
    - "$tag"
echo "build-offline-base: built $tag (Node.js $NODE_VERSION)"
