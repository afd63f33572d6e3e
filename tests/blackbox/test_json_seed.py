"""JsonConverter output of a file source, byte for byte, and read back."""

import json

from harness import (JSON_CONVERTER, STRING_CONVERTER, consume_all,
                     file_sink, file_source, read_lines, topic_record_count,
                     wait_until, write_lines)

ENVELOPE = b'{"schema":{"type":"string","optional":false},"payload":"hello"}'
LINES = ["hello", 'say "hi" to grüße ☕', "back\\slash"]


def json_worker(worker, connectors, **extra_props):
    props = {"key.converter": JSON_CONVERTER,
             "value.converter": JSON_CONVERTER}
    props.update(extra_props)
    return worker(connectors, props)


def wait_for_records(bootstrap, topic, count):
    assert wait_until(lambda: topic_record_count(bootstrap, topic) >= count,
                      timeout=60), f"{topic} never got {count} records"
    records = consume_all(bootstrap, topic)
    assert len(records) == count
    return records


def test_schema_envelope(tmp_path, mock_cluster, worker):
    topic = "json-test"
    mock_cluster.create_topic(topic, 1)
    source_file = tmp_path / "in.txt"
    sink_file = tmp_path / "out.txt"
    write_lines(source_file, LINES)

    sink = file_sink("string-sink", sink_file, topic,
                     {"value.converter": STRING_CONVERTER})
    w = json_worker(worker, [file_source("json-source", source_file, topic),
                             sink])

    records = wait_for_records(mock_cluster.bootstrap, topic, len(LINES))
    key, value, _ = records[0]
    assert key is None
    assert value == ENVELOPE
    for (key, value, _), line in zip(records, LINES):
        assert key is None
        assert json.loads(value) == {
            "schema": {"type": "string", "optional": False},
            "payload": line}

    # The sink reads the envelope back as plain text, one line per record.
    assert wait_until(lambda: len(read_lines(sink_file)) >= len(LINES),
                      timeout=60)
    assert w.stop() == 0
    out = read_lines(sink_file)
    assert out[0] == ENVELOPE.decode()
    assert [json.loads(v)["payload"] for v in out] == LINES


def test_schemas_disabled(tmp_path, mock_cluster, worker):
    topic = "json-plain"
    mock_cluster.create_topic(topic, 1)
    source_file = tmp_path / "in.txt"
    write_lines(source_file, LINES)

    w = json_worker(worker, [file_source("json-source", source_file, topic)],
                    **{"value.converter.schemas.enable": "false"})

    records = wait_for_records(mock_cluster.bootstrap, topic, len(LINES))
    assert records[0][0] is None
    assert records[0][1] == b'"hello"'
    assert [json.loads(value) for _, value, _ in records] == LINES
    assert w.stop() == 0


def test_connector_converter_settings_need_the_connector_class(
        tmp_path, mock_cluster, worker):
    """As in Kafka's Worker: value.converter.schemas.enable=false in a
    connector without its own value.converter changes nothing (the
    worker's converter keeps the worker's settings; a warning says so);
    with its own value.converter it applies."""
    mock_cluster.create_topic("ignored", 1)
    mock_cluster.create_topic("applied", 1)
    source_file = tmp_path / "in.txt"
    write_lines(source_file, LINES[:1])
    ignored = file_source("ignored", source_file, "ignored",
                          {"value.converter.schemas.enable": "false"})
    applied = file_source("applied", source_file, "applied",
                          {"value.converter": JSON_CONVERTER,
                           "value.converter.schemas.enable": "false"})
    w = json_worker(worker, [ignored, applied])
    assert wait_for_records(mock_cluster.bootstrap, "ignored",
                            1)[0][1] == ENVELOPE
    assert wait_for_records(mock_cluster.bootstrap, "applied",
                            1)[0][1] == b'"hello"'
    w.wait_for_log(r"value\.converter\.schemas\.enable\.\.\. ignored")
    assert w.stop() == 0
