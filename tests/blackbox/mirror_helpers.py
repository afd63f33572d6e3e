"""Two-cluster helpers for the MirrorMaker tests: a source cluster A and a
target cluster B (two librdkafka mock clusters in one rdc-mock-cluster),
records produced with keys, headers, timestamps and chosen partitions, and
records read back with everything that must survive a mirror."""

import struct
import time
from collections import namedtuple

from confluent_kafka import OFFSET_BEGINNING, Consumer, Producer, \
    TopicPartition

import harness
from harness import watermarks

BYTEARRAY = "org.apache.kafka.connect.converters.ByteArrayConverter"
MIRROR_SOURCE = "org.apache.kafka.connect.mirror.MirrorSourceConnector"
MM_BIN = harness.BUILD_DIR / "bin" / "connect-mirror-maker"

# Everything a mirror must keep of a record (offset is the topic's own).
Mirrored = namedtuple("Mirrored",
                      "partition offset key value headers timestamp")


class TwoClusters:
    """Clusters A (index 0, the source) and B (index 1, the target)."""

    def __init__(self, mock):
        self.mock = mock
        self.a, self.b = mock.bootstraps

    def create_topic(self, cluster, name, partitions):
        index = {"A": 0, "B": 1}[cluster]
        self.mock.create_topic(name, partitions, cluster=index)


def two_clusters(mock_cluster_factory):
    return TwoClusters(mock_cluster_factory(clusters=2))


def sample_records(count, partitions, tag="r"):
    """count records spread over partitions: keys (one null), binary
    values, a tombstone, headers (one null-valued, one repeated key) and
    timestamps of their own. Each is (partition, key, value, headers,
    timestamp)."""
    base = 1_600_000_000_000
    out = []
    for i in range(count):
        key = None if i == 1 else f"k-{tag}-{i}".encode()
        value = None if i == 2 else bytes([i % 256, 0, 255]) + \
            f"{tag}-{i}".encode()
        headers = [("h", f"v{i}".encode()), ("null", None),
                   ("h", b"\x00\x01")] if i % 3 else []
        out.append((i % partitions, key, value, headers, base + i * 1000))
    return out


def produce_records(bootstrap, topic, records, timeout=30):
    errors = []

    def on_delivery(err, _msg):
        if err is not None:
            errors.append(err)

    producer = Producer({"bootstrap.servers": bootstrap})
    for partition, key, value, headers, ts in records:
        producer.produce(topic, value=value, key=key, partition=partition,
                         headers=headers, timestamp=ts,
                         on_delivery=on_delivery)
        producer.poll(0)
    assert producer.flush(timeout) == 0
    assert not errors, errors


def read_mirrored(bootstrap, topic, timeout=30):
    """Every record of topic with partition, key, value, headers and
    timestamp, partition by partition in offset order."""
    marks = watermarks(bootstrap, topic)
    todo = {p: high for p, (low, high) in marks.items() if high > low}
    got = {p: [] for p in marks}
    consumer = Consumer({"bootstrap.servers": bootstrap,
                         "group.id": "rdc-mirror-check",
                         "enable.auto.commit": False,
                         "enable.partition.eof": False})
    try:
        if todo:
            consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING)
                             for p in todo])
        deadline = time.monotonic() + timeout
        while todo:
            assert time.monotonic() < deadline, f"{topic}: {sorted(todo)}"
            for msg in consumer.consume(num_messages=1000, timeout=0.5):
                assert not msg.error(), msg.error()
                p = msg.partition()
                got[p].append(Mirrored(p, msg.offset(), msg.key(),
                                       msg.value(),
                                       list(msg.headers() or []),
                                       msg.timestamp()[1]))
                if p in todo and msg.offset() >= todo[p] - 1:
                    del todo[p]
    finally:
        consumer.close()
    return [r for p in sorted(got) for r in got[p]]


def as_produced(records):
    """What read_mirrored gives back for records (without offsets)."""
    return sorted(((p, k, v, h, ts) for p, k, v, h, ts in records),
                  key=lambda r: r[0])


def without_offsets(mirrored):
    return [(r.partition, r.key, r.value, r.headers, r.timestamp)
            for r in mirrored]


