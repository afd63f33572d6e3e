"""connect-mirror-maker with a MirrorMaker 2 properties file on one node:
the flow A->B (DefaultReplicationPolicy: "A.<topic>"), per-cluster and
per-flow keys, source offsets that survive a restart, B->A never copying
A's own records back (no cycles), and the refusals (flows into two
targets without --clusters, no flow); with Kafka's defaults, each flow's
checkpoints, group offset sync and heartbeats, including the heartbeats
into A of the pair B->A that carries no records, copied to B as
A.heartbeats."""

from harness import committed_offsets, wait_until, write_properties
from mirror_helpers import (as_produced, commit,
                            decode_checkpoint, heartbeat_key,
                            produce_records, read_mirrored, record_count,
                            run_mm, sample_records, two_clusters,
                            without_offsets)


def mm2_file(tmp_path, clusters, extra=None, name="mm2.properties"):
    props = {"clusters": "A, B",
             "A.bootstrap.servers": clusters.a,
             "B.bootstrap.servers": clusters.b,
             "A->B.enabled": "true",
             "A->B.topics": "orders, new-.*",
             "emit.heartbeats.enabled": "false",
             "emit.checkpoints.enabled": "false",
             "refresh.topics.interval.seconds": "2",
             "tasks.max": "2",
             "offset.storage.file.filename": str(tmp_path / "mm2.offsets")}
    props.update(extra or {})
    return write_properties(tmp_path / name, props)


def test_mm2_flow_a_to_b_and_restart(tmp_path, mock_cluster_factory,
                                     mm_factory):
    clusters = two_clusters(mock_cluster_factory)
    clusters.create_topic("A", "orders", 3)
    clusters.create_topic("A", "skipped", 1)
    clusters.create_topic("B", "A.orders", 3)
    first = sample_records(30, 3, "a")
    produce_records(clusters.a, "orders", first)
    produce_records(clusters.a, "skipped", sample_records(2, 1, "s"))
    path = mm2_file(tmp_path, clusters)
    mm = mm_factory([path])
    assert wait_until(lambda: record_count(clusters.b, "A.orders") >= 30,
                      60), mm.log_text()
    assert without_offsets(read_mirrored(clusters.b, "A.orders")) == \
        as_produced(first)
    assert record_count(clusters.b, "A.skipped") == 0
    # A new topic matching A->B.topics is picked up.
    clusters.create_topic("A", "new-x", 2)
    late = sample_records(4, 2, "n")
    produce_records(clusters.a, "new-x", late)
    assert wait_until(lambda: record_count(clusters.b, "A.new-x") >= 4, 60)
    assert mm.stop() == 0

    second = sample_records(9, 3, "b")
    produce_records(clusters.a, "orders", second)
    mm = mm_factory([path, "--clusters", "B"], name="mm-again")
    assert wait_until(lambda: record_count(clusters.b, "A.orders") >= 39,
                      60), mm.log_text()
    got = without_offsets(read_mirrored(clusters.b, "A.orders"))
    assert sorted(got, key=repr) == sorted(as_produced(first + second),
                                           key=repr)
    assert mm.stop() == 0


def test_mm2_both_ways_never_loops(tmp_path, mock_cluster_factory,
                                   mm_factory):
    clusters = two_clusters(mock_cluster_factory)
    clusters.create_topic("A", "t", 1)
    clusters.create_topic("B", "t", 1)
    clusters.create_topic("B", "A.t", 1)
    clusters.create_topic("A", "B.t", 1)
    produce_records(clusters.a, "t", sample_records(5, 1, "a"))
    produce_records(clusters.b, "t", sample_records(7, 1, "b"))
    extra = {"B->A.enabled": "true", "A->B.topics": ".*",
             "B->A.topics": ".*"}
    path = mm2_file(tmp_path, clusters, extra)
    to_b = mm_factory([path, "--clusters", "B"], name="to-b")
    path_a = mm2_file(tmp_path, clusters,
                      {**extra, "offset.storage.file.filename":
                       str(tmp_path / "to-a.offsets")}, name="mm2-a.properties")
    to_a = mm_factory([path_a, "--clusters", "A"], name="to-a")
    assert wait_until(lambda: record_count(clusters.b, "A.t") >= 5, 60), \
        to_b.log_text()
    assert wait_until(lambda: record_count(clusters.a, "B.t") >= 7, 60), \
        to_a.log_text()
    # Mirrored topics are not mirrored back: no "B.A.t", no "A.B.t", and
    # the counts stay (a few refreshes).
    import time
    time.sleep(5)
    assert record_count(clusters.a, "B.A.t") == 0
    assert record_count(clusters.b, "A.B.t") == 0
    assert record_count(clusters.b, "A.t") == 5
    assert record_count(clusters.a, "B.t") == 7
    assert to_b.stop() == 0 and to_a.stop() == 0


