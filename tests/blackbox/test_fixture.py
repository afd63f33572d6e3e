"""The mock cluster fixture itself: topics, produce, commands, exit."""

from harness import produce, topic_record_count, watermarks


def test_produce_and_count(mock_cluster_factory):
    cluster = mock_cluster_factory(topics=["t:3"])
    values = [f"record {i}" for i in range(100)]
    produce(cluster.bootstrap, "t", values)
    marks = watermarks(cluster.bootstrap, "t")
    assert sorted(marks) == [0, 1, 2]
    assert topic_record_count(cluster.bootstrap, "t") == 100


def test_commands(mock_cluster_factory):
    cluster = mock_cluster_factory(brokers=3, topics=["t:2"])
    assert len(cluster.bootstrap.split(",")) == 3
    assert cluster.command("broker-down 0 1") == "OK"
    assert cluster.command("broker-up 0 1") == "OK"
    assert cluster.command("rtt 0 2 10") == "OK"
    assert cluster.command("rtt 0 2 0") == "OK"
    assert cluster.command("set-leader 0 t 0 3") == "OK"
    assert cluster.command("bootstrap 0") == f"OK {cluster.bootstrap}"
    cluster.create_topic("fresh", 4)
    assert len(watermarks(cluster.bootstrap, "fresh")) == 4
    assert cluster.command("create-topic 0 fresh 4").startswith("ERR ")
    assert cluster.command("broker-down 0 4").startswith("ERR ")
    assert cluster.command("broker-down 1 1").startswith("ERR ")
    assert cluster.command("no-such-command").startswith("ERR ")
    assert cluster.command("quit") == "OK"
    cluster.proc.wait(timeout=10)
    assert cluster.proc.returncode == 0


def test_two_clusters_are_separate(mock_cluster_factory):
    cluster = mock_cluster_factory(clusters=2, topics=["1@only-b:1"])
    a, b = cluster.bootstraps
    assert a != b
    assert watermarks(a, "only-b") == {}
    produce(b, "only-b", ["x", "y"])
    assert topic_record_count(b, "only-b") == 2


def test_eof_ends_it(mock_cluster_factory):
    cluster = mock_cluster_factory()
    assert cluster.stop() == 0
