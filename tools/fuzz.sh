#!/usr/bin/env bash
# Builds the libFuzzer targets with clang-19, ASan and UBSan in build-fuzz, and fuzzes one of them
# (DESIGN §12: ten minutes of clean fuzzing is the acceptance run).
#   tools/fuzz.sh [SECONDS=600] [TARGET=cpu_fuzz|decoder_fuzz]
# The growing corpus lives outside git, in ${EMU_CACHE:-~/.cache/emu}/fuzz/TARGET; it starts from
# the committed seeds in tests/fuzz/corpus/TARGET. Crashes land in build-fuzz/fuzz-artifacts/;
# replay one with: build-fuzz/tests/fuzz/TARGET FILE
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-600}
target=${2:-cpu_fuzz}
if [ ! -f build-fuzz/build.ninja ]; then
  # Every library is built with coverage instrumentation (fuzzer-no-link) so libFuzzer sees the
  # emulator's branches, not just the harness's.
  CC=clang-19 CXX=clang++-19 meson setup build-fuzz -Dfuzz=true -Dbuildtype=debugoptimized \
    -Db_sanitize=address,undefined -Db_lundef=false -Dcpp_args=-fsanitize=fuzzer-no-link >/dev/null
fi
ninja -C build-fuzz -j2 "tests/fuzz/$target"
corpus=${EMU_CACHE:-$HOME/.cache/emu}/fuzz/$target
mkdir -p "$corpus" build-fuzz/fuzz-artifacts
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export ASAN_OPTIONS=detect_leaks=1
exec "build-fuzz/tests/fuzz/$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 -max_len=4160 \
  -print_final_stats=1 -artifact_prefix=build-fuzz/fuzz-artifacts/ "$corpus" "tests/fuzz/corpus/$target"
