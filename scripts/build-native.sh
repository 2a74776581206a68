#!/usr/bin/env bash
# Builds the native references of the windowed job (native-bench/README.md):
#   native-bench/rust/target/release/sabre-native-rust   (cargo build --release)
#   native-bench/go/bin/sabre-native-go                   (go build)
#
# Usage: scripts/build-native.sh [--only rust|go] [--test]
#   --only rust|go   build one of them (or set SABRE_NATIVE=rust|go)
#   --test           also run their unit tests (cargo test / go test)
# Toolchains are looked up on PATH, then in their default install places
# (~/.cargo/bin, /usr/local/go/bin). Exit status: 0 if everything asked for was
# built; 2 if a toolchain (cargo or go) is missing — the other one is still
# built; 1 if a build or test failed.
set -uo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
only="${SABRE_NATIVE:-all}"
run_tests=0
while [ $# -gt 0 ]; do
  case "$1" in
    --only) only="${2:-}"; shift 2 ;;
    --only=*) only="${1#--only=}"; shift ;;
    --test) run_tests=1; shift ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) echo "build-native: unknown argument $1 (see --help)" >&2; exit 1 ;;
  esac
done
case "$only" in
  all|rust|go) ;;
  *) echo "build-native: --only/SABRE_NATIVE must be rust, go or all, got '$only'" >&2; exit 1 ;;
esac

# find_tool NAME FALLBACK...: prints the command to use, or nothing.
find_tool() {
  local name="$1"; shift
  if command -v "$name" >/dev/null 2>&1; then command -v "$name"; return; fi
  local f
  for f in "$@"; do
    if [ -x "$f" ]; then echo "$f"; return; fi
  done
}

status=0
missing() {
  echo "build-native: $1 not found (PATH, default install place): cannot build the $2 reference ($3)" >&2
  [ "$status" -eq 1 ] || status=2
}
failed() {
  echo "build-native: $1 failed" >&2
  status=1
}

if [ "$only" = all ] || [ "$only" = rust ]; then
  cargo="$(find_tool cargo "${CARGO_HOME:-$HOME/.cargo}/bin/cargo")"
  if [ -z "$cargo" ]; then
    missing cargo Rust "install it with rustup: https://rustup.rs"
  else
    echo "build-native: building native-bench/rust (cargo build --release)" >&2
    if "$cargo" build --release --locked --manifest-path "$root/native-bench/rust/Cargo.toml"; then
      echo "build-native: built native-bench/rust/target/release/sabre-native-rust" >&2
      if [ "$run_tests" -eq 1 ]; then
        "$cargo" test --release --locked --manifest-path "$root/native-bench/rust/Cargo.toml" || failed "cargo test"
      fi
    else
      failed "cargo build"
    fi
  fi
fi

if [ "$only" = all ] || [ "$only" = go ]; then
  go="$(find_tool go /usr/local/go/bin/go)"
  if [ -z "$go" ]; then
    missing go Go "install it from https://go.dev/dl/"
  else
    echo "build-native: building native-bench/go (go build)" >&2
    if (cd "$root/native-bench/go" && "$go" build -trimpath -o bin/sabre-native-go .); then
      echo "build-native: built native-bench/go/bin/sabre-native-go" >&2
      if [ "$run_tests" -eq 1 ]; then
        (cd "$root/native-bench/go" && "$go" vet ./... && "$go" test ./...) || failed "go test"
      fi
    else
      failed "go build"
    fi
  fi
fi

exit "$status"
