"""connect-mirror-maker with a MirrorMaker 2 properties file on one node:
the flow A->B (DefaultReplicationPolicy: "A.<topic>"), per-cluster and
per-flow keys, source offsets that survive a restart, B->A never copying
A's own records back (no cycles), and the refusals (flows into two
targets without --clusters, checkpoints/heartbeats asked for, no flow)."""

from harness import wait_until, write_properties
from mirror_helpers import (as_produced, produce_records,
                            read_mirrored, record_count, run_mm,
                            sample_records, two_clusters, without_offsets)


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
                                         {"emit.checkpoints.enabled":
                                          "true"})])
    assert rc == 1 and "MirrorCheckpointConnector are not built" in out, out
    rc, out = run_mm(tmp_path, [mm2_file(tmp_path, clusters,
                                         {"A->B.enabled": "false"})])
    assert rc == 1 and "no enabled flow" in out, out
    rc, out = run_mm(tmp_path, [mm2_file(tmp_path, clusters), "--clusters",
                                "A"])
    assert rc == 1 and "no enabled flow into --clusters" in out, out
    rc, out = run_mm(tmp_path, [mm2_file(tmp_path, clusters), "--whitelist",
                                "x"])
    assert rc == 2 and "takes only --clusters" in out, out
