"""Black-box test harness: build paths, processes, Kafka and file helpers.

The fixtures in conftest.py wrap these classes; tests import the plain
helpers (wait_until, topic_record_count, consume_all, ...) from here.
Every wait is bounded; every process started here dies with the test run.
"""

import ctypes
import json
import os
import re
import select
import signal
import socket
import subprocess
import time
import uuid
from collections import namedtuple
from pathlib import Path

from confluent_kafka import (OFFSET_BEGINNING, Consumer, Producer,
                            TopicPartition)

SOURCE_DIR = Path(os.environ.get("RDC_SOURCE_DIR",
                                 Path(__file__).resolve().parents[2]))
BUILD_DIR = Path(os.environ.get("RDC_BUILD_DIR", SOURCE_DIR / "build"))

STANDALONE_BIN = BUILD_DIR / "bin" / "connect-standalone"
DISTRIBUTED_BIN = BUILD_DIR / "bin" / "connect-distributed"
MOCK_CLUSTER_BIN = BUILD_DIR / "tests" / "rdc-mock-cluster"
NETCUT_LIB = BUILD_DIR / "tests" / "librdc-netcut.so"  # tests/fixture/netcut.c
PLUGINS_DIR = BUILD_DIR / "plugins"
TEST_PLUGINS_DIR = BUILD_DIR / "test-plugins"
TEST_PLUGINS_GOOD_DIR = BUILD_DIR / "test-plugins-good"

STRING_CONVERTER = "org.apache.kafka.connect.storage.StringConverter"
JSON_CONVERTER = "org.apache.kafka.connect.json.JsonConverter"

Record = namedtuple("Record", "partition offset key value headers")


# --------------------------------------------------------------- generic


def wait_until(predicate, timeout=30.0, interval=0.2):
    """Calls predicate until it returns something truthy or timeout passes.

    Returns the last value predicate returned (falsy on timeout), so a test
    writes `assert wait_until(...)`.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval)


def free_port():
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _die_with_parent():
    """preexec_fn: the child gets SIGTERM when the test process dies."""
    PR_SET_PDEATHSIG = 1
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)


def spawn(argv, cwd, stdin=subprocess.DEVNULL, stdout=None, stderr=None,
          env=None):
    """Starts a child process that cannot outlive the test run; env: the
    variables to set over the test's own environment."""
    return subprocess.Popen([str(a) for a in argv], cwd=str(cwd),
                            stdin=stdin, stdout=stdout, stderr=stderr,
                            env={**os.environ, **env} if env else None,
                            preexec_fn=_die_with_parent)


