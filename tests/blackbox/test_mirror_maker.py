"""connect-mirror-maker with MirrorMaker 1's flags between two mock
clusters: the example Kafka users know (a consumer file with Java client
keys, a producer file, --whitelist), topic names and records kept
byte-exact, the consumer group committing on the source what the target
acknowledged, a restart that resumes there, several streams with the
cooperative assignor, and the refusals (self-mirror, bad flags)."""

from harness import committed_offsets, wait_until, watermarks, \
    write_properties
from mirror_helpers import (as_produced, produce_records,
                            read_mirrored, record_count, run_mm,
                            sample_records, two_clusters, without_offsets)

ROUND_ROBIN = "org.apache.kafka.clients.consumer.RoundRobinAssignor"
COOPERATIVE = "org.apache.kafka.clients.consumer.CooperativeStickyAssignor"


def client_files(tmp_path, clusters, assignor=ROUND_ROBIN, target=None,
                 extra_consumer=None):
    consumer = write_properties(tmp_path / "consumer.properties", {
        "bootstrap.servers": clusters.a,
        "group.id": "groupIdMirror",
        "client.id": "sourceMirror",
        "partition.assignment.strategy": assignor,
        "auto.offset.reset": "earliest",
        "key.deserializer":
            "org.apache.kafka.common.serialization.ByteArrayDeserializer",
        # The mock ignores LeaveGroup: a restarted member waits for the
        # old one's session to end.
        "session.timeout.ms": "6000",
        **(extra_consumer or {})})
    producer = write_properties(tmp_path / "producer.properties", {
        "bootstrap.servers": target or clusters.b,
        "acks": "all",
        "key.serializer":
            "org.apache.kafka.common.serialization.ByteArraySerializer"})
    return consumer, producer


def group_caught_up(clusters, topic):
    marks = watermarks(clusters.a, topic)
    return committed_offsets(clusters.a, "groupIdMirror", topic) == \
        {p: high for p, (_, high) in marks.items() if high > 0}


def test_mm1_example_commits_what_the_target_acked(tmp_path,
                                                   mock_cluster_factory,
                                                   mm_factory):
    clusters = two_clusters(mock_cluster_factory)
    clusters.create_topic("A", "topic-mirror", 4)
    clusters.create_topic("A", "topic-other", 1)
    clusters.create_topic("B", "topic-mirror", 4)
    first = sample_records(40, 4, "a")
    produce_records(clusters.a, "topic-mirror", first)
    produce_records(clusters.a, "topic-other", sample_records(3, 1, "o"))
    consumer, producer = client_files(tmp_path, clusters)
    args = ["--consumer.config", consumer, "--producer.config", producer,
            "--whitelist", "topic-mirror", "--offset.commit.interval.ms",
            "1000"]
    mm = mm_factory(args)
    # Topic names kept, records byte-exact, partitions kept.
    assert wait_until(lambda: record_count(clusters.b, "topic-mirror") >= 40,
                      60), mm.log_text()
    assert without_offsets(read_mirrored(clusters.b, "topic-mirror")) == \
        as_produced(first)
    # The group commits on the source what the target acknowledged.
    assert wait_until(lambda: group_caught_up(clusters, "topic-mirror"), 30)
    # Only the whitelisted topic; a Java-only key is named in a warning.
    assert record_count(clusters.b, "topic-other") == 0
    assert "source.cluster.key.deserializer is a Java client setting" in \
        mm.log_text()
    assert "producer.key.serializer is a Java client setting" in \
        mm.log_text()
    assert mm.stop() == 0

    # A restart resumes at the group's offsets: nothing twice.
    second = sample_records(12, 4, "b")
    produce_records(clusters.a, "topic-mirror", second)
    mm = mm_factory(args, name="mm2")
    assert wait_until(lambda: record_count(clusters.b, "topic-mirror") >= 52,
                      60), mm.log_text()
    got = without_offsets(read_mirrored(clusters.b, "topic-mirror"))
    assert sorted(got, key=repr) == sorted(as_produced(first + second),
                                           key=repr)
    assert wait_until(lambda: group_caught_up(clusters, "topic-mirror"), 30)
    assert mm.stop() == 0


def test_mm1_kill9_loses_nothing(tmp_path, mock_cluster_factory,
                                 mm_factory):
    """kill -9 in the middle: what the group committed was on B, so the
    restart loses nothing (duplicates are allowed: at least once)."""
    clusters = two_clusters(mock_cluster_factory)
    clusters.create_topic("A", "topic-mirror", 4)
    clusters.create_topic("B", "topic-mirror", 4)
    # No null headers: this confluent_kafka leaks a reference to None per
    # null header it reads, and 40000 records would bring None down.
    recs = [(i % 4, b"k%d" % i, b"v%d" % i, [], 1_600_000_000_000 + i)
            for i in range(40000)]
    produce_records(clusters.a, "topic-mirror", recs)
    consumer, producer = client_files(tmp_path, clusters)
    args = ["--consumer.config", consumer, "--producer.config", producer,
            "--whitelist", "topic-mirror", "--offset.commit.interval.ms",
            "100"]
    mm = mm_factory(args)
    assert wait_until(lambda: record_count(clusters.b, "topic-mirror") > 0,
                      60), mm.log_text()
    mm.kill9()
    mm = mm_factory(args, name="mm-after-kill")
    assert wait_until(lambda: group_caught_up(clusters, "topic-mirror"),
                      90), mm.log_text()
    got = read_mirrored(clusters.b, "topic-mirror")
    assert {(p, k, v) for p, k, v, _, _ in recs} <= \
        {(r.partition, r.key, r.value) for r in got}
    print(f"records on B: {len(got)} for {len(recs)} "
          f"({len(got) - len(recs)} written twice)")
    assert wait_until(lambda: group_caught_up(clusters, "topic-mirror"), 30)
    assert mm.stop() == 0


