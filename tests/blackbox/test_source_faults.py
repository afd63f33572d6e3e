"""Source tasks under faults: failed deliveries, broker outages, many
source partitions, kill -9 and SIGTERM at random moments.

A stored source offset must never pass a record that Kafka has not
acknowledged; whatever a fault interrupts is sent again, never lost.
"""

import json
import os
import random
from pathlib import Path

from harness import (PLUGINS_DIR, TEST_PLUGINS_GOOD_DIR, connector, consume_all, file_source, numbered_lines,
                     topic_record_count, wait_until, write_lines)
from rest_helpers import Rest, rest_worker, status, wait_values

TEST_SOURCE = "TestSource"
PLUGIN_PATH = {"plugin.path": f"{PLUGINS_DIR},{TEST_PLUGINS_GOOD_DIR}"}

# Rounds of the kill -9 / SIGTERM loops (RDC_FAULT_ROUNDS overrides).
ROUNDS = int(os.environ.get("RDC_FAULT_ROUNDS", "20"))


def stored_positions(w, name):
    """{partition json: offset dict} of connector name in the offsets
    file (what a restarted worker resumes from)."""
    path = Path(w.props["offset.storage.file.filename"])
    if not path.exists():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    return {json.dumps(e["partition"], sort_keys=True): e["offset"]
            for e in data.get(name, [])}


def file_position(w, name):
    positions = list(stored_positions(w, name).values())
    return positions[0]["position"] if positions else 0


def topic_values(bootstrap, topic):
    return [v.decode("utf-8") for _, v, _ in consume_all(bootstrap, topic)]


def task_trace(rest, name):
    body = status(rest, name)
    return " ".join(t.get("trace", "") for t in body["tasks"])


def test_failed_delivery_never_passes_offsets(tmp_path, mock_cluster,
                                              worker):
    """Broker down, deliveries time out: the offsets file keeps the last
    acknowledged line, the task fails with the delivery error and, once
    the broker is back, the automatic restart sends the rest."""
    mock_cluster.create_topic("dr", 1)
    src = tmp_path / "in.txt"
    lines = numbered_lines(0, 20)
    write_lines(src, lines[:10])
    w, rest = rest_worker(worker, [file_source("dr-src", src, "dr")], {
        "producer.message.timeout.ms": "2000",
        "offset.flush.interval.ms": "200",
        "task.restart.backoff.initial.ms": "500",
        "task.restart.backoff.max.ms": "1000",
    })
    wait_values(mock_cluster.bootstrap, "dr", lines[:10])
    first_ten = sum(len(x.encode()) + 1 for x in lines[:10])
    assert wait_until(lambda: file_position(w, "dr-src") == first_ten)

    assert mock_cluster.command("broker-down 0 1") == "OK"
    write_lines(src, lines[10:], mode="a")
    assert wait_until(lambda: "Delivery" in task_trace(rest, "dr-src"),
                      timeout=30), status(rest, "dr-src")
    # Failed, restarted, failed again: never past the acknowledged line.
    positions = set()
    for _ in range(20):
        positions.add(file_position(w, "dr-src"))
        wait_until(lambda: False, timeout=0.2)
    assert positions == {first_ten}

    assert mock_cluster.command("broker-up 0 1") == "OK"
    wait_values(mock_cluster.bootstrap, "dr", lines, timeout=90)
    assert wait_until(lambda: file_position(w, "dr-src") ==
                      first_ten + sum(len(x.encode()) + 1 for x in lines[10:]))
    assert w.stop() == 0