def end_process(proc, timeout=15.0):
    """SIGTERM, then SIGKILL after timeout. Returns the exit code."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=timeout)
    return proc.returncode


def tail(text, lines=80):
    return "\n".join(text.splitlines()[-lines:])


# ----------------------------------------------------------------- files


def write_properties(path, props):
    """Writes a Java-style .properties file (None values are left out)."""
    with open(path, "w", encoding="utf-8") as f:
        for key, value in props.items():
            if value is not None:
                f.write(f"{key}={value}\n")
    return Path(path)


def write_connector_json(path, config):
    """Writes a connector file in the POST /connectors body form."""
    body = {"name": config["name"], "config": config}
    Path(path).write_text(json.dumps(body, indent=2), encoding="utf-8")
    return Path(path)


def write_lines(path, lines, mode="w"):
    with open(path, mode, encoding="utf-8", newline="") as f:
        f.write("".join(line + "\n" for line in lines))
        f.flush()


def read_lines(path):
    """The complete lines of a text file ([] if it does not exist yet).

    A last line without its newline is left out: it is still being written.
    """
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        return []
    text = data.decode("utf-8", errors="replace")
    return text.split("\n")[:-1]


def numbered_lines(start, count, prefix="line"):
    """Unique, sortable lines with some non-ASCII text in them."""
    return [f"{prefix} {i:06d} grüße ☕ 日本" for i in range(start,
                                                            start + count)]


# -------------------------------------------------------- line-oriented IO


class _LineReader:
    """Reads lines from a pipe with a deadline (no blocking forever)."""

    def __init__(self, pipe):
        self._fd = pipe.fileno()
        self._buf = b""

    def readline(self, timeout):
        deadline = time.monotonic() + timeout
        while b"\n" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no line within {timeout}s "
                                     f"(partial: {self._buf!r})")
            ready, _, _ = select.select([self._fd], [], [], left)
            if not ready:
                continue
            chunk = os.read(self._fd, 4096)
            if not chunk:
                raise AssertionError(f"pipe closed (partial: {self._buf!r})")
            self._buf += chunk
        line, self._buf = self._buf.split(b"\n", 1)
        return line.decode("utf-8")


# ------------------------------------------------------------ mock cluster


class MockCluster:
    """rdc-mock-cluster as a child process, driven over its stdin."""

    def __init__(self, workdir, brokers=1, clusters=1, topics=()):
        self.workdir = Path(workdir)
        self.log_path = self.workdir / "mock-cluster.stderr.log"
        argv = [MOCK_CLUSTER_BIN, "--brokers", brokers,
                "--clusters", clusters]
        for topic in topics:
            argv += ["--topic", topic]
        self._log = open(self.log_path, "wb")
        self.proc = spawn(argv, self.workdir, stdin=subprocess.PIPE,
                          stdout=subprocess.PIPE, stderr=self._log)
        self._reader = _LineReader(self.proc.stdout)
        self.bootstraps = []
        try:
            for n in range(clusters):
                words = self._reader.readline(timeout=15).split()
                assert words[:2] == ["BOOTSTRAP", str(n)], words
                self.bootstraps.append(words[2])
        except BaseException:
            self.stop()
            raise

    @property
    def bootstrap(self):
        """bootstrap.servers of cluster 0."""
        return self.bootstraps[0]

    def command(self, line, timeout=10):
        """Sends one command line, returns the answer ("OK" or "ERR ...")."""
        assert self.proc.poll() is None, "mock cluster is not running"
        self.proc.stdin.write(line.encode("utf-8") + b"\n")
        self.proc.stdin.flush()
        return self._reader.readline(timeout)

    def create_topic(self, name, partitions, cluster=0):
        answer = self.command(f"create-topic {cluster} {name} {partitions}")
        assert answer == "OK", answer

    def stop(self, timeout=10):
        """EOF on stdin, then signals if needed. Returns the exit code."""
        if self.proc.poll() is None:
            try:
                self.proc.stdin.close()
                self.proc.wait(timeout=timeout)
            except (OSError, subprocess.TimeoutExpired):
                pass
        rc = end_process(self.proc, timeout)
        self.proc.stdout.close()
        self._log.close()
        return rc

    def log_text(self):
        return self.log_path.read_text(encoding="utf-8", errors="replace")


# ------------------------------------------------------------------ worker


class Worker:
    """connect-standalone with its files in workdir.

    Each start() is a new run with its own log files; log_text() reads the
    current run, log_text(all_runs=True) every run so far.
    """

    def __init__(self, workdir, props, connector_files, name="worker",
                 binary=STANDALONE_BIN, env=None):
        self.workdir = Path(workdir)
        self.name = name
        self.binary = binary
        self.env = dict(env or {})
        self.props = dict(props)
        self.props_path = write_properties(
            self.workdir / f"{name}.properties", props)
        self.connector_files = [Path(p) for p in connector_files]
        self.proc = None
        self.runs = 0
        self.log_path = None
        self.stdout_path = None

    def start(self):
        assert self.proc is None or self.proc.poll() is not None, \
            "worker already running"
        self.runs += 1
        base = self.workdir / f"{self.name}.run{self.runs}"
        self.log_path = Path(f"{base}.stderr.log")
        self.stdout_path = Path(f"{base}.stdout.log")
        with open(self.log_path, "wb") as err, \
                open(self.stdout_path, "wb") as out:
            self.proc = spawn([self.binary, self.props_path,
                               *self.connector_files],
                              self.workdir, stdout=out, stderr=err,
                              env=self.env)
        return self

    restart = start

    @property
    def pid(self):
        return self.proc.pid

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout=30):
        """SIGTERM and wait: returns the exit code; fails after timeout."""
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill9()
            raise AssertionError(f"worker did not stop within {timeout}s "
                                 f"of SIGTERM; log:\n"
                                 f"{tail(self.log_text())}")

    def kill9(self):
        if self.proc.poll() is None:
            self.proc.kill()
        return self.proc.wait(timeout=15)

    def terminate(self):
        """Teardown: never raises, always leaves no process behind."""
        if self.proc is not None:
            end_process(self.proc, timeout=15)

    def log_text(self, all_runs=False):
        paths = (sorted(self.workdir.glob(f"{self.name}.run*.stderr.log"),
                        key=lambda p: int(p.name.split(".run")[1]
                                          .split(".")[0]))
                 if all_runs else [self.log_path])
        return "".join(p.read_text(encoding="utf-8", errors="replace")
                       for p in paths if p and p.exists())

    def stdout_text(self):
        return self.stdout_path.read_text(encoding="utf-8", errors="replace")

    def wait_for_log(self, regex, timeout=30, flags=re.MULTILINE):
        """Waits until the current run's log matches regex; returns match.

        Fails at once if the worker has exited and the log does not match.
        """
        pattern = re.compile(regex, flags)
        deadline = time.monotonic() + timeout
        while True:
            exited = self.proc.poll() is not None
            match = pattern.search(self.log_text())
            if match:
                return match
            if exited or time.monotonic() >= deadline:
                state = (f"worker exited with {self.proc.returncode}"
                         if exited else f"timeout {timeout}s")
                raise AssertionError(
                    f"log never matched {regex!r} ({state}); log:\n"
                    f"{tail(self.log_text())}")
            time.sleep(0.2)

    def log_lines_matching(self, *regexes):
        """Lines of the log (all runs) that match every one of regexes."""
        patterns = [re.compile(r) for r in regexes]
        return [line for line in self.log_text(all_runs=True).splitlines()
                if all(p.search(line) for p in patterns)]


# ------------------------------------------------------------------- Kafka


def _consumer(bootstrap):
    return Consumer({
        "bootstrap.servers": bootstrap,
        "group.id": f"rdc-test-{uuid.uuid4()}",
        "enable.auto.commit": False,
        "auto.offset.reset": "earliest",
        "enable.partition.eof": False,
    })


class _NoTopic:
    partitions = {}


def _topic_metadata(consumer, topic, timeout):
    """Metadata of topic, or an empty stand-in if it does not exist.

    Asks for all topics: a request naming the topic would make the mock
    auto-create it (it ignores allow.auto.create.topics).
    """
    meta = consumer.list_topics(timeout=timeout).topics.get(topic)
    if meta is None or meta.error is not None:
        return _NoTopic
    return meta


def topic_partitions(bootstrap, topic, timeout=10):
    """Partition ids of topic ([] if the topic does not exist)."""
    consumer = _consumer(bootstrap)
    try:
        return sorted(_topic_metadata(consumer, topic, timeout).partitions)
    finally:
        consumer.close()


def watermarks(bootstrap, topic, timeout=10):
    """{partition: (low, high)} for every partition of topic."""
    consumer = _consumer(bootstrap)
    try:
        meta = _topic_metadata(consumer, topic, timeout)
        return {p: consumer.get_watermark_offsets(
                    TopicPartition(topic, p), timeout=timeout)
                for p in sorted(meta.partitions)}
    finally:
        consumer.close()


def topic_record_count(bootstrap, topic, timeout=10):
    """Records ever written to topic: the sum of the high watermarks."""
    return sum(high for _, high in watermarks(bootstrap, topic,
                                              timeout).values())


def committed_offsets(bootstrap, group, topic, timeout=10):
    """{partition: offset} that consumer group committed for topic
    (partitions without a commit are left out). Does not join the group."""
    partitions = topic_partitions(bootstrap, topic, timeout)
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group,
                         "enable.auto.commit": False})
    try:
        tps = consumer.committed([TopicPartition(topic, p)
                                  for p in partitions], timeout=timeout)
        return {tp.partition: tp.offset for tp in tps if tp.offset >= 0}
    finally:
        consumer.close()


def consume_records(bootstrap, topic, timeout=30):
    """Every record now in topic, partition by partition, in offset order.

    Reads up to the high watermarks seen at the start; fails after timeout.
    """
    marks = watermarks(bootstrap, topic)
    todo = {p: high for p, (low, high) in marks.items() if high > low}
    got = {p: [] for p in marks}
    consumer = _consumer(bootstrap)
    try:
        if todo:
            consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING)
                             for p in todo])
        deadline = time.monotonic() + timeout
        while todo:
            if time.monotonic() >= deadline:
                raise AssertionError(
                    f"consuming {topic}: partitions {sorted(todo)} not read "
                    f"to their end within {timeout}s")
            for msg in consumer.consume(num_messages=1000, timeout=0.5):
                if msg.error():
                    raise AssertionError(f"consuming {topic}: {msg.error()}")
                p = msg.partition()
                got[p].append(Record(p, msg.offset(), msg.key(), msg.value(),
                                     list(msg.headers() or [])))
                if p in todo and msg.offset() >= todo[p] - 1:
                    del todo[p]
    finally:
        consumer.close()
    return [r for p in sorted(got) for r in got[p]]


def consume_all(bootstrap, topic, timeout=30):
    """Every record now in topic as (key, value, headers) tuples."""
    return [(r.key, r.value, r.headers)
            for r in consume_records(bootstrap, topic, timeout)]


def produce(bootstrap, topic, values, key=None, timeout=30):
    """Produces values (bytes or str) and waits for every delivery."""
    errors = []

    def on_delivery(err, _msg):
        if err is not None:
            errors.append(err)

    producer = Producer({"bootstrap.servers": bootstrap})
    for value in values:
        producer.produce(topic, value=value, key=key, on_delivery=on_delivery)
        producer.poll(0)
    left = producer.flush(timeout)
    assert left == 0, f"{left} records not delivered within {timeout}s"
    assert not errors, errors


# -------------------------------------------------------------- connectors


def connector(name, cls, config=None):
    """A connector config: name, connector.class, tasks.max=1 and config."""
    conf = {"name": name, "connector.class": cls, "tasks.max": "1"}
    conf.update(config or {})
    return conf


def file_source(name, path, topic, extra=None):
    """FileStreamSource reading path into topic."""
    return connector(name, "FileStreamSource",
                     {"file": str(path), "topic": topic, **(extra or {})})


def file_sink(name, path, topics, extra=None):
    """FileStreamSink writing topics into path."""
    return connector(name, "FileStreamSink",
                     {"file": str(path), "topics": topics, **(extra or {})})