def test_mm2_refusals(tmp_path, mock_cluster_factory):
    clusters = two_clusters(mock_cluster_factory)
    rc, out = run_mm(tmp_path, [mm2_file(tmp_path, clusters,
                                         {"B->A.enabled": "true"})])
    assert rc == 1 and "rdconnect runs the flows into one target cluster " \
        "per process" in out, out
    rc, out = run_mm(tmp_path, [mm2_file(tmp_path, clusters,
                                         {"A->B.enabled": "false"})])
    assert rc == 1 and "no enabled flow" in out, out
    rc, out = run_mm(tmp_path, [mm2_file(tmp_path, clusters), "--clusters",
                                "A"])
    assert rc == 1 and "no enabled flow into --clusters" in out, out
    rc, out = run_mm(tmp_path, [mm2_file(tmp_path, clusters), "--whitelist",
                                "x"])
    assert rc == 2 and "takes only --clusters" in out, out


def test_mm2_defaults_checkpoints_sync_and_heartbeats(tmp_path,
                                                      mock_cluster_factory,
                                                      mm_factory):
    clusters = two_clusters(mock_cluster_factory)
    clusters.create_topic("A", "orders", 1)
    clusters.create_topic("B", "A.orders", 1)
    produce_records(clusters.a, "orders", sample_records(20, 1))
    commit(clusters.a, "app", "orders", {0: 20})
    # emit.checkpoints.enabled and emit.heartbeats.enabled left to Kafka's
    # default (true); sync.group.offsets.enabled asked for.
    path = mm2_file(tmp_path, clusters, {
        "emit.heartbeats.enabled": None, "emit.checkpoints.enabled": None,
        "groups": "app", "emit.checkpoints.interval.seconds": "1",
        "emit.heartbeats.interval.seconds": "1",
        "sync.group.offsets.enabled": "true",
        "sync.group.offsets.interval.seconds": "1"})
    to_b = mm_factory([path, "--clusters", "B"], name="to-b")
    # --clusters A: no flow into A is enabled, but the pair B->A has
    # heartbeats (Kafka runs its MirrorHeartbeatConnector too).
    to_a = mm_factory([path, "--clusters", "A"], name="to-a")
    assert wait_until(lambda: record_count(clusters.b, "A.orders") >= 20,
                      60), to_b.log_text()

    def checkpoint():
        if not record_count(clusters.b, "A.checkpoints.internal"):
            return None
        return [decode_checkpoint(r.key, r.value) for r in
                read_mirrored(clusters.b, "A.checkpoints.internal")][-1]
    assert wait_until(lambda: checkpoint() == ("app", "A.orders", 0, 20, 20,
                                               ""), 60), to_b.log_text()

    assert wait_until(lambda: committed_offsets(
        clusters.b, "app", "A.orders") == {0: 20}, 30)
    # Heartbeats of A->B into B, of B->A into A, and A's copied to B.
    assert wait_until(lambda: record_count(clusters.b, "heartbeats") >= 2,
                      30), to_b.log_text()
    assert {r.key for r in read_mirrored(clusters.b, "heartbeats")} == \
        {heartbeat_key("A", "B")}
    assert wait_until(lambda: record_count(clusters.a, "heartbeats") >= 2,
                      30), to_a.log_text()
    assert {r.key for r in read_mirrored(clusters.a, "heartbeats")} == \
        {heartbeat_key("B", "A")}
    assert wait_until(
        lambda: record_count(clusters.b, "A.heartbeats") >= 1, 60)
    assert to_b.stop() == 0 and to_a.stop() == 0
