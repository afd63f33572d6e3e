"""Kafka's quickstart: file -> FileStreamSource -> topic -> FileStreamSink."""

from harness import (file_sink, file_source, read_lines, topic_record_count,
                     wait_until, write_lines)

LINE_COUNT = 1000


def quickstart_lines():
    """1000 distinct lines: ASCII, accents, CJK, emoji, tabs, a long one."""
    samples = ["plain ascii", "grüße aus Köln", "日本語のテキスト",
               "emoji 🚀🎉", "tab\tseparated\tvalues", "x" * 5000,
               "ελληνικά και русский", "quote \" and backslash \\"]
    return [f"{i:04d} {samples[i % len(samples)]}" for i in range(LINE_COUNT)]


def test_file_to_topic_to_file(tmp_path, mock_cluster, worker):
    topic = "connect-test"
    mock_cluster.create_topic(topic, 1)
    lines = quickstart_lines()
    source_file = tmp_path / "test.txt"
    sink_file = tmp_path / "test.sink.txt"
    write_lines(source_file, lines)

    w = worker([file_source("local-file-source", source_file, topic),
                file_sink("local-file-sink", sink_file, topic)])

    assert wait_until(lambda: len(read_lines(sink_file)) >= LINE_COUNT,
                      timeout=60), \
        f"sink file has {len(read_lines(sink_file))} of {LINE_COUNT} lines"
    assert topic_record_count(mock_cluster.bootstrap, topic) == LINE_COUNT
    assert w.stop() == 0
    assert sink_file.read_text(encoding="utf-8") == \
        "".join(line + "\n" for line in lines)
