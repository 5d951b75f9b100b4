#!/usr/bin/env bash
# The test suite under AddressSanitizer and UndefinedBehaviorSanitizer (DESIGN §12), built with
# clang-19 in build-asan. Any sanitizer report fails the run.
#   tools/asan-test.sh [meson test arguments, default: --suite cpu --suite platform --suite frontends]
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f build-asan/build.ninja ]; then
  CC=clang-19 CXX=clang++-19 meson setup build-asan -Db_sanitize=address,undefined -Db_lundef=false \
    -Dbuildtype=debugoptimized >/dev/null
fi
ninja -C build-asan -j2
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
if [ $# -eq 0 ]; then set -- --suite cpu --suite platform --suite frontends; fi
meson test -C build-asan --print-errorlogs --num-processes 1 "$@"
