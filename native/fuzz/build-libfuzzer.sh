#!/usr/bin/env bash
# Builds the checkpoint fuzz target for libFuzzer with clang (the ctest run uses fuzz-driver.cpp
# with g++ instead), seeds a corpus from the mutation driver's seed checkpoints, and runs it:
#   native/fuzz/build-libfuzzer.sh [seconds, default 60] [out dir, default native/out-libfuzzer]
# Needs clang++ with its compiler-rt (Debian: clang-14 libclang-rt-14-dev) and a built
# native/out/fuzz/fuzz-checkpoint (npm run build:native) for the seeds.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
native="$(dirname "$here")"
seconds="${1:-60}"
out="${2:-$native/out-libfuzzer}"
cxx="${CXX:-$(command -v clang++-14 || command -v clang++)}"
mkdir -p "$out/corpus"
sources=()
while read -r s; do [ -n "$s" ] && sources+=("$native/$s"); done < "$here/sources.txt"
"$cxx" -std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer \
  -Wno-unknown-pragmas -DMG_LIBFUZZER -DMG_VERSION='"libfuzzer"' -I"$here/omp-shim" -I"$native/src" \
  "$here/fuzz-checkpoint.cpp" "${sources[@]}" -o "$out/fuzz-checkpoint-libfuzzer"
"$native/out/fuzz/fuzz-checkpoint" --write-seeds "$out/corpus"
cd "$out"
./fuzz-checkpoint-libfuzzer -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=2048 corpus
