#!/usr/bin/env bash
# Make sure a CJK font is installed, so matplotlib renders Chinese glyphs.
# Installs WenQuanYi Micro Hei (fonts-wqy-microhei, ~5 MB) with apt-get where it can.
set -euo pipefail
has_cjk() { command -v fc-list >/dev/null && [ -n "$(fc-list :lang=zh family 2>/dev/null | head -n 1)" ]; }
if has_cjk; then
  exit 0
fi
echo "No CJK font found: installing fonts-wqy-microhei ..."
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
if command -v apt-get >/dev/null; then
  $SUDO apt-get update -qq && $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-wqy-microhei fontconfig >/dev/null
elif command -v dnf >/dev/null; then
  $SUDO dnf install -y wqy-microhei-fonts fontconfig
else
  echo "error: cannot install a CJK font automatically; install Noto Sans CJK or WenQuanYi Micro Hei" >&2
  exit 1
fi
fc-cache -f >/dev/null 2>&1 || true
has_cjk || { echo "error: a CJK font is still missing after the install" >&2; exit 1; }
