"""PATCH/DELETE /connectors/{c}/offsets as Kafka answers them: the 400
texts of ConnectorsResource, SinkUtils and OffsetUtils for bad bodies
(400 also where Kafka's JSON mapping throws and Kafka answers 500),
"offset": null and DELETE on a broker without OffsetDelete/DeleteGroups
(the mock: the documented fallback), and sink offsets in the group and on
the cluster the connector's consumers use (consumer.override.group.id,
consumer.override.bootstrap.servers)."""

from harness import (committed_offsets, file_sink, file_source,
                     numbered_lines, produce, read_lines, wait_until,
                     write_lines)
from rest_helpers import assert_error, create, rest_worker, wait_state
from test_rest_offsets import (assert_modified, offsets, patch_when_possible,
                               sink_offsets, stop)

EMPTY = "Partitions / offsets need to be provided for an alter offsets request"


def patch(rest, name, body):
    return rest.patch(f"/connectors/{name}/offsets", json=body)


def test_bad_bodies_answer_kafkas_texts(tmp_path, worker, mock_cluster):
    _, rest = rest_worker(worker)
    rest.wait_healthy()
    create(rest, "src", file_source("src", tmp_path / "in.txt", "bb-topic"),
           initial_state="STOPPED")
    create(rest, "snk", file_sink("snk", tmp_path / "out.txt", "bb-topic"),
           initial_state="STOPPED")
    wait_state(rest, "src", "STOPPED", [])
    wait_state(rest, "snk", "STOPPED", [])

    # ConnectorsResource: before the connector is even looked up.
    for name in ("src", "snk", "ghost"):
        for body in ({}, {"offsets": []}, {"offsets": None}):
            assert_error(patch(rest, name, body), 400, EMPTY)
    assert_error(patch(rest, "ghost", {"offsets": [
        {"partition": {"a": "b"}, "offset": None}]}), 404,
        "Connector ghost not found")
    # Shapes Kafka's JSON mapping refuses (500 there): 400.
    for body in ({"offsets": {}}, {"offsets": [1]},
                 {"offsets": [{"partition": 1, "offset": None}]},
                 {"offsets": [{"partition": {"a": 1}, "offset": "x"}]}):
        for name in ("src", "snk"):
            message = assert_error(patch(rest, name, body), 400)
            assert message.startswith("Cannot deserialize the request "
                                      "body"), message

    # SinkUtils.parseSinkConnectorOffsets, word for word.
    def sink_entry(partition, offset):
        return {"offsets": [{"partition": partition, "offset": offset}]}
    for partition, offset, message in (
            (None, {"kafka_offset": 1},
             "The partition for a sink connector offset cannot be null or "
             "missing"),
            ({"kafka_topic": "t"}, None,
             "The partition for a sink connector offset must contain the "
             "keys 'kafka_topic' and 'kafka_partition'"),
            ({"kafka_topic": None, "kafka_partition": 0}, None,
             "Kafka topic names must be valid strings and may not be null"),
            ({"kafka_topic": "t", "kafka_partition": None}, None,
             "Kafka partitions must be valid numbers and may not be null"),
            ({"kafka_topic": "t", "kafka_partition": "x"}, None,
             "Failed to parse the following Kafka partition value in the "
             "provided offsets: 'x'. Partition values for sink connectors "
             "need to be integers."),
            ({"kafka_topic": "t", "kafka_partition": 0}, {},
             "The offset for a sink connector should either be null or "
             "contain the key 'kafka_offset'"),
            ({"kafka_topic": "t", "kafka_partition": 0},
             {"kafka_offset": "abc"},
             "Failed to parse the following Kafka offset value in the "
             "provided offsets: 'abc'. Offset values for sink connectors "
             "need to be integers.")):
        assert_error(patch(rest, "snk", sink_entry(partition, offset)), 400,
                     message)
    # Without a partition at all, as null.
    assert_error(patch(rest, "snk", {"offsets": [{"offset": None}]}), 400,
                 "The partition for a sink connector offset cannot be null "
                 "or missing")

    # OffsetUtils.validateFormat (Kafka: a DataException, 500): 400.
    assert_error(patch(rest, "src", {"offsets": [
        {"partition": {"filename": {"a": 1}}, "offset": {"position": 1}}]}),
        400, "Offsets may only contain primitive types as values, but field "
        "filename contains MAP")
    assert_error(patch(rest, "src", {"offsets": [
        {"partition": {"filename": "f"}, "offset": {"position": [1]}}]}),
        400, "Offsets may only contain primitive types as values, but field "
        "position contains ARRAY")
    assert_error(patch(rest, "src", {"offsets": [
        {"offset": {"position": 1}}]}), 400,
        "The partition for a source connector offset cannot be null or "
        "missing")
    assert offsets(rest, "src") == []


