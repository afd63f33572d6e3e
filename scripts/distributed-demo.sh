#!/usr/bin/env bash
# Distributed mode on one machine: an in-memory Kafka (the test fixture,
# build/tests/rdc-mock-cluster) that three connect-distributed workers
# share, the documents' FileStreamSource example created on one worker,
# its status read on another, then kill -9 of the worker that runs it and
# the status again once a survivor took it over. Everything lives in
# build/distributed-demo/ and stops when the script ends.
#
#   scripts/distributed-demo.sh            (after building in build/)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${RDC_BUILD_DIR:-build}
DIR=$BUILD/distributed-demo
rm -rf "$DIR" && mkdir -p "$DIR"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

# The mock cannot create topics with the Admin API: the fixture makes the
# three internal topics (the config topic with one partition).
# It runs until its stdin ends: a FIFO this script holds open.
mkfifo "$DIR/kafka.in"
"$BUILD/tests/rdc-mock-cluster" --topic connect-configs:1 \
  --topic connect-offsets:25 --topic connect-status:5 \
  <"$DIR/kafka.in" >"$DIR/kafka.out" 2>"$DIR/kafka.log" &
pids+=($!)
exec 3>"$DIR/kafka.in"
for _ in $(seq 50); do grep -q BOOTSTRAP "$DIR/kafka.out" && break; sleep 0.1; done
BOOTSTRAP=$(awk '/BOOTSTRAP/ {print $3}' "$DIR/kafka.out")
echo "in-memory Kafka at $BOOTSTRAP"

ports=(18083 18084 18085)
for i in 0 1 2; do
  cat >"$DIR/worker$i.properties" <<EOF
bootstrap.servers=$BOOTSTRAP
group.id=connect-cluster
key.converter=org.apache.kafka.connect.storage.StringConverter
value.converter=org.apache.kafka.connect.storage.StringConverter
listeners=http://127.0.0.1:${ports[$i]}
session.timeout.ms=6000
heartbeat.interval.ms=1000
offset.flush.interval.ms=1000
EOF
  "$BUILD/bin/connect-distributed" "$DIR/worker$i.properties" \
    2>"$DIR/worker$i.log" &
  pids+=($!)
done
url() { echo "http://127.0.0.1:${ports[$1]}"; }
for i in 0 1 2; do
  for _ in $(seq 100); do
    grep -q "Group generation .*: 3 worker(s)" "$DIR/worker$i.log" && break
    sleep 0.2
  done
done
echo "three workers in group connect-cluster"

seq 1 100 | sed 's/^/line /' >"$DIR/distribute-source.txt"
curl -sS -X POST -H "Content-Type: application/json" -d '{"name":"local-file-distribute-source","config":{"topic":"topic-distribute-source","connector.class":"FileStreamSource","file":"'"$PWD/$DIR"'/distribute-source.txt"}}' "$(url 1)/connectors"
echo
status() {
  curl -sS "$(url "$1")/connectors/local-file-distribute-source/status"
}
runner=""
for _ in $(seq 100); do
  s=$(status 2)
  if grep -q '"tasks":\[{"id":0,"state":"RUNNING"' <<<"$s"; then
    runner=$(sed -n 's/.*"tasks":\[{"id":0,"state":"RUNNING","worker_id":"\([^"]*\)".*/\1/p' <<<"$s")
    break
  fi
  sleep 0.2
done
echo "status on worker 2: $s"
[ -n "$runner" ] || { echo "the connector did not start" >&2; exit 1; }
for i in 0 1 2; do
  [ "127.0.0.1:${ports[$i]}" = "$runner" ] && victim=$i
done
echo "kill -9 of worker $victim ($runner)"
kill -9 "${pids[$((victim + 1))]}"
survivor=$(( (victim + 1) % 3 ))
start=$(date +%s.%N)
for _ in $(seq 300); do
  s=$(status "$survivor" 2>/dev/null || true)
  if grep -q '"tasks":\[{"id":0,"state":"RUNNING"' <<<"$s" &&
     ! grep -q "\"$runner\"" <<<"$s"; then
    echo "after $(echo "$(date +%s.%N) - $start" | bc) s: $s"
    exit 0
  fi
  sleep 0.2
done
echo "no survivor took the connector over" >&2
exit 1
