#!/usr/bin/env bash
# Configures (once) and builds emu into build/. Used by tools/run and tools/test.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f build/build.ninja ]; then
  meson setup build --buildtype=release >/dev/null
fi
ninja -C build -j"$(nproc)" >/dev/null
