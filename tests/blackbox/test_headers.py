"""Headers through the record pipeline (ABI 1.1): typed source headers are
written by the header converter (default SimpleHeaderConverter), raw ones
pass as they are; converters see the headers (HeaderEchoConverter writes
what it got into the value); on the way to a sink the header converter
types them again."""

from harness import (PLUGINS_DIR, TEST_PLUGINS_GOOD_DIR, connector,
                     consume_records, read_lines, topic_record_count,
                     wait_until)

PLUGIN_PATH = f"{PLUGINS_DIR},{TEST_PLUGINS_GOOD_DIR}"
ECHO = "com.example.test.HeaderEchoConverter"
RECORDS = 20


def test_headers_reach_converters_both_ways(tmp_path, mock_cluster, worker):
    topic = "with-headers"
    mock_cluster.create_topic(topic, 1)
    out = tmp_path / "sink.txt"
    source = connector("hsource", "TestSource",
                       {"topic": topic, "test.records": str(RECORDS),
                        "test.headers": "true", "value.converter": ECHO})
    sink = connector("hsink", "FileStreamSink",
                     {"topics": topic, "file": str(out),
                      "value.converter": ECHO})
    w = worker([source, sink], {"plugin.path": PLUGIN_PATH})
    assert wait_until(lambda: topic_record_count(mock_cluster.bootstrap,
                                                 topic) >= RECORDS, 60)
    records = consume_records(mock_cluster.bootstrap, topic)
    assert len(records) == RECORDS
    for seq, rec in enumerate(records):
        even = "true" if seq % 2 == 0 else "false"
        # SimpleHeaderConverter's string forms; the raw header unchanged.
        assert rec.headers == [("seq", str(seq).encode()),
                               ("name", f"n-{seq}".encode()),
                               ("even", even.encode()),
                               ("raw", f"r-{seq}".encode())]
        # The value converter saw those serialized headers.
        assert rec.value == (f"record-0-{seq}|seq={seq},name=n-{seq},"
                             f"even={even},raw=r-{seq}").encode()

    assert wait_until(lambda: len(read_lines(out)) >= RECORDS, 60)
    lines = read_lines(out)
    assert len(lines) == RECORDS
    for seq, line in enumerate(lines):
        even = "true" if seq % 2 == 0 else "false"
        small = "INT8" if seq < 128 else "INT16"
        # The sink's converter got the headers typed by the header
        # converter (Values.parseString's inference; "r-5" stays text).
        assert line == (f"record-0-{seq}|seq={seq},name=n-{seq},"
                        f"even={even},raw=r-{seq}|seq:{small}:{seq},"
                        f"name:STRING:n-{seq},even:BOOLEAN:{even},"
                        f"raw:STRING:r-{seq}")
    assert w.stop() == 0


def test_header_converter_config(tmp_path, mock_cluster, worker):
    """header.converter: the worker's, or the connector's override."""
    topic = "string-headers"
    mock_cluster.create_topic(topic, 1)
    out = tmp_path / "sink.txt"
    source = connector("ssource", "TestSource",
                       {"topic": topic, "test.records": "3",
                        "test.headers": "true"})
    sink = connector("ssink", "FileStreamSink",
                     {"topics": topic, "file": str(out),
                      "value.converter": ECHO,
                      "header.converter":
                          "org.apache.kafka.connect.storage.StringConverter"})
    w = worker([source, sink], {"plugin.path": PLUGIN_PATH,
                                "header.converter": "SimpleHeaderConverter"})
    assert wait_until(lambda: len(read_lines(out)) >= 3, 60)
    # StringConverter types every header as a string.
    assert read_lines(out)[1] == (
        "record-0-1|seq:STRING:1,name:STRING:n-1,even:STRING:false,"
        "raw:STRING:r-1")
    assert w.stop() == 0
    # An unknown header converter is refused up front.
    bad = connector("bad", "TestSource",
                    {"topic": "x", "header.converter": "NoSuchConverter"})
    w2 = worker([bad], {"plugin.path": PLUGIN_PATH}, name="w2", start=False)
    w2.start()
    w2.wait_for_log(r"header\.converter.*NoSuchConverter", timeout=30)
    w2.stop()


def test_json_and_number_converters_are_header_converters(tmp_path,
                                                           mock_cluster,
                                                           worker):
    """As in Kafka, JsonConverter (with its header.converter.* settings)
    and the number converters convert headers too."""
    topic = "json-headers"
    mock_cluster.create_topic(topic, 1)
    source = connector("jsource", "TestSource",
                       {"topic": topic, "test.records": "3",
                        "test.headers": "true",
                        "header.converter": "JsonConverter",
                        "header.converter.schemas.enable": "false"})
    w = worker([source], {"plugin.path": PLUGIN_PATH})
    assert wait_until(lambda: topic_record_count(mock_cluster.bootstrap,
                                                 topic) >= 3, 60)
    records = consume_records(mock_cluster.bootstrap, topic)
    assert records[1].headers == [("seq", b"1"), ("name", b'"n-1"'),
                                  ("even", b"false"), ("raw", b"r-1")]
    assert w.stop() == 0

