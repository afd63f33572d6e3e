#!/usr/bin/env bash
# ThreadSanitizer run of the black-box suite, on demand (not part of
# tests/run-all.sh: TSan makes every process 5-15x slower).
#   tests/tsan/run.sh [CTEST_REGEX]     default: blackbox
# Builds everything with clang -fsanitize=thread into build-tsan
# (RDC_TSAN_BUILD_DIR), preloads tests/tsan/thrd_shim.c so librdkafka's
# C11 threads and locks are seen, and runs the matching ctest entries.
# Each instrumented process writes its reports to
# build-tsan/tsan-reports/tsan.<pid>; the script prints one line per
# distinct report and exits 1 if there is any (or if a test failed).
# RDC_TSAN_OPTIONS is appended to TSAN_OPTIONS (a later option wins), e.g.
# ignore_noninstrumented_modules=0 to also see accesses made inside
# json-c or libmicrohttpd (noisier: librdkafka's own atomics show up).
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${RDC_TSAN_BUILD_DIR:-build-tsan}
cmake -S . -B "$build" -DCMAKE_C_COMPILER=clang -DRDC_TSAN=ON \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j"$(nproc)"

reports="$PWD/$build/tsan-reports"
rm -rf "$reports"
mkdir -p "$reports"
# Inherited by ctest, pytest and every binary a test starts. The shim is
# harmless in uninstrumented processes (python): it maps C11 calls to the
# pthread calls glibc makes anyway. exitcode=0: the tests judge
# behaviour; races are judged from the reports below.
export LD_PRELOAD="$PWD/$build/tests/libthrd_shim.so"
export TSAN_OPTIONS="ignore_noninstrumented_modules=1 exitcode=0 \
halt_on_error=0 second_deadlock_stack=1 log_path=$reports/tsan \
${RDC_TSAN_OPTIONS:-}"

rc=0
(cd "$build" && ctest -R "${1:-blackbox}" -j2 --timeout 900 \
  --output-on-failure) || rc=1

shopt -s nullglob
files=("$reports"/tsan.*)
# Files may also hold statistics (verbosity=1): count reports, not files.
if [ ${#files[@]} -gt 0 ] &&
  grep -qE '^(WARNING|ERROR): ThreadSanitizer' "${files[@]}"; then
  echo "ThreadSanitizer reports (count, summary) in $reports:"
  grep -hE '^SUMMARY: ThreadSanitizer|^==[0-9]+==ERROR: ThreadSanitizer' \
    "${files[@]}" | sed 's/^==[0-9]*==//' | sort | uniq -c | sort -rn
  rc=1
else
  echo "ThreadSanitizer: no reports"
fi
exit $rc
