"""Plugins built against the ABI 1.0 header (tests/abi10, an exact copy of
the first release) run unchanged on this host: their smaller records,
headers and vtables are read and built with their 1.0 sizes."""

import time

from confluent_kafka import OFFSET_BEGINNING, TopicPartition

import harness
from harness import PLUGINS_DIR, BUILD_DIR, connector, wait_until

ABI10_DIR = BUILD_DIR / "test-plugins-abi10"
RECORDS = 100


def consume_with_timestamps(bootstrap, topic, partitions, count):
    """(partition, offset, timestamp, key, value, headers) of count
    records."""
    consumer = harness._consumer(bootstrap)
    got = []
    try:
        consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING)
                         for p in range(partitions)])
        deadline = time.monotonic() + 30
        while len(got) < count and time.monotonic() < deadline:
            for msg in consumer.consume(num_messages=500, timeout=0.5):
                assert not msg.error(), msg.error()
                got.append((msg.partition(), msg.offset(),
                            msg.timestamp()[1], msg.key(), msg.value(),
                            list(msg.headers() or [])))
    finally:
        consumer.close()
    return got


def test_abi10_source_sink_and_converter(tmp_path, mock_cluster, worker):
    topic = "abi10-topic"
    mock_cluster.create_topic(topic, 2)
    out = tmp_path / "sink.txt"
    conv = "com.example.abi10.Abi10Converter"
    source = connector("abi10-source", "Abi10Source",
                       {"topic": topic, "test.records": str(RECORDS),
                        "value.converter": conv})
    sink = connector("abi10-sink", "Abi10Sink",
                     {"topics": topic, "file": str(out),
                      "value.converter": conv})
    w = worker([source, sink],
               {"plugin.path": f"{PLUGINS_DIR},{ABI10_DIR}"})
    for cls in ("Abi10Source", "Abi10Sink", "Abi10Converter"):
        w.wait_for_log(rf"Loaded plugin com\.example\.abi10\.{cls} ")

    records = consume_with_timestamps(mock_cluster.bootstrap, topic, 2,
                                      RECORDS)
    assert len(records) == RECORDS
    seen = set()
    for partition, offset, ts, key, value, headers in records:
        seq = int(key.decode().split("-")[1])
        seen.add(seq)
        assert partition == seq % 2
        assert key == f"k-{seq}".encode()
        assert value == f"abi10:v-{seq}".encode()
        assert ts == 1600000000000 + seq
        assert headers == [("seq", str(seq).encode()), ("none", None)]
    assert seen == set(range(RECORDS))
    # In order within each partition.
    for p in (0, 1):
        seqs = [int(r[3].decode().split("-")[1]) for r in records
                if r[0] == p]
        assert seqs == sorted(seqs)
    by_key = {r[3].decode(): r for r in records}

    def lines():
        return out.read_text().splitlines() if out.exists() else []

    assert wait_until(lambda: len(lines()) >= RECORDS, timeout=60), \
        f"sink wrote {len(lines())} lines"
    written = lines()
    assert len(written) == RECORDS
    for line in written:
        t, p, off, ts, key, value, hdrs = line.split("|")
        partition, offset, timestamp = by_key[key][:3]
        seq = int(key.split("-")[1])
        assert (t, int(p), int(off), int(ts)) == \
            (topic, partition, offset, timestamp)
        assert value == f"v-{seq}"
        assert hdrs == f"seq={seq},none=null"
    assert w.stop() == 0
