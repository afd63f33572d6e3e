"""Sink tasks under faults: nothing lost, nothing stuck, nothing crashed.

Every test counts what reached the sink's output (distinct records must be
all of them; duplicates are allowed where at-least-once says so, and are
printed) and recovers without any REST call that changes state (a GET of
the status is only looked at).

  broker outages     one broker down longer than the session timeout; the
                     partition leader of three down
  put retries        a target that keeps failing with RETRIABLE for longer
                     than max.poll.interval.ms: the member must stay in its
                     group (no eviction), and nothing is lost; a stop, a
                     REST pause and a rebalance during the retries
  consumer errors    an authentication failure fails the task with the
                     reason in its trace instead of spinning RUNNING
  group ids          long connector names never share a consumer group

The kill -9 and SIGTERM restart rounds are test_sink_kill9_rounds.py and
test_sink_sigterm_rounds.py (sink_rounds.py holds what they share).
"""

import re
import time

from harness import (PLUGINS_DIR, TEST_PLUGINS_GOOD_DIR, committed_offsets,
                     connector, file_sink, numbered_lines, produce,
                     read_lines, wait_until, watermarks, write_properties)
from rest_helpers import rest_worker, stays, wait_task
from sink_rounds import (TOPIC, duplicates, report_duplicates,
                         wait_all_lines)

TEST_PLUGIN_PATH = {"plugin.path": f"{PLUGINS_DIR},{TEST_PLUGINS_GOOD_DIR}"}

# librdkafka logs these when a member is evicted or lost its generation.
EVICTION_RE = (r"max\.poll\.interval\.ms|maximum poll interval|"
               r"Unknown member|Illegal generation|assignment lost")


def broker_outage(cluster, broker, seconds):
    assert cluster.command(f"broker-down 0 {broker}") == "OK"
    try:
        time.sleep(seconds)
    finally:
        assert cluster.command(f"broker-up 0 {broker}") == "OK"


def sink_running(rest, name):
    return wait_task(rest, name, 0, lambda t: t["state"] == "RUNNING",
                     "RUNNING", timeout=30)


# ------------------------------------------------------- broker outages


def outage_round(tmp_path, cluster, worker, broker):
    """Sink running; N records; broker down 10 s (longer than the 6 s
    session timeout of the test workers); N more; all must arrive."""
    name = "outage-sink"
    out = tmp_path / "out.txt"
    w, rest = rest_worker(worker, [file_sink(name, out, TOPIC)],
                          {"bootstrap.servers": cluster.bootstrap})
    first = numbered_lines(0, 200, "before")
    produce(cluster.bootstrap, TOPIC, first)
    wait_all_lines(out, first)
    sink_running(rest, name)

    broker_outage(cluster, broker, 10)
    second = numbered_lines(0, 200, "after")
    produce(cluster.bootstrap, TOPIC, second)
    lines = wait_all_lines(out, first + second, timeout=90)
    report_duplicates("sink file", lines)
    assert set(lines) == set(first + second)
    body = sink_running(rest, name)
    print("task status after the outage:", body)
    # Everything that arrived is committed in the end, under the new
    # generation (the sink did not keep retrying a dead member's commit).
    assert wait_until(lambda: sum(committed_offsets(
        cluster.bootstrap, f"connect-{name}", TOPIC).values()) == 400,
        timeout=30), committed_offsets(cluster.bootstrap, f"connect-{name}",
                                       TOPIC)
    assert w.stop() == 0


def test_broker_outage_longer_than_session_timeout(tmp_path, mock_cluster,
                                                  worker):
    mock_cluster.create_topic(TOPIC, 2)
    outage_round(tmp_path, mock_cluster, worker, 1)


def test_partition_leader_outage_of_three_brokers(tmp_path,
                                                 mock_cluster_factory,
                                                 worker):
    cluster = mock_cluster_factory(brokers=3)
    cluster.create_topic(TOPIC, 1)
    assert cluster.command(f"set-leader 0 {TOPIC} 0 2") == "OK"
    outage_round(tmp_path, cluster, worker, 2)


# ---------------------------------------------------------- put retries