def mirror_connector(name, clusters, extra=None):
    """A MirrorSourceConnector A -> B for a worker whose Kafka is B."""
    conf = {"name": name, "connector.class": "MirrorSourceConnector",
            "tasks.max": "2",
            "source.cluster.alias": "A", "target.cluster.alias": "B",
            "source.cluster.bootstrap.servers": clusters.a,
            "target.cluster.bootstrap.servers": clusters.b,
            "key.converter": BYTEARRAY, "value.converter": BYTEARRAY}
    conf.update(extra or {})
    return conf


def record_count(bootstrap, topic):
    return harness.topic_record_count(bootstrap, topic)


class MirrorMaker:
    """connect-mirror-maker as a child process, its stderr in a file."""

    def __init__(self, workdir, args, name="mm"):
        self.workdir = workdir
        self.args = [str(a) for a in args]
        self.name = name
        self.runs = 0
        self.proc = None
        self.log_path = None

    def start(self):
        self.runs += 1
        self.log_path = self.workdir / f"{self.name}.run{self.runs}.log"
        with open(self.log_path, "wb") as err:
            self.proc = harness.spawn([MM_BIN, *self.args], self.workdir,
                                      stdout=err, stderr=err)
        return self

    def log_text(self):
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self, timeout=30):
        import signal
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=timeout)

    def kill9(self):
        self.proc.kill()
        return self.proc.wait(timeout=15)

    def terminate(self):
        if self.proc is not None:
            harness.end_process(self.proc, timeout=15)


def run_mm(workdir, args, timeout=60):
    """Runs connect-mirror-maker to its end: (exit code, output)."""
    import subprocess
    done = subprocess.run([str(MM_BIN), *map(str, args)], cwd=workdir,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          timeout=timeout)
    return done.returncode, done.stdout.decode("utf-8", "replace")


def internal_connector(cls, name, clusters, source="A", target="B",
                       extra=None):
    """A MirrorHeartbeatConnector or MirrorCheckpointConnector source ->
    target (aliases "A"/"B" name clusters.a/clusters.b)."""
    boot = {"A": clusters.a, "B": clusters.b}
    conf = {"name": name, "connector.class": cls, "tasks.max": "1",
            "source.cluster.alias": source, "target.cluster.alias": target,
            "source.cluster.bootstrap.servers": boot[source],
            "target.cluster.bootstrap.servers": boot[target],
            "key.converter": BYTEARRAY, "value.converter": BYTEARRAY}
    conf.update(extra or {})
    return conf


# Kafka's protocol types (Schema.write): big-endian, STRING = INT16 length
# and UTF-8 bytes. Written here independently of the C code under test.
def kstr(s):
    b = s.encode()
    return struct.pack(">h", len(b)) + b


def read_kstr(buf, pos):
    (n,) = struct.unpack_from(">h", buf, pos)
    return buf[pos + 2:pos + 2 + n].decode(), pos + 2 + n


def heartbeat_key(source, target):
    return kstr(source) + kstr(target)


def decode_heartbeat_value(value):
    """(version, timestamp) of a Heartbeat value."""
    return struct.unpack(">hq", value)


def decode_offset_sync(key, value):
    """(topic, partition, upstream, downstream) of an OffsetSync."""
    topic, pos = read_kstr(key, 0)
    (partition,) = struct.unpack_from(">i", key, pos)
    assert pos + 4 == len(key)
    upstream, downstream = struct.unpack(">qq", value)
    return topic, partition, upstream, downstream


def decode_checkpoint(key, value):
    """(group, topic, partition, upstream, downstream, metadata)."""
    group, pos = read_kstr(key, 0)
    topic, pos = read_kstr(key, pos)
    (partition,) = struct.unpack_from(">i", key, pos)
    assert pos + 4 == len(key)
    version, upstream, downstream = struct.unpack_from(">hqq", value, 0)
    assert version == 0
    metadata, end = read_kstr(value, 18)
    assert end == len(value)
    return group, topic, partition, upstream, downstream, metadata


def commit(bootstrap, group, topic, offsets):
    """Commits {partition: offset} for group (no member: as a tool)."""
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": group,
                  "enable.auto.commit": False})
    try:
        c.commit(offsets=[TopicPartition(topic, p, o)
                          for p, o in offsets.items()], asynchronous=False)
    finally:
        c.close()

