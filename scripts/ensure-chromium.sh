#!/usr/bin/env bash
# Install Debian's headless Chromium for the browser tests, where apt-get can.
# Without it the browser tests skip with a reason; nothing else needs it.
set -uo pipefail
command -v chromium >/dev/null && exit 0
command -v apt-get >/dev/null || { echo "chromium not installed and no apt-get: browser tests will skip"; exit 0; }
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo -n"
echo "Installing chromium for the browser tests ..."
$SUDO apt-get update -qq >/dev/null 2>&1
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null 2>&1 \
  || echo "could not install chromium: browser tests will skip"