def test_put_retries_keep_group_membership(tmp_path, mock_cluster, worker):
    """put() fails RETRIABLE for 16 s with max.poll.interval.ms 7000: the
    task must keep polling (partitions paused) so that librdkafka neither
    leaves the group nor loses the assignment; every record then arrives."""
    mock_cluster.create_topic(TOPIC, 2)
    marker, record_file = tmp_path / "target-down", tmp_path / "records.txt"
    marker.write_text("down\n")
    name = "retry-sink"
    conf = retry_sink(name, marker, record_file, {
        # librdkafka: max.poll.interval.ms >= session.timeout.ms (6000).
        "consumer.override.max.poll.interval.ms": "7000",
    })
    w, rest = rest_worker(worker, [conf], TEST_PLUGIN_PATH)
    first = numbered_lines(0, 100, "retry")
    produce(mock_cluster.bootstrap, TOPIC, first)
    w.wait_for_log(r"put failed, retrying", timeout=30)
    time.sleep(16)
    # Still failing, and more records wait behind the held batch.
    produce(mock_cluster.bootstrap, TOPIC, numbered_lines(100, 100, "retry"))
    marker.unlink()

    assert wait_until(lambda: len(set(read_lines(record_file))) >= 200,
                      timeout=60), \
        f"{len(set(read_lines(record_file)))} of 200 records put"
    lines = read_lines(record_file)
    report_duplicates("records put", lines)
    assert set(lines) == topic_lines(mock_cluster.bootstrap)
    assert not w.log_lines_matching(EVICTION_RE), \
        w.log_lines_matching(EVICTION_RE)[:5]
    # Kept its assignment throughout: nothing was put twice.
    assert not duplicates(lines)
    sink_running(rest, name)
    assert w.stop() == 0


def test_stop_during_put_retries(tmp_path, mock_cluster, worker):
    """A stop request ends the retry loop: the worker exits 0 at once, and
    the held batch is not committed (it comes again on the next start)."""
    mock_cluster.create_topic(TOPIC, 1)
    marker, record_file = tmp_path / "target-down", tmp_path / "records.txt"
    marker.write_text("down\n")
    name = "retry-stop-sink"
    conf = retry_sink(name, marker, record_file)
    w, rest = rest_worker(worker, [conf], TEST_PLUGIN_PATH)
    produce(mock_cluster.bootstrap, TOPIC, numbered_lines(0, 50))
    w.wait_for_log(r"put failed, retrying", timeout=30)
    assert w.stop() == 0
    assert read_lines(record_file) == []
    assert not committed_offsets(mock_cluster.bootstrap, f"connect-{name}",
                                 TOPIC)
    marker.unlink()
    w.restart()
    assert wait_until(lambda: len(read_lines(record_file)) >= 50,
                      timeout=60), read_lines(record_file)
    assert len(set(read_lines(record_file))) == 50


def topic_lines(bootstrap):
    """What test.record.file holds once every record of TOPIC was put."""
    return {f"{TOPIC} {p} {o}" for p, (low, high) in
            watermarks(bootstrap, TOPIC).items() for o in range(low, high)}


def retry_sink(name, marker, record_file, extra=None):
    """TestSink whose put() is RETRIABLE while marker exists."""
    return connector(name, "com.example.test.TestSink", {
        "topics": TOPIC, "test.retry.while.file": str(marker),
        "test.record.file": str(record_file), **(extra or {})})


def test_pause_during_put_retries(tmp_path, mock_cluster, worker):
    """A REST pause holds the retries: no put() while PAUSED even once the
    target is back; after the resume the held batch goes, exactly once."""
    mock_cluster.create_topic(TOPIC, 1)
    marker, record_file = tmp_path / "target-down", tmp_path / "records.txt"
    marker.write_text("down\n")
    name = "retry-pause-sink"
    w, rest = rest_worker(worker, [retry_sink(name, marker, record_file)],
                          TEST_PLUGIN_PATH)
    produce(mock_cluster.bootstrap, TOPIC, numbered_lines(0, 50))
    w.wait_for_log(r"put failed, retrying", timeout=30)
    assert rest.put(f"/connectors/{name}/pause").status_code == 202
    wait_task(rest, name, 0, lambda t: t["state"] == "PAUSED", "PAUSED")
    marker.unlink()
    broke = stays(lambda: read_lines(record_file) == [], seconds=4)
    assert broke is None, "put() was called while the task was PAUSED"
    assert rest.put(f"/connectors/{name}/resume").status_code == 202
    assert wait_until(lambda: len(read_lines(record_file)) >= 50,
                      timeout=30), read_lines(record_file)
    assert sorted(read_lines(record_file)) == sorted(
        f"{TOPIC} 0 {o}" for o in range(50))
    sink_running(rest, name)
    assert w.stop() == 0


