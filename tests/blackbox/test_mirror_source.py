"""MirrorSourceConnector in a standalone worker whose Kafka is the target
cluster B, mirroring from cluster A: records byte-exact (partition, key,
value, headers, timestamp), Kafka's source offsets in the worker's offset
store and a restart that resumes from them, both replication policies, a
target with fewer partitions, new topics picked up, and the refusals
(self-mirror, the features not built yet, a converter that re-encodes)."""

import json

from harness import topic_partitions, wait_until
from mirror_helpers import (BYTEARRAY, as_produced, mirror_connector,
                            produce_records, read_mirrored, record_count,
                            sample_records, two_clusters, without_offsets)
from rest_helpers import assert_error, rest_worker, wait_state


def test_records_byte_exact_offsets_and_resume(tmp_path,
                                               mock_cluster_factory, worker):
    clusters = two_clusters(mock_cluster_factory)
    clusters.create_topic("A", "orders", 3)
    # The mock has no CreateTopics (librdkafka 2.0.2): a missing target
    # topic is auto-created with the mock's partition count (see the new
    # topic in the next test), so this one exists already.
    clusters.create_topic("B", "A.orders", 3)
    first = sample_records(30, 3, "a")
    produce_records(clusters.a, "orders", first)
    w = worker([mirror_connector("mirror", clusters)],
               {"bootstrap.servers": clusters.b})
    # DefaultReplicationPolicy: "<source alias>.<topic>", partitions kept.
    assert wait_until(lambda: record_count(clusters.b, "A.orders") >= 30, 60)
    assert topic_partitions(clusters.b, "A.orders") == [0, 1, 2]
    assert without_offsets(read_mirrored(clusters.b, "A.orders")) == \
        as_produced(first)
    assert w.stop() == 0

    # Kafka's offset format: the last mirrored record's offset per
    # source partition.
    stored = json.loads((tmp_path / "worker.offsets").read_text())
    flat = json.dumps(stored)
    for p in range(3):
        assert ('{"cluster":"A","partition":%d,"topic":"orders"}' % p) \
            in flat.replace(" ", "").replace('\\"', '"'), flat

    # A restart resumes after the stored offsets: nothing twice.
    second = sample_records(12, 3, "b")
    produce_records(clusters.a, "orders", second)
    w.start()
    assert wait_until(lambda: record_count(clusters.b, "A.orders") >= 42, 60)
    got = without_offsets(read_mirrored(clusters.b, "A.orders"))
    assert len(got) == 42
    assert sorted(got, key=repr) == sorted(as_produced(first + second),
                                           key=repr)


def test_identity_policy_fewer_target_partitions_new_topic(
        mock_cluster_factory, worker):
    clusters = two_clusters(mock_cluster_factory)
    clusters.create_topic("A", "events", 4)
    clusters.create_topic("B", "events", 2)  # fewer: the key decides
    recs = sample_records(20, 4, "e")
    produce_records(clusters.a, "events", recs)
    w = worker([mirror_connector(
        "mirror", clusters,
        {"replication.policy.class":
         "org.apache.kafka.connect.mirror.IdentityReplicationPolicy",
         "topics": "events, new-.*", "refresh.topics.interval.seconds": "2"})],
        {"bootstrap.servers": clusters.b})
    assert wait_until(lambda: record_count(clusters.b, "events") >= 20, 60)
    got = read_mirrored(clusters.b, "events")
    assert topic_partitions(clusters.b, "events") == [0, 1]
    assert sorted(((r.key, r.value, r.headers, r.timestamp) for r in got),
                  key=repr) == \
        sorted(((k, v, h, ts) for _, k, v, h, ts in recs), key=repr)
    w.wait_for_log(r"Target topic events has 2 partition\(s\), fewer than "
                   r"source topic events \(4\): the record key decides")

    # A topic created later that matches "topics" is mirrored within
    # refresh.topics.interval.seconds; one that does not is not.
    clusters.create_topic("A", "new-one", 2)
    clusters.create_topic("A", "other", 1)
    late = sample_records(6, 2, "n")
    produce_records(clusters.a, "new-one", late)
    produce_records(clusters.a, "other", sample_records(3, 1, "o"))
    assert wait_until(lambda: record_count(clusters.b, "new-one") >= 6, 60)
    assert without_offsets(read_mirrored(clusters.b, "new-one")) == \
        as_produced(late)
    assert topic_partitions(clusters.b, "other") == []


def test_refusals(mock_cluster_factory, worker):
    clusters = two_clusters(mock_cluster_factory)
    w, rest = rest_worker(worker, props={"bootstrap.servers": clusters.b})

    # Mirroring a cluster into itself loops: the connector fails, saying so.
    same = mirror_connector("self", clusters,
                            {"source.cluster.bootstrap.servers": clusters.b})
    r = rest.put("/connectors/self/config", json=same)
    assert r.status_code == 201, r.text
    body = wait_state(rest, "self", "FAILED", timeout=60)
    assert "Refusing to mirror Kafka cluster" in body["connector"]["trace"]
    assert "into itself" in body["connector"]["trace"]

    # A converter that re-encodes would change every record.
    conf = mirror_connector(
        "json", clusters,
        {"value.converter": "org.apache.kafka.connect.json.JsonConverter"})
    msg = assert_error(rest.put("/connectors/json/config", json=conf), 400)
    assert f"value.converter must be {BYTEARRAY}" in msg, msg

    # Features of MirrorSourceConnector not built: refused unless off.
    conf = mirror_connector("acls", clusters,
                            {"sync.topic.acls.enabled": "true"})
    msg = assert_error(rest.put("/connectors/acls/config", json=conf), 400)
    assert "sync.topic.acls.enabled=true is not supported by rdconnect " \
        "yet" in msg, msg
    conf["sync.topic.acls.enabled"] = "false"
    assert rest.put("/connectors/acls/config", json=conf).status_code == 201
    # A location other than source or target is refused naming the key.
    conf = mirror_connector("loc", clusters,
                            {"offset-syncs.topic.location": "there"})
    msg = assert_error(rest.put("/connectors/loc/config", json=conf), 400)
    assert "offset-syncs.topic.location" in msg, msg
