#!/usr/bin/env bash
# Make sure Debian's chromium is installed: the report's browser test (tests/report) drives it with
# Playwright's Python package. Playwright's own browser download (`playwright install`) needs hosts
# CI cannot reach, so the browser comes from apt. Does nothing where chromium is already present.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then exit 0; fi
SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
echo "ensure-browser: installing chromium from Debian packages" >&2
$SUDO apt-get update -q >/dev/null
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q chromium >/dev/null
command -v chromium >/dev/null 2>&1 || { echo "ensure-browser: chromium did not install" >&2; exit 1; }