def test_sink_null_offset_and_reset_without_delete_apis(tmp_path, worker,
                                                        mock_cluster):
    """The mock has neither OffsetDelete nor DeleteGroups: the partition is
    rewound to its first offset instead (README), and the log says so."""
    topic = "nd-topic"
    mock_cluster.create_topic(topic, 2)
    produce(mock_cluster.bootstrap, topic, ["a", "b", "c"])
    w, rest = rest_worker(worker)
    rest.wait_healthy()
    out = tmp_path / "out.txt"
    create(rest, "nd", file_sink("nd", out, topic))
    assert wait_until(lambda: len(read_lines(out)) == 3, timeout=60)
    stop(rest, "nd")
    # Numbers as strings are accepted, as in Kafka.
    assert_modified(patch_when_possible(rest, "nd", "PATCH", json={
        "offsets": [{"partition": {"kafka_topic": topic,
                                   "kafka_partition": "0"},
                     "offset": {"kafka_offset": "1"}},
                    {"partition": {"kafka_topic": topic,
                                   "kafka_partition": 1},
                     "offset": None}]}), "altered")
    got = {e["partition"]["kafka_partition"]: e["offset"]["kafka_offset"]
           for e in offsets(rest, "nd")}
    assert got == {0: 1, 1: 0}, got
    w.wait_for_log(r"WARN .*does not support OffsetDelete")
    assert_modified(patch_when_possible(rest, "nd", "DELETE"), "reset")
    got = {e["partition"]["kafka_partition"]: e["offset"]["kafka_offset"]
           for e in offsets(rest, "nd")}
    assert got == {0: 0, 1: 0}, got
    w.wait_for_log(r"WARN .*does not support DeleteGroups")


def test_sink_offsets_follow_consumer_overrides(tmp_path, worker,
                                                mock_cluster,
                                                mock_cluster_factory):
    other = mock_cluster_factory()
    topic = "ov-topic"
    other.create_topic(topic, 1)
    lines = numbered_lines(0, 5)
    produce(other.bootstrap, topic, lines)
    _, rest = rest_worker(worker)
    rest.wait_healthy()
    out = tmp_path / "out.txt"
    create(rest, "ov", file_sink("ov", out, topic, extra={
        "consumer.override.bootstrap.servers": other.bootstrap,
        "consumer.override.group.id": "custom-group"}))
    assert wait_until(lambda: read_lines(out) == lines, timeout=60), \
        read_lines(out)
    # GET: the group and cluster the task committed to.
    assert wait_until(lambda: offsets(rest, "ov") == sink_offsets(topic, 5),
                      timeout=60), offsets(rest, "ov")
    assert committed_offsets(other.bootstrap, "custom-group", topic) == {0: 5}

    stop(rest, "ov")
    assert_modified(patch_when_possible(rest, "ov", "PATCH", json={
        "offsets": sink_offsets(topic, 2)}), "altered")
    assert offsets(rest, "ov") == sink_offsets(topic, 2)
    assert committed_offsets(other.bootstrap, "custom-group", topic) == {0: 2}
    assert committed_offsets(other.bootstrap, "connect-ov", topic) == {}
    # The resumed task reads from there: lines 2.. come again.
    assert rest.put("/connectors/ov/resume").status_code == 202
    assert wait_until(lambda: read_lines(out) == lines + lines[2:],
                      timeout=60), read_lines(out)

    stop(rest, "ov")
    assert_modified(patch_when_possible(rest, "ov", "DELETE"), "reset")
    assert offsets(rest, "ov") == sink_offsets(topic, 0)
    assert committed_offsets(other.bootstrap, "custom-group", topic) == {0: 0}
