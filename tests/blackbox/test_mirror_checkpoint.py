"""Offset syncs and checkpoints, in Kafka's record formats: the
MirrorSourceConnector's OffsetSync records in mm2-offset-syncs.<target>
.internal (on the source by default, offset-syncs.topic.location=target
puts mm2-offset-syncs.<source>.internal on the target), sent as Kafka's
OffsetSyncWriter does (first record, every offset.lag.max, the last one
at an offset commit); MirrorCheckpointConnector's Checkpoint records in
<source>.checkpoints.internal, translated as Kafka's OffsetSyncStore does
(never ahead of what was mirrored), and sync.group.offsets.enabled
committing the translated offsets into the target's group."""

from confluent_kafka import Consumer, KafkaException

from harness import committed_offsets, wait_until
from mirror_helpers import (commit, decode_checkpoint,
                            decode_offset_sync,
                            internal_connector, mirror_connector,
                            produce_records, read_mirrored, record_count,
                            sample_records, two_clusters)
from rest_helpers import assert_error, rest_worker

CHECKPOINT = "org.apache.kafka.connect.mirror.MirrorCheckpointConnector"


def offset_syncs(bootstrap, topic):
    return [decode_offset_sync(r.key, r.value)
            for r in read_mirrored(bootstrap, topic)]


def offset_syncs_now(bootstrap, topic):
    """The syncs so far; [] while the topic is not there to read yet."""
    try:
        return offset_syncs(bootstrap, topic) \
            if record_count(bootstrap, topic) else []
    except (AssertionError, KafkaException):
        return []


# 250 records on partition 0, 10 on partition 1.
RECORDS_250_10 = [(0, b"k", b"v%d" % i, [], 1_600_000_000_000 + i)
                  for i in range(250)] + \
    [(1, b"k", b"w%d" % i, [], 1_600_000_000_000 + i) for i in range(10)]


def test_offset_syncs_format_and_lag(mock_cluster_factory, worker):
    clusters = two_clusters(mock_cluster_factory)
    clusters.create_topic("A", "orders", 2)
    clusters.create_topic("B", "A.orders", 2)
    produce_records(clusters.a, "orders", RECORDS_250_10)
    w = worker([mirror_connector("mirror", clusters)],
               {"bootstrap.servers": clusters.b})
    assert wait_until(lambda: record_count(clusters.b, "A.orders") >= 260,
                      60), w.log_text()
    topic = "mm2-offset-syncs.B.internal"

    def last_syncs():
        got = offset_syncs_now(clusters.a, topic)
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
    assert wait_until(lambda: offset_syncs_now(clusters.b, topic)[-1:] ==
                      [("orders", 0, 4, 4)], 60)
    assert record_count(clusters.a, "mm2-offset-syncs.B.internal") == 0


def kafka_translate(syncs, upstream):
    """OffsetSyncStore.translateDownstream over the syncs of one partition
    as written (the newest sync at or before upstream; +1 past it)."""
    best = None
    for up, down in syncs:
        if up <= upstream:
            best = (up, down)
    if best is None:
        return None
    return best[1] + (0 if best[0] == upstream else 1)


def checkpoints(bootstrap):
    topic = "A.checkpoints.internal"
    if not record_count(bootstrap, topic):
        return []
    return [decode_checkpoint(r.key, r.value)
            for r in read_mirrored(bootstrap, topic)]


def test_checkpoints_and_group_offset_sync(mock_cluster_factory, worker):
    clusters = two_clusters(mock_cluster_factory)
    clusters.create_topic("A", "orders", 2)
    clusters.create_topic("B", "A.orders", 2)
    produce_records(clusters.a, "orders", RECORDS_250_10)
    # Groups on the source: app mid-way on 0 and at the end of 1; busy is
    # also consuming on the target; skip-me is excluded.
    for group in ("app", "busy", "skip-me"):
        commit(clusters.a, group, "orders", {0: 150, 1: 10})
    active = Consumer({"bootstrap.servers": clusters.b, "group.id": "busy",
                       "enable.auto.commit": False,
                       "session.timeout.ms": 60000})
    active.subscribe(["A.orders"])
    assert wait_until(lambda: active.poll(0.2) is None and
                      active.assignment(), 30)
    w = worker([mirror_connector("mirror", clusters),
                internal_connector(CHECKPOINT, "cp", clusters, extra={
                    "groups": "app, busy, skip-me",
                    "groups.exclude": "skip-.*",
                    "emit.checkpoints.interval.seconds": "1",
                    "sync.group.offsets.enabled": "true",
                    "sync.group.offsets.interval.seconds": "1"})],
               {"bootstrap.servers": clusters.b})
    assert wait_until(lambda: record_count(clusters.b, "A.orders") >= 260,
                      60), w.log_text()

    def both(group):
        last = {}
        for g, topic, p, up, down, meta in checkpoints(clusters.b):
            if g == group:
                last[(topic, p)] = (up, down, meta)
        return last if len(last) == 2 else None
    got = wait_until(lambda: both("app"), 60)
    assert got, w.log_text()
    syncs = [(up, down) for t, p, up, down in
             offset_syncs(clusters.a, "mm2-offset-syncs.B.internal")
             if p == 0]
    want0 = kafka_translate(syncs, 150)
    # Never ahead of what was mirrored (upstream 150 is downstream 150
    # here), at most offset.lag.max behind.
    assert 150 - 100 < want0 <= 150
    assert got[("A.orders", 0)] == (150, want0, "")
    assert got[("A.orders", 1)] == (10, 10, "")  # at the end: exact
    print(f"failed-over consumer re-reads {150 - want0} record(s) of "
          f"partition 0 (offset.lag.max=100) and 0 of partition 1")
    groups = {c[0] for c in checkpoints(clusters.b)}
    assert groups == {"app", "busy"}, groups

    # The translated offsets are committed into app on the target; busy is
    # active there, so its offsets are left alone.
    assert wait_until(lambda: committed_offsets(
        clusters.b, "app", "A.orders") == {0: want0, 1: 10}, 30)
    assert wait_until(lambda: both("busy"), 30)
    assert committed_offsets(clusters.b, "busy", "A.orders") == \
        {}
    active.close()

    # A group that moves on upstream gets a new checkpoint; the group on
    # the target moves forwards with it.
    commit(clusters.a, "app", "orders", {0: 250})
    assert wait_until(lambda: both("app") and
                      both("app")[("A.orders", 0)] == (250, 250, ""), 30)
    assert wait_until(lambda: committed_offsets(
        clusters.b, "app", "A.orders") == {0: 250, 1: 10}, 30)
    assert w.stop() == 0


def test_checkpoint_refusals(mock_cluster_factory, worker):
    clusters = two_clusters(mock_cluster_factory)
    w, rest = rest_worker(worker, props={"bootstrap.servers": clusters.b})
    conf = internal_connector(CHECKPOINT, "cp", clusters, extra={
        "offset-syncs.topic.location": "elsewhere"})
    msg = assert_error(rest.put("/connectors/cp/config", json=conf), 400)
    assert "offset-syncs.topic.location" in msg, msg
    conf = internal_connector(CHECKPOINT, "cp", clusters, extra={
        "emit.checkpoints.interval.seconds": "0"})
    msg = assert_error(rest.put("/connectors/cp/config", json=conf), 400)
    assert "emit.checkpoints.interval.seconds" in msg, msg
