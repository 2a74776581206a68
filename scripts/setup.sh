#!/usr/bin/env bash
# System packages the test suite needs, installed only when missing (so
# `npm test` works on a fresh machine and costs nothing on later runs):
#   flatc     — Debian's flatbuffers-compiler, to check the generated codec is reproducible
#   chromium  — Debian's Chromium, driven by playwright-core in the dashboard test
set -euo pipefail
need=()
command -v flatc >/dev/null || need+=(flatbuffers-compiler)
[ -x /usr/bin/chromium ] || need+=(chromium)
if [ ${#need[@]} -gt 0 ]; then
  echo "[setup] installing ${need[*]} from Debian's packages" >&2
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi
