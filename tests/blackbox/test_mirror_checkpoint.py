"""Offset syncs and checkpoints, in Kafka's record formats: the
MirrorSourceConnector's OffsetSync records in mm2-offset-syncs.<target>
.internal (on the source by default, offset-syncs.topic.location=target
puts mm2-offset-syncs.<source>.internal on the target), sent as Kafka's
OffsetSyncWriter does (first record, every offset.lag.max, the last one
at an offset commit); MirrorCheckpointConnector's Checkpoint records in
<source>.checkpoints.internal, translated as Kafka's OffsetSyncStore does
(never ahead of what was mirrored), and sync.group.offsets.enabled
committing the translated offsets into the target's group."""

from confluent_kafka import Consumer, TopicPartition

from harness import wait_until
from mirror_helpers import (decode_checkpoint, decode_offset_sync,
                            internal_connector, mirror_connector,
                            produce_records, read_mirrored, record_count,
                            sample_records, two_clusters)
from rest_helpers import assert_error, rest_worker

CHECKPOINT = "org.apache.kafka.connect.mirror.MirrorCheckpointConnector"


def offset_syncs(bootstrap, topic):
    return [decode_offset_sync(r.key, r.value)
            for r in read_mirrored(bootstrap, topic)]


def commit(bootstrap, group, topic, offsets):
    """Commits {partition: offset} for group (no member: as a tool)."""
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": group,
                  "enable.auto.commit": False})
    try:
        c.commit(offsets=[TopicPartition(topic, p, o)
                          for p, o in offsets.items()], asynchronous=False)
    finally:
        c.close()


def committed(bootstrap, group, topic, partitions):
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": group,
                  "enable.auto.commit": False})
    try:
        got = c.committed([TopicPartition(topic, p) for p in partitions],
                          timeout=10)
        return {tp.partition: tp.offset for tp in got}
    finally:
        c.close()


def test_offset_syncs_format_and_lag(mock_cluster_factory, worker):
    clusters = two_clusters(mock_cluster_factory)
    clusters.create_topic("A", "orders", 2)
    clusters.create_topic("B", "A.orders", 2)
    recs = [(0, b"k", b"v%d" % i, [], 1_600_000_000_000 + i)
            for i in range(250)]
    recs += [(1, b"k", b"w%d" % i, [], 1_600_000_000_000 + i)
             for i in range(10)]
    produce_records(clusters.a, "orders", recs)
    w = worker([mirror_connector("mirror", clusters)],
               {"bootstrap.servers": clusters.b})
    assert wait_until(lambda: record_count(clusters.b, "A.orders") >= 260,
                      60), w.log_text()
    topic = "mm2-offset-syncs.B.internal"

    def last_syncs():
        got = offset_syncs(clusters.a, topic) \
            if record_count(clusters.a, topic) else []
        last = {}
        for t, p, up, down in got:
            last[(t, p)] = (up, down)
        return got if last == {("orders", 0): (249, 249),
                               ("orders", 1): (9, 9)} else None
    got = wait_until(last_syncs, 30)
    assert got, offset_syncs(clusters.a, topic)
    p0 = [(up, down) for t, p, up, down in got if p == 0]
    # The first record, then each time the translation would lag by
    # offset.lag.max (100), then the last one at an offset commit.
    assert p0[0] == (0, 0), got
    assert (101, 101) in p0 and (202, 202) in p0
    assert p0 == sorted(p0) and all(up == down for up, down in p0)
    assert read_mirrored(clusters.a, topic)[0].partition == 0
    assert w.stop() == 0


def test_offset_syncs_on_target(mock_cluster_factory, worker):
    clusters = two_clusters(mock_cluster_factory)
    clusters.create_topic("A", "orders", 1)
    clusters.create_topic("B", "A.orders", 1)
    produce_records(clusters.a, "orders", sample_records(5, 1))
    worker([mirror_connector("mirror", clusters,
                             {"offset-syncs.topic.location": "target"})],
           {"bootstrap.servers": clusters.b})
    topic = "mm2-offset-syncs.A.internal"
    assert wait_until(
        lambda: record_count(clusters.b, topic) and
        offset_syncs(clusters.b, topic)[-1] == ("orders", 0, 4, 4), 60)
    assert record_count(clusters.a, "mm2-offset-syncs.B.internal") == 0