def test_rebalance_during_put_retries(tmp_path, mock_cluster, worker):
    """Worker a's put() fails; worker b joins the same group (same
    connector name). The rebalance takes partitions from a while it holds
    a batch: a drops those records (their next owner gets them again);
    once a's target is back, the union of both outputs is every record."""
    mock_cluster.create_topic(TOPIC, 2)
    name = "shared-sink"
    files = {}
    for who in ("a", "b"):
        marker = tmp_path / f"{who}-down"
        files[who] = (marker, tmp_path / f"{who}-records.txt")
        files[who] += (write_properties(
            tmp_path / f"{who}-sink.properties",
            retry_sink(name, marker, files[who][1])),)
    files["a"][0].write_text("down\n")
    wa, _ = rest_worker(worker, [files["a"][2]], TEST_PLUGIN_PATH, name="a")
    produce(mock_cluster.bootstrap, TOPIC, numbered_lines(0, 100))
    wa.wait_for_log(r"put failed, retrying", timeout=30)
    wb, _ = rest_worker(worker, [files["b"][2]], TEST_PLUGIN_PATH, name="b")
    wa.wait_for_log(r"left to their next owner", timeout=60)
    # Usually b gets one partition and puts its records at once; the
    # mock sometimes hands both back to a in this rebalance (b only joins
    # in a later one), which must lose nothing either.
    wait_until(lambda: read_lines(files["b"][1]), timeout=15)
    print(f"b put {len(read_lines(files['b'][1]))} records while a "
          f"was still failing")
    files["a"][0].unlink()

    def union():
        return {line for who in "ab" for line in read_lines(files[who][1])}
    assert wait_until(lambda: len(union()) >= 100, timeout=60), \
        f"{len(union())} of 100 records put"
    assert union() == topic_lines(mock_cluster.bootstrap)
    lines = read_lines(files["a"][1]) + read_lines(files["b"][1])
    report_duplicates("records put by a and b", lines)
    assert not wa.log_lines_matching(r"max\.poll\.interval|maximum poll")
    assert wa.stop() == 0 and wb.stop() == 0


# ------------------------------------------------------ consumer errors


def test_authentication_failure_fails_the_task(tmp_path, mock_cluster,
                                               worker):
    """The mock has no SASL: librdkafka reports an authentication error
    (through the error callback, not as a message). That cannot heal by
    waiting: the task is FAILED with the reason, not RUNNING doing
    nothing."""
    mock_cluster.create_topic(TOPIC, 1)
    name = "auth-sink"
    conf = file_sink(name, tmp_path / "out.txt", TOPIC, {
        "consumer.override.security.protocol": "SASL_PLAINTEXT",
        "consumer.override.sasl.mechanism": "PLAIN",
        "consumer.override.sasl.username": "user",
        "consumer.override.sasl.password": "secret"})
    w, rest = rest_worker(worker, [conf],
                          {"task.restart.enable": "false"})
    task = wait_task(rest, name, 0, lambda t: t["state"] == "FAILED",
                     "FAILED", timeout=30)
    assert "SASL" in task["trace"], task
    assert "at connector: auth-sink" in task["trace"], task
    assert w.stop() == 0


def test_unreachable_kafka_is_shown_in_the_status(tmp_path, mock_cluster,
                                                  worker):
    """All brokers down is transient: the task stays RUNNING, but its
    status trace says why nothing moves; the trace goes once records flow
    again."""
    mock_cluster.create_topic(TOPIC, 1)
    name = "down-sink"
    out = tmp_path / "out.txt"
    w, rest = rest_worker(worker, [file_sink(name, out, TOPIC)])
    produce(mock_cluster.bootstrap, TOPIC, ["one"])
    wait_all_lines(out, ["one"])
    assert mock_cluster.command("broker-down 0 1") == "OK"
    try:
        task = wait_task(rest, name, 0,
                         lambda t: t["state"] == "RUNNING" and
                         "brokers are down" in t.get("trace", ""),
                         "RUNNING with a trace", timeout=30)
        print(task)
    finally:
        assert mock_cluster.command("broker-up 0 1") == "OK"
    produce(mock_cluster.bootstrap, TOPIC, ["two"])
    wait_all_lines(out, ["one", "two"], timeout=60)
    wait_task(rest, name, 0,
              lambda t: t["state"] == "RUNNING" and "trace" not in t,
              "RUNNING without a trace", timeout=30)
    assert w.stop() == 0


# ------------------------------------------------------------ group ids


def test_long_connector_names_have_their_own_groups(tmp_path, mock_cluster,
                                                    worker):
    """Two names equal in their first 300 characters: two groups, each
    with its own committed offsets (a fixed buffer once cut both names to
    one group)."""
    mock_cluster.create_topic(TOPIC, 1)
    stem = "n" * 300
    names = [stem + "-a", stem + "-b"]
    files = [write_properties(tmp_path / f"long{i}.properties",
                              file_sink(n, tmp_path / f"out{i}.txt", TOPIC))
             for i, n in enumerate(names)]
    w, rest = rest_worker(worker, files)
    produce(mock_cluster.bootstrap, TOPIC, numbered_lines(0, 10))
    for i in range(2):
        wait_all_lines(tmp_path / f"out{i}.txt", numbered_lines(0, 10))
    for n in names:
        assert wait_until(lambda: committed_offsets(
            mock_cluster.bootstrap, f"connect-{n}", TOPIC) == {0: 10},
            timeout=30), n
    assert w.stop() == 0


def test_eviction_pattern_matches_librdkafka_texts():
    """The eviction regex above must match what librdkafka 2.0.2 logs,
    else the put-retry test could never fail."""
    for text in ("Application maximum poll interval (7000ms) exceeded by "
                 "12ms", "Committing consumer offsets failed (Broker: "
                 "Unknown member)"):
        assert re.search(EVICTION_RE, text), text
