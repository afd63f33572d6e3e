#!/usr/bin/env bash
# Builds rdconnect and runs every test through ctest: the one test command
# that the README documents and .ci/run calls. Run from anywhere.
#  1. the normal build (build/, the default compiler): unit and black-box;
#  2. the fuzz build (build-fuzz/, clang with libFuzzer): each fuzz target
#     for RDC_FUZZ_SECONDS (default 20) over its kept corpus. Skipped,
#     with a notice, when clang is not installed (scripts/install-deps.sh
#     installs it) or RDC_SKIP_FUZZ=1.
# Both parts always run; the exit status is non-zero if either failed.
set -uo pipefail
cd "$(dirname "$0")/.."

rc=0
{ cmake -S . -B build && cmake --build build -j"$(nproc)" &&
  (cd build && ctest --output-on-failure -j2 --timeout 300); } || rc=1

if [ "${RDC_SKIP_FUZZ:-0}" = 1 ]; then
  echo "fuzz: skipped (RDC_SKIP_FUZZ=1)"
elif ! command -v clang >/dev/null; then
  echo "fuzz: skipped: clang is not installed (scripts/install-deps.sh)"
else
  { cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DRDC_FUZZ=ON \
      -DRDC_FUZZ_SECONDS="${RDC_FUZZ_SECONDS:-20}" &&
    cmake --build build-fuzz -j"$(nproc)" --target fuzz &&
    (cd build-fuzz && ctest --output-on-failure -j2 --timeout 300); } || rc=1
fi
exit $rc
