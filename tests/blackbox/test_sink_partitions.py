"""Sink open/close/pre_commit (ABI 1.1, Kafka's SinkTask.open, close and
preCommit): TestPreCommitSink logs the calls and holds back records of
each partition in pre_commit; the runtime commits only what pre_commit
returned, so after a restart the held-back records come again."""

from harness import (PLUGINS_DIR, TEST_PLUGINS_GOOD_DIR, committed_offsets,
                     connector, produce, read_lines, wait_until)

PLUGIN_PATH = f"{PLUGINS_DIR},{TEST_PLUGINS_GOOD_DIR}"


def test_pre_commit_holds_back_and_open_close(tmp_path, mock_cluster,
                                              worker):
    topic = "held"
    mock_cluster.create_topic(topic, 1)
    produce(mock_cluster.bootstrap, topic, [f"v{i}" for i in range(50)])
    records = tmp_path / "records.txt"
    events = tmp_path / "events.txt"
    sink = connector("holder", "TestPreCommitSink",
                     {"topics": topic, "test.record.file": str(records),
                      "test.events.file": str(events),
                      "test.precommit.hold": "10"})
    props = {"plugin.path": PLUGIN_PATH, "offset.flush.interval.ms": "300"}
    w = worker([sink], props)
    assert wait_until(lambda: len(read_lines(records)) >= 50, timeout=60)
    # Everything was put and flushed; pre_commit held 10 back.
    assert wait_until(lambda: committed_offsets(
        mock_cluster.bootstrap, "connect-holder", topic) == {0: 40},
        timeout=60), committed_offsets(mock_cluster.bootstrap,
                                       "connect-holder", topic)
    assert w.stop() == 0
    lines = read_lines(events)
    assert lines[0] == f"open {topic} 0"
    assert lines[-1] == f"close {topic} 0"
    assert lines.count(f"open {topic} 0") == 1
    assert lines.count(f"close {topic} 0") == 1
    pre = [line.split() for line in lines if line.startswith("precommit")]
    assert pre, lines
    for _, t, p, offset, returned in pre:
        assert (t, p) == (topic, "0")
        assert int(returned) == int(offset) - 10
    assert pre[-1][3] == "50"
    # Held back records are still offered to the next pre_commit: it saw
    # offset 50 more than once (once per flush interval and at the stop).
    assert sum(1 for x in pre if x[3] == "50") >= 2
    assert committed_offsets(mock_cluster.bootstrap, "connect-holder",
                             topic) == {0: 40}

    # After a restart the held-back records come again, and only those.
    w2 = worker([sink], props, name="second")
    assert wait_until(lambda: len(read_lines(records)) >= 60, timeout=60)
    assert w2.stop() == 0
    offsets = [int(line.split()[2]) for line in read_lines(records)]
    assert offsets[:50] == list(range(50))
    assert offsets[50:] == list(range(40, 50))
