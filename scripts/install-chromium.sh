#!/usr/bin/env bash
# Installs Debian's Chromium for the dashboard browser test
# (test/browser/browser-dashboard.test.ts drives it with playwright-core; no
# Playwright-downloaded browser is used). Idempotent: does nothing when
# /usr/bin/chromium is already there.
set -euo pipefail
CHROMIUM=/usr/bin/chromium
if [ -x "$CHROMIUM" ]; then
  echo "[install-chromium] $CHROMIUM is already installed: $("$CHROMIUM" --version 2>/dev/null || echo 'version unknown')"
  exit 0
fi
if ! command -v apt-get >/dev/null; then
  echo "[install-chromium] apt-get not found: install Chromium at $CHROMIUM with your package manager" >&2
  exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null; then SUDO="sudo"; else
    echo "[install-chromium] need root (or sudo) to run apt-get" >&2
    exit 1
  fi
fi
echo "[install-chromium] installing Debian's chromium package (apt-get update, then apt-get install -y chromium)…"
$SUDO apt-get update
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y chromium
if [ ! -x "$CHROMIUM" ]; then
  echo "[install-chromium] apt-get finished but $CHROMIUM is missing" >&2
  exit 1
fi
echo "[install-chromium] installed: $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM")"