def test_broker_down_during_source_loses_nothing(tmp_path, mock_cluster,
                                                 worker):
    """10 s outage of the only broker: the producer waits, nothing is lost,
    no REST call is needed."""
    mock_cluster.create_topic("outage", 1)
    src = tmp_path / "in.txt"
    lines = numbered_lines(0, 400)
    write_lines(src, lines[:100])
    w, rest = rest_worker(worker, [file_source("out-src", src, "outage")])
    wait_values(mock_cluster.bootstrap, "outage", lines[:100])
    assert mock_cluster.command("broker-down 0 1") == "OK"
    write_lines(src, lines[100:300], mode="a")
    # RUNNING, but status and /health say why nothing moves.
    assert wait_until(lambda: "Kafka producer" in task_trace(
        rest, "out-src"), timeout=10), status(rest, "out-src")
    assert status(rest, "out-src")["tasks"][0]["state"] == "RUNNING"
    health = rest.get("/health").json()
    assert health["status"] == "healthy", health
    assert "out-src-0 (Kafka producer" in health["message"], health
    wait_until(lambda: False, timeout=8)
    assert mock_cluster.command("broker-up 0 1") == "OK"
    write_lines(src, lines[300:], mode="a")
    wait_values(mock_cluster.bootstrap, "outage", lines, timeout=90)
    assert wait_until(lambda: "trace" not in status(
        rest, "out-src")["tasks"][0]), status(rest, "out-src")
    assert w.stop() == 0


def test_stop_during_outage_is_graceful(tmp_path, mock_cluster, worker):
    """SIGTERM while the broker is down and records wait: the task stops
    within the graceful timeout (nothing reported stuck), the offsets stay
    at the acknowledged records, and a restart sends the rest."""
    mock_cluster.create_topic("stopdown", 1)
    src = tmp_path / "in.txt"
    lines = numbered_lines(0, 60)
    write_lines(src, lines[:30])
    w, rest = rest_worker(worker, [file_source("sd-src", src, "stopdown")],
                          {"offset.flush.interval.ms": "200"})
    wait_values(mock_cluster.bootstrap, "stopdown", lines[:30])
    acked = sum(len(x.encode()) + 1 for x in lines[:30])
    assert wait_until(lambda: file_position(w, "sd-src") == acked)
    assert mock_cluster.command("broker-down 0 1") == "OK"
    write_lines(src, lines[30:], mode="a")
    assert wait_until(lambda: "Kafka producer" in task_trace(
        rest, "sd-src"), timeout=10), status(rest, "sd-src")
    assert w.stop() == 0
    assert not w.log_lines_matching(r"did not stop within|stuck")
    assert w.log_lines_matching(r"not acknowledged within")
    assert file_position(w, "sd-src") == acked
    assert mock_cluster.command("broker-up 0 1") == "OK"
    w.restart()
    wait_values(mock_cluster.bootstrap, "stopdown", lines, timeout=60)
    assert w.stop() == 0


def test_leader_down_during_source_loses_nothing(tmp_path,
                                                 mock_cluster_factory,
                                                 worker):
    """3 brokers; the partition leader is down for 10 s."""
    cluster = mock_cluster_factory(brokers=3)
    cluster.create_topic("lead", 1)
    assert cluster.command("set-leader 0 lead 0 2") == "OK"
    src = tmp_path / "in.txt"
    lines = numbered_lines(0, 300)
    write_lines(src, lines[:100])
    w = worker([file_source("lead-src", src, "lead")],
               {"bootstrap.servers": cluster.bootstrap})
    wait_values(cluster.bootstrap, "lead", lines[:100])
    assert cluster.command("broker-down 0 2") == "OK"
    write_lines(src, lines[100:200], mode="a")
    wait_until(lambda: False, timeout=10)
    assert cluster.command("broker-up 0 2") == "OK"
    write_lines(src, lines[200:], mode="a")
    wait_values(cluster.bootstrap, "lead", lines, timeout=90)
    assert w.stop() == 0


def test_more_than_64_source_partitions_in_one_batch(mock_cluster, worker):
    """A poll batch spread over 300 source partitions: every partition's
    offset is stored."""
    mock_cluster.create_topic("parts", 1)
    parts = 300
    conf = connector("many", TEST_SOURCE, {
        "topic": "parts", "test.records": "900", "test.batch.size": "900",
        "test.source.partitions": str(parts)})
    w, rest = rest_worker(worker, [conf], PLUGIN_PATH)
    assert wait_until(lambda: topic_record_count(mock_cluster.bootstrap,
                                                 "parts") == 900)
    assert wait_until(lambda: len(stored_positions(w, "many")) == parts), \
        f"{len(stored_positions(w, 'many'))} of {parts} partitions stored"
    offsets = rest.get("/connectors/many/offsets").json()["offsets"]
    assert len(offsets) == parts
    # Each partition holds the offset of its own last record.
    for entry in offsets:
        k = entry["partition"]["part"]
        assert entry["offset"] == {"position": 900 - parts + k + 1}, entry
    assert w.stop() == 0


