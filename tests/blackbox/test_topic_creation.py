"""Source topics that do not exist yet.

The worker creates them (Admin API on a real cluster, with the connector's
topic.creation.default.* settings); where it cannot, it falls back to the
broker's automatic creation. The librdkafka mock auto-creates any topic a
metadata request names (4 partitions), so the Admin path itself can only be
observed with the embedded cluster, where the worker creates topics
directly."""

from harness import (consume_all, file_source, topic_partitions,
                     topic_record_count, wait_until, write_lines)
from rest_helpers import create, rest_worker

ROWS = [f"row {i}" for i in range(20)]


def assert_delivered(bootstrap, topic):
    assert wait_until(lambda: topic_record_count(bootstrap, topic) >= 20,
                      timeout=60)
    values = [v for _k, v, _h in consume_all(bootstrap, topic)]
    assert sorted(values) == sorted(r.encode() for r in ROWS)


def test_embedded_creates_topic_with_configured_partitions(tmp_path,
                                                           worker):
    source_file = tmp_path / "in.txt"
    write_lines(source_file, ROWS)
    w = worker([file_source("creator", source_file, "created-3",
                            {"topic.creation.default.partitions": "3"})],
               {"bootstrap.servers": "embedded"})
    bootstrap = w.wait_for_log(r"in-process Kafka .* at (\S+)\.",
                               timeout=30).group(1)
    assert_delivered(bootstrap, "created-3")
    assert topic_partitions(bootstrap, "created-3") == [0, 1, 2]
    assert w.stop() == 0


def test_topic_missing_on_cluster(tmp_path, mock_cluster, worker):
    source_file = tmp_path / "in.txt"
    write_lines(source_file, ROWS)
    w = worker([file_source("creator", source_file, "not-pre-created")])
    assert_delivered(mock_cluster.bootstrap, "not-pre-created")
    assert w.stop() == 0


def test_admin_override_reaches_the_topic_admin(tmp_path, mock_cluster,
                                                mock_cluster_factory, worker):
    """admin.override.* configures the admin client that looks up and
    creates the connector's topic, as in Kafka: pointed at another
    cluster, the lookup happens there (the mock auto-creates a topic a
    metadata request names), while the records still go to the producer's
    cluster."""
    other = mock_cluster_factory()
    source_file = tmp_path / "in.txt"
    write_lines(source_file, ROWS)
    w, rest = rest_worker(worker)
    rest.wait_healthy()
    assert topic_partitions(other.bootstrap, "admin-topic") == []
    create(rest, "adm", file_source("adm", source_file, "admin-topic", {
        "admin.override.bootstrap.servers": other.bootstrap,
        "admin.override.client.id": "adm-admin"}))
    assert_delivered(mock_cluster.bootstrap, "admin-topic")
    assert wait_until(lambda: topic_partitions(other.bootstrap,
                                               "admin-topic"), 30)
    assert w.stop() == 0
