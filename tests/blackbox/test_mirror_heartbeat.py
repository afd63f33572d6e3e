"""MirrorHeartbeatConnector: heartbeats in the target's "heartbeats" topic
in Kafka's record format (Heartbeat.java: key {sourceClusterAlias,
targetClusterAlias}, value {version 0}{timestamp}), one every
emit.heartbeats.interval.seconds, none with emit.heartbeats.enabled=false;
and MirrorSourceConnector copying a cluster's heartbeats as
<alias>.heartbeats whatever its topic filter says, as Kafka does."""

import json

from harness import wait_until
from mirror_helpers import (decode_heartbeat_value, heartbeat_key,
                            internal_connector, mirror_connector,
                            produce_records, read_mirrored, record_count,
                            sample_records, two_clusters)
from rest_helpers import rest_worker, wait_state

HEARTBEAT = "org.apache.kafka.connect.mirror.MirrorHeartbeatConnector"


def test_heartbeats_format_interval_and_off(tmp_path, mock_cluster_factory,
                                            worker):
    clusters = two_clusters(mock_cluster_factory)
    w, rest = rest_worker(worker, [internal_connector(
        HEARTBEAT, "hb", clusters,
        extra={"emit.heartbeats.interval.seconds": "1"})],
        {"bootstrap.servers": clusters.b})
    assert wait_until(lambda: record_count(clusters.b, "heartbeats") >= 4,
                      60), w.log_text()
    got = read_mirrored(clusters.b, "heartbeats")
    assert {r.partition for r in got} == {0}
    stamps = []
    for r in got:
        assert r.key == heartbeat_key("A", "B") == b"\x00\x01A\x00\x01B"
        assert len(r.value) == 10
        version, ts = decode_heartbeat_value(r.value)
        assert version == 0
        # The record's timestamp is the heartbeat's.
        assert r.timestamp == ts
        assert r.headers == []
        stamps.append(ts)
    assert stamps == sorted(stamps)
    # One a second: four heartbeats span at least three intervals.
    assert stamps[3] - stamps[0] >= 2500, stamps

    # Disabled: the connector runs with no task, nothing more is written.
    r = rest.put("/connectors/hb/config", json=internal_connector(
        HEARTBEAT, "hb", clusters,
        extra={"emit.heartbeats.enabled": "false"}))
    assert r.status_code == 200, r.text
    wait_state(rest, "hb", "RUNNING", tasks=[], timeout=30)
    before = record_count(clusters.b, "heartbeats")
    assert not wait_until(
        lambda: record_count(clusters.b, "heartbeats") > before, 4)
    assert w.stop() == 0
    # Kafka's source partition, offset 0.
    stored = json.loads((tmp_path / "worker.offsets").read_text())
    assert [(e["partition"], e["offset"]) for e in stored["hb"]] == \
        [({"sourceClusterAlias": "A", "targetClusterAlias": "B"},
          {"offset": 0})], stored


def test_source_copies_heartbeats_as_alias_heartbeats(mock_cluster_factory,
                                                      worker):
    clusters = two_clusters(mock_cluster_factory)
    clusters.create_topic("A", "orders", 1)
    produce_records(clusters.a, "orders", sample_records(3, 1))
    # As Kafka's B->A herder: heartbeats into A (source alias B) ...
    worker([internal_connector(HEARTBEAT, "hb-into-a", clusters,
                               source="B", target="A")],
           {"bootstrap.servers": clusters.a}, name="on-a")
    # ... copied by A->B as A.heartbeats, though "topics" names only orders.
    w = worker([mirror_connector("mirror", clusters,
                                 {"topics": "orders",
                                  "refresh.topics.interval.seconds": "1"})],
               {"bootstrap.servers": clusters.b}, name="on-b")
    assert wait_until(lambda: record_count(clusters.b, "A.heartbeats") >= 2,
                      60), w.log_text()
    assert wait_until(lambda: record_count(clusters.b, "A.orders") == 3, 30)
    copied = read_mirrored(clusters.b, "A.heartbeats")
    origin = {r.value: r for r in read_mirrored(clusters.a, "heartbeats")}
    for r in copied:
        assert r.key == heartbeat_key("B", "A")
        assert origin[r.value].key == r.key
        assert origin[r.value].timestamp == r.timestamp
    # Heartbeats on B that came from B itself are never copied back to B.
    assert json.dumps(sorted(r.partition for r in copied)) == \
        json.dumps([0] * len(copied))