def interrupted_source(tmp_path, mock_cluster, worker, interrupt, topic):
    """Writes lines while the worker is interrupted ROUNDS times at random
    moments; returns (lines, values in the topic) once all arrived."""
    mock_cluster.create_topic(topic, 1)
    src = tmp_path / "in.txt"
    lines = numbered_lines(0, 100 * (ROUNDS + 1))
    rng = random.Random(topic)
    write_lines(src, lines[:100])
    w = worker([file_source(f"{topic}-src", src, topic,
                            {"batch.size": "20"})],
               {"offset.flush.interval.ms": "100"})
    for r in range(ROUNDS):
        chunk = lines[100 * (r + 1):100 * (r + 2)]
        before = topic_record_count(mock_cluster.bootstrap, topic)
        write_lines(src, chunk[:50], mode="a")
        # Mid-stream: this run delivers, then dies at a random moment.
        assert wait_until(lambda: topic_record_count(
            mock_cluster.bootstrap, topic) > before, timeout=30)
        wait_until(lambda: False, timeout=rng.uniform(0.0, 0.6))
        interrupt(w)
        write_lines(src, chunk[50:], mode="a")
        w.restart()
    assert wait_until(lambda: set(lines) <= set(
        topic_values(mock_cluster.bootstrap, topic)), timeout=90), \
        "lines are missing from the topic"
    assert w.stop() == 0
    return lines, topic_values(mock_cluster.bootstrap, topic)


def test_kill9_at_random_moments_loses_nothing(tmp_path, mock_cluster,
                                               worker):
    lines, got = interrupted_source(tmp_path, mock_cluster, worker,
                                    lambda w: w.kill9(), "k9")
    assert set(lines) <= set(got)
    print(f"kill -9 x{ROUNDS}: {len(got) - len(set(got))} duplicate(s) "
          f"in {len(got)} records")


def test_sigterm_at_random_moments_is_exactly_once(tmp_path, mock_cluster,
                                                   worker):
    def graceful(w):
        assert w.stop() == 0

    lines, got = interrupted_source(tmp_path, mock_cluster, worker,
                                    graceful, "term")
    print(f"SIGTERM x{ROUNDS}: {len(got) - len(set(got))} duplicate(s)")
    assert got == lines


def too_large_run(tmp_path, worker, tolerance):
    src = tmp_path / "in.txt"
    small = numbered_lines(0, 6)
    big = "x" * 3000
    write_lines(src, small[:3] + [big] + small[3:])
    w, rest = rest_worker(worker, [file_source(
        "big-src", src, "big", {"errors.tolerance": tolerance})],
        {"producer.message.max.bytes": "2000"})
    return w, rest, small


def test_record_too_large_is_skipped_when_tolerated(tmp_path, mock_cluster,
                                                    worker):
    mock_cluster.create_topic("big", 1)
    w, rest, small = too_large_run(tmp_path, worker, "all")
    wait_values(mock_cluster.bootstrap, "big", small)
    assert w.wait_for_log(r"Skipping a record of 3000 bytes to topic big")
    assert status(rest, "big-src")["tasks"][0]["state"] == "RUNNING"
    assert w.stop() == 0


def test_record_too_large_fails_the_task_by_default(tmp_path, mock_cluster,
                                                    worker):
    mock_cluster.create_topic("big", 1)
    w, rest, small = too_large_run(tmp_path, worker, "none")
    assert wait_until(lambda: "errors.tolerance=all" in task_trace(
        rest, "big-src")), status(rest, "big-src")
    trace = task_trace(rest, "big-src")
    assert "message.max.bytes" in trace and "3000 bytes" in trace, trace
    # Nothing after the refused record is sent or committed past it.
    assert topic_values(mock_cluster.bootstrap, "big") == small[:3]
    assert file_position(w, "big-src") <= sum(
        len(x.encode()) + 1 for x in small[:3])
    assert w.stop() == 0