def test_mm1_abort_on_send_failure(tmp_path, mock_cluster_factory,
                                   mm_factory):
    """A send that fails (the target is down past message.timeout.ms)
    ends the run with status 1, as MM1's abort.on.send.failure=true; the
    group committed nothing it did not deliver."""
    clusters = two_clusters(mock_cluster_factory)
    clusters.create_topic("A", "topic-mirror", 1)
    clusters.create_topic("B", "topic-mirror", 1)
    consumer, producer = client_files(tmp_path, clusters)
    producer.write_text(producer.read_text() + "message.timeout.ms=2000\n")
    mm = mm_factory(["--consumer.config", consumer, "--producer.config",
                     producer, "--whitelist", "topic-mirror",
                     "--offset.commit.interval.ms", "200"])
    produce_records(clusters.a, "topic-mirror", sample_records(5, 1, "x"))
    assert wait_until(lambda: record_count(clusters.b, "topic-mirror") >= 5,
                      60), mm.log_text()
    assert wait_until(lambda: group_caught_up(clusters, "topic-mirror"), 30)
    assert clusters.mock.command("broker-down 1 1") == "OK"
    produce_records(clusters.a, "topic-mirror", sample_records(5, 1, "y"))
    assert mm.proc.wait(timeout=90) == 1, mm.log_text()
    assert "Mirror failed, exiting" in mm.log_text()
    assert committed_offsets(clusters.a, "groupIdMirror",
                             "topic-mirror") == {0: 5}


def test_mm1_streams_cooperative_include(tmp_path, mock_cluster_factory,
                                         mm_factory):
    clusters = two_clusters(mock_cluster_factory)
    for name in ("logs-1", "logs-2"):
        clusters.create_topic("A", name, 3)
        clusters.create_topic("B", name, 3)
    recs = {name: sample_records(30, 3, name) for name in ("logs-1",
                                                           "logs-2")}
    for name, rs in recs.items():
        produce_records(clusters.a, name, rs)
    consumer, producer = client_files(tmp_path, clusters, COOPERATIVE)
    mm = mm_factory(["--consumer.config", consumer, "--producer.config",
                     producer, "--include", "logs-.*", "--whitelist",
                     "ignored", "--num.streams", "2",
                     "--offset.commit.interval.ms", "1000"])
    for name, rs in recs.items():
        assert wait_until(lambda: record_count(clusters.b, name) >= 30, 60), \
            mm.log_text()
        assert without_offsets(read_mirrored(clusters.b, name)) == \
            as_produced(rs)
        assert wait_until(lambda: group_caught_up(clusters, name), 30)
    assert mm.stop() == 0


def test_mm1_refusals(tmp_path, mock_cluster_factory):
    clusters = two_clusters(mock_cluster_factory)
    clusters.create_topic("A", "t", 1)
    consumer, producer = client_files(tmp_path, clusters, target=clusters.a)
    # The same cluster on both sides would loop.
    rc, out = run_mm(tmp_path, ["--consumer.config", consumer,
                                "--producer.config", producer,
                                "--whitelist", "t"])
    assert rc == 1, out
    assert "Refusing to mirror Kafka cluster" in out and "into itself" in out

    rc, out = run_mm(tmp_path, ["--help"])
    assert rc == 0 and out.startswith("Usage: connect-mirror-maker"), out
    rc, out = run_mm(tmp_path, ["--consumer.config", consumer,
                                "--producer.config", producer])
    assert rc == 2 and "include list must be specified" in out, out
    rc, out = run_mm(tmp_path, ["--consumer.config", consumer])
    assert rc == 2 and "Missing required argument" in out, out
    rc, out = run_mm(tmp_path, ["--consumer.config", consumer,
                                "--producer.config", producer,
                                "--whitelist", "t", "--num.streams", "0"])
    assert rc == 2 and "--num.streams takes a positive integer" in out, out
    rc, out = run_mm(tmp_path, ["--message.handler", "x.Y"])
    assert rc == 2 and "not an option rdconnect has" in out, out
    rc, out = run_mm(tmp_path, ["--consumer.config", consumer,
                                "--producer.config", producer,
                                "--whitelist", "t", "--clusters", "B"])
    assert rc == 2 and "--clusters needs a MirrorMaker 2 properties " \
        "file" in out, out

    # An assignor librdkafka has no equivalent of is refused by name.
    consumer, producer = client_files(
        tmp_path, clusters,
        assignor="org.apache.kafka.clients.consumer.StickyAssignor")
    rc, out = run_mm(tmp_path, ["--consumer.config", consumer,
                                "--producer.config", producer,
                                "--whitelist", "t"])
    assert rc == 1, out
    assert "source.cluster.partition.assignment.strategy" in out, out
