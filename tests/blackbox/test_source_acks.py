"""Per-record delivery acknowledgement of sources (ABI 1.1 commit_record,
Kafka's SourceTask.commitRecord) and commit() after offsets are written.

TestSource with test.ack.file writes each acknowledgement it gets; the test
compares them with what is really in the topic."""

from harness import (PLUGINS_DIR, TEST_PLUGINS_GOOD_DIR, connector,
                     consume_records, topic_record_count, wait_until)

PLUGIN_PATH = f"{PLUGINS_DIR},{TEST_PLUGINS_GOOD_DIR}"


def read_acks(path):
    acks, commits = [], []
    for n, line in enumerate(path.read_text().splitlines()):
        words = line.split()
        if words[0] == "ack":
            acks.append((n, int(words[1]), words[2:]))
        else:
            assert words[0] == "commit", line
            commits.append((n, int(words[1])))
    return acks, commits


def test_acks_name_the_produced_records(tmp_path, mock_cluster, worker):
    topic = "acked"
    records = 300
    mock_cluster.create_topic(topic, 3)
    ack_file = tmp_path / "acks.txt"
    src = connector("acker", "TestSource",
                    {"topic": topic, "test.records": str(records),
                     "test.batch.size": "7", "test.ack.file": str(ack_file)})
    w = worker([src], {"plugin.path": PLUGIN_PATH,
                       "offset.flush.interval.ms": "200"})
    assert wait_until(lambda: topic_record_count(mock_cluster.bootstrap,
                                                 topic) >= records, 60)
    assert w.stop() == 0

    in_topic = {(r.partition, r.offset): r
                for r in consume_records(mock_cluster.bootstrap, topic)}
    assert len(in_topic) == records
    acks, commits = read_acks(ack_file)
    assert sorted(seq for _, seq, _ in acks) == list(range(records))
    for _, seq, (ack_topic, partition, offset, timestamp) in acks:
        assert ack_topic == topic
        rec = in_topic[(int(partition), int(offset))]
        assert rec.key == f"0-{seq}".encode()
        assert int(timestamp) > 0
    # commit() comes after offsets were written, and a written offset
    # never passes a record Kafka has not acknowledged.
    assert commits, "commit() was never called"
    assert commits[-1][1] == records
    for line, position in commits:
        acked = {seq for n, seq, _ in acks if n < line}
        assert all(seq in acked for seq in range(position)), \
            f"commit {position} at line {line} before its acks"


def test_skipped_records_are_acked_with_null(tmp_path, mock_cluster,
                                              worker):
    topic = "skipped"
    mock_cluster.create_topic(topic, 1)
    ack_file = tmp_path / "acks.txt"
    # A string value cannot be a long: every record fails conversion and
    # errors.tolerance=all skips it.
    src = connector("skipper", "TestSource",
                    {"topic": topic, "test.records": "20",
                     "test.ack.file": str(ack_file),
                     "value.converter":
                         "org.apache.kafka.connect.converters.LongConverter",
                     "errors.tolerance": "all"})
    w = worker([src], {"plugin.path": PLUGIN_PATH})

    def acked():
        if not ack_file.exists():
            return 0
        return sum(1 for line in ack_file.read_text().splitlines()
                   if line.startswith("ack"))

    assert wait_until(lambda: acked() >= 20, timeout=60), \
        f"{acked()} acknowledgements"
    assert w.stop() == 0
    acks, _ = read_acks(ack_file)
    assert [(seq, rest) for _, seq, rest in acks] == \
        [(seq, ["null"]) for seq in range(20)]
    assert topic_record_count(mock_cluster.bootstrap, topic) == 0
