#!/usr/bin/env bash
# Builds the libFuzzer targets with clang-19, ASan and UBSan in build-fuzz, and fuzzes them
# (DESIGN §12: ten minutes of clean fuzzing per target is the acceptance run).
#   tools/fuzz.sh [SECONDS=600] [TARGET=all|cpu_fuzz|platform_fuzz|image_fuzz|pcnet_fuzz|jit_fuzz|decoder_fuzz]
# TARGET=all (the default) fuzzes cpu_fuzz, platform_fuzz, image_fuzz, pcnet_fuzz and jit_fuzz, each for the
# full SECONDS (so the default run takes four times SECONDS): they are separate code, and
# splitting one budget between them would cut the acceptance run of each.
# The growing corpus lives outside git, in ${EMU_CACHE:-~/.cache/emu}/fuzz/TARGET; it starts from
# the committed seeds in tests/fuzz/corpus/TARGET. Crashes land in BUILD/fuzz-artifacts/;
# replay one with: BUILD/tests/fuzz/TARGET FILE. BUILD is build-fuzz unless FUZZ_BUILD names
# another build directory.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-600}
target=${2:-all}
build=${FUZZ_BUILD:-build-fuzz}
if [ "$target" = all ]; then
  targets=(cpu_fuzz platform_fuzz image_fuzz pcnet_fuzz jit_fuzz)
else
  targets=("$target")
fi
if [ ! -f "$build/build.ninja" ]; then
  # Every library is built with coverage instrumentation (fuzzer-no-link) so libFuzzer sees the
  # emulator's branches, not just the harness's.
  CC=clang-19 CXX=clang++-19 meson setup "$build" -Dfuzz=true -Dbuildtype=debugoptimized \
    -Db_sanitize=address,undefined -Db_lundef=false -Dcpp_args=-fsanitize=fuzzer-no-link >/dev/null
fi
ninja -C "$build" -j2 "${targets[@]/#/tests/fuzz/}"
mkdir -p "$build/fuzz-artifacts"
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export ASAN_OPTIONS=detect_leaks=1
for t in "${targets[@]}"; do
  corpus=${EMU_CACHE:-$HOME/.cache/emu}/fuzz/$t
  mkdir -p "$corpus"
  echo "== $t: $seconds s" >&2
  max_len=4160
  [ "$t" = image_fuzz ] && max_len=262144  # whole small images: tables, then the data they map
  # jit_fuzz compiles every block of an input with LLVM before it runs (tens of ms each under
  # ASan): an input of short random blocks legitimately takes many seconds.
  timeout=10
  [ "$t" = jit_fuzz ] && timeout=300
  "$build/tests/fuzz/$t" -max_total_time="$seconds" -timeout=$timeout -rss_limit_mb=4096 -max_len=$max_len \
    -print_final_stats=1 -artifact_prefix="$build/fuzz-artifacts/" "$corpus" "tests/fuzz/corpus/${t/jit_fuzz/cpu_fuzz}"
done
