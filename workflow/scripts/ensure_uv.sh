#!/usr/bin/env bash
# Put a pinned uv (from PyPI) into .tools/ so `make env` needs nothing but python3.
set -euo pipefail
UV_VERSION="0.13.8"
TOOLS=".tools"
if [ -x "$TOOLS/bin/uv" ] && [ "$("$TOOLS/bin/uv" --version | awk '{print $2}')" = "$UV_VERSION" ]; then
  exit 0
fi
if ! python3 -m venv "$TOOLS" >/dev/null 2>&1; then
  echo "python3 -m venv failed: install the venv module (Debian/Ubuntu: apt-get install -y python3-venv)" >&2
  exit 1
fi
"$TOOLS/bin/python" -m pip install --quiet --disable-pip-version-check "uv==$UV_VERSION"
