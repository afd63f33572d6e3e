#!/usr/bin/env bash
# Runs one libFuzzer target of tests/fuzz for a while:
#   tests/fuzz/run.sh TARGET [SECONDS] [libFuzzer options...]
# TARGET: props, json, rest or config; SECONDS defaults to 60.
# Without RDC_FUZZ_BUILD_DIR (ctest sets it) the fuzz build is configured
# and built first in build-fuzz with clang. The kept corpus
# tests/fuzz/corpus/TARGET is read, never written: new inputs go to
# BUILD/fuzz-corpus/TARGET, crashes to BUILD/fuzz-artifacts/TARGET-*.
# Exits non-zero if the target crashed, leaked, hung or broke a check.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
src="$(cd "$here/../.." && pwd)"
target=${1:?usage: $0 TARGET [SECONDS] [libFuzzer options...]}
seconds=${2:-60}
shift $(($# < 2 ? $# : 2))

build=${RDC_FUZZ_BUILD_DIR:-}
if [ -z "$build" ]; then
  build="$src/build-fuzz"
  cmake -S "$src" -B "$build" -DCMAKE_C_COMPILER=clang -DRDC_FUZZ=ON \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build "$build" -j"$(nproc)" --target fuzz
fi
bin="$build/fuzz/fuzz_$target"
[ -x "$bin" ] || { echo "no fuzz target $bin" >&2; exit 2; }

work="$build/fuzz-corpus/$target"
artifacts="$build/fuzz-artifacts"
mkdir -p "$work" "$artifacts"
dict=()
[ -f "$here/$target.dict" ] && dict=("-dict=$here/$target.dict")
# detect_leaks: a leak is a failure like a crash. UBSan stops at the
# first finding (the build uses -fno-sanitize-recover).
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}"
exec "$bin" -max_total_time="$seconds" -timeout=30 -rss_limit_mb=2048 \
  -max_len=4096 -print_final_stats=1 "-artifact_prefix=$artifacts/$target-" \
  "${dict[@]}" "$@" "$work" "$here/corpus/$target"
