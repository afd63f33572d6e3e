"""Helpers for the distributed-mode black-box tests (test_distributed*.py).

A Cluster is one mock Kafka cluster with Kafka Connect's three internal
topics created first (the mock cannot CreateTopics, and auto-creation
would give the config topic 4 partitions), and N connect-distributed
workers of one group, each in its own process with its own REST port.
"""

import re
import time

import requests

import harness
from harness import (DISTRIBUTED_BIN, STRING_CONVERTER, MockCluster, Worker,
                     wait_until)

CONFIG_TOPIC = "connect-configs"
OFFSET_TOPIC = "connect-offsets"
STATUS_TOPIC = "connect-status"
INTERNAL_TOPICS = (f"{CONFIG_TOPIC}:1", f"{OFFSET_TOPIC}:25",
                   f"{STATUS_TOPIC}:5")
TIMEOUT = 30


class DWorker(Worker):
    """One connect-distributed worker; url and worker_id are fixed."""

    def __init__(self, workdir, props, name, env=None):
        super().__init__(workdir, props, [], name, binary=DISTRIBUTED_BIN,
                         env=env)
        self.port = int(props["listeners"].rsplit(":", 1)[1])
        self.url = f"http://127.0.0.1:{self.port}"
        self.worker_id = f"127.0.0.1:{self.port}"

    def rest(self, method, path, **kwargs):
        kwargs.setdefault("timeout", TIMEOUT)
        return requests.request(method, self.url + path, **kwargs)

    def in_group(self, timeout=60):
        self.wait_for_log(r"Joined group generation", timeout)
        return self


class Cluster:
    """The mock cluster and the workers of group `group`."""

    def __init__(self, tmp_path, group="connect-cluster", props=None,
                 topics=()):
        self.tmp_path = tmp_path
        self.group = group
        self.props = dict(props or {})
        workdir = tmp_path / "kafka"
        workdir.mkdir()
        self.kafka = MockCluster(workdir, topics=INTERNAL_TOPICS + tuple(
            topics))
        self.workers = []

    @property
    def bootstrap(self):
        return self.kafka.bootstrap

    def add_worker(self, props=None, start=True, env=None):
        name = f"w{len(self.workers)}"
        merged = {
            "bootstrap.servers": self.bootstrap,
            "group.id": self.group,
            "key.converter": STRING_CONVERTER,
            "value.converter": STRING_CONVERTER,
            "listeners": f"http://127.0.0.1:{harness.free_port()}",
            "offset.flush.interval.ms": "1000",
            # Kafka's lowest session timeout by default; the mock waits
            # for it once more before each rebalance after the first.
            "session.timeout.ms": "6000",
            "heartbeat.interval.ms": "1000",
            # Restarted sinks: the mock keeps an old member until its
            # session ends.
            "consumer.session.timeout.ms": "6000",
            "consumer.heartbeat.interval.ms": "1000",
        }
        merged.update(self.props)
        merged.update(props or {})
        w = DWorker(self.tmp_path, {k: v for k, v in merged.items()
                                    if v is not None}, name, env)
        self.workers.append(w)
        if start:
            w.start()
        return w

    def start(self, n, props=None):
        ws = [self.add_worker(props) for _ in range(n)]
        for w in ws:
            w.in_group()
        self.settled()
        return ws

    def settled(self, timeout=60):
        """Waits until every live worker knows all of them and the leader,
        and the leader published an assignment over them."""
        live = self.live()
        lead = self.leader().worker_id
        for w in live:
            w.wait_for_log(rf"Group generation \d+: {len(live)} worker\(s\), "
                           rf"leader {re.escape(lead)}", timeout)
        self.leader().wait_for_log(
            rf"published assignment version \d+ over {len(live)} worker",
            timeout)

    def live(self):
        return [w for w in self.workers if w.running()]

    def leader(self):
        """The leader: the live member with the smallest worker id."""
        return min(self.live(), key=lambda w: w.worker_id)

    def followers(self):
        lead = self.leader()
        return [w for w in self.live() if w is not lead]

    def status(self, name, via=None):
        w = via or self.live()[0]
        try:
            r = w.rest("GET", f"/connectors/{name}/status", timeout=5)
        except requests.RequestException:
            return None
        return r.json() if r.status_code == 200 else None

    def wait_running(self, name, tasks, timeout=60, via=None, on=None):
        """Waits until connector name and its `tasks` tasks are RUNNING
        (on worker ids `on`, if given, none else); returns the status."""
        def ok():
            st = self.status(name, via)
            if not st or st["connector"]["state"] != "RUNNING":
                return None
            if len(st["tasks"]) != tasks or any(
                    t["state"] != "RUNNING" for t in st["tasks"]):
                return None
            ids = {st["connector"]["worker_id"]} | {
                t["worker_id"] for t in st["tasks"]}
            if on is not None and not ids <= set(on):
                return None
            return st
        return wait_until(ok, timeout=timeout, interval=0.2)

    def stop(self):
        for w in self.workers:
            w.terminate()
        self.kafka.stop()

    def logs(self):
        return "".join(f"--- {w.name} ({w.worker_id}):\n"
                       f"{harness.tail(w.log_text(all_runs=True), 120)}\n"
                       for w in self.workers if w.log_path)


def timed(fn):
    """Runs fn(); returns (its result, seconds it took)."""
    start = time.monotonic()
    result = fn()
    return result, time.monotonic() - start


def owner_of(c, status):
    """The worker that runs task 0 of the connector of status."""
    return next(w for w in c.workers
                if w.worker_id == status["tasks"][0]["worker_id"])


def values(bootstrap, topic):
    """Every value in topic, decoded."""
    return [v.decode() for _, v, _ in harness.consume_all(bootstrap, topic)]
