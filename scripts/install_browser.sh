#!/usr/bin/env bash
# Install Debian's chromium for the report's browser test (tests/report/test_browser.py),
# once: a no-op when chromium is already on the PATH. Playwright drives this chromium
# through executable_path; `playwright install` (which downloads its own) is never needed.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
    exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
fi
$SUDO apt-get update
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends chromium
command -v chromium
