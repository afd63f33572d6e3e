#!/usr/bin/env bash
# Runs the quickstart: a standalone worker with an embedded Kafka moves
# conf/quickstart/input.txt through a topic into build/quickstart/output.txt,
# shows the result, and stops the worker.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=build/bin/connect-standalone
[ -x "$bin" ] || { echo "build first: cmake -S . -B build && cmake --build build" >&2; exit 1; }
mkdir -p build/quickstart
rm -f build/quickstart/output.txt build/quickstart/connect.offsets
"$bin" conf/quickstart/worker.properties conf/quickstart/file-source.properties \
        conf/quickstart/file-sink.json 2>build/quickstart/worker.log &
pid=$!
trap 'kill "$pid" 2>/dev/null || true' EXIT
want=$(wc -l <conf/quickstart/input.txt)
for _ in $(seq 1 300); do
        have=0
        [ -f build/quickstart/output.txt ] && have=$(wc -l <build/quickstart/output.txt)
        [ "$have" -ge "$want" ] && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
done
kill -TERM "$pid"; wait "$pid" || true; trap - EXIT
echo "== build/quickstart/output.txt =="
cat build/quickstart/output.txt 2>/dev/null || true
if cmp -s conf/quickstart/input.txt build/quickstart/output.txt; then
        echo "== OK: the output file equals conf/quickstart/input.txt =="
else
        echo "== FAILED: output differs from input; worker log: build/quickstart/worker.log ==" >&2
        tail -20 build/quickstart/worker.log >&2
        exit 1
fi
