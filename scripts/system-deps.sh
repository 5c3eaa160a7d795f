#!/usr/bin/env bash
# What the console's browser tests need beyond Python, installed only when missing (idempotent):
#   - Chromium from Debian's packages, at /usr/bin/chromium (Playwright drives it; we never run
#     `playwright install`, which would download a browser build of its own);
#   - axe-core, pinned in package.json / package-lock.json, into ./node_modules (git-ignored).
# Set CAREGATE_SKIP_BROWSER=1 to skip both (the browser tests then skip too).
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ "${CAREGATE_SKIP_BROWSER:-}" == "1" ]]; then
  echo "system-deps: CAREGATE_SKIP_BROWSER=1, not installing chromium or axe-core"
  exit 0
fi

if [[ ! -x /usr/bin/chromium ]]; then
  echo "system-deps: installing chromium (Debian package)"
  SUDO=""
  if [[ "$(id -u)" != "0" ]]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends chromium fonts-dejavu-core
fi

if [[ ! -f node_modules/axe-core/axe.min.js ]] || \
   ! grep -q "\"version\": \"$(sed -n 's/.*"axe-core": "\(.*\)".*/\1/p' package.json)\"" node_modules/axe-core/package.json; then
  if ! command -v npm >/dev/null 2>&1; then
    echo "system-deps: npm is missing (Node 18+ is needed to install axe-core)" >&2
    exit 1
  fi
  echo "system-deps: installing axe-core (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
fi
echo "system-deps: chromium $(/usr/bin/chromium --version 2>/dev/null | awk '{print $2}'), axe-core $(sed -n 's/.*"version": "\(.*\)".*/\1/p' node_modules/axe-core/package.json | head -1)"
