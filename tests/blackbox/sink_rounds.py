"""What the sink fault tests share: counting duplicates, waiting for every
record in the sink file, and the restart rounds (kill -9 or SIGTERM of a
worker running a file sink while records flow in).

Restart rounds: librdkafka 2.0.2's mock makes a (re)joining member wait
for the group's rebalance delay (3 s into an empty group; after kill -9
first the old member's session timeout), and it does not implement static
membership (it reads group.instance.id and ignores it), so each round
costs seconds: measured, about 7 s per kill -9 round and 4 s per SIGTERM
round with a 4 s session timeout (shorter ones make the mock evict the
member during its own first-join delay, forever). So the kill -9 and the
SIGTERM rounds are each their own test file (one ctest entry each, within
its 300 s limit). RDC_SINK_FAULT_ROUNDS sets the number of rounds (20 by
default); kill moments come from a seeded generator: RDC_SINK_FAULT_SEED
repeats a run (the seed is printed).
"""

import collections
import os
import random
import threading
import time

from confluent_kafka import Producer

from harness import file_sink, numbered_lines, read_lines, wait_until

TOPIC = "faults"
ROUNDS = int(os.environ.get("RDC_SINK_FAULT_ROUNDS", "20"))
SEED = int(os.environ.get("RDC_SINK_FAULT_SEED", str(int(time.time()))))


def duplicates(lines):
    """{line: times} of lines that appear more than once."""
    return {k: n for k, n in collections.Counter(lines).items() if n > 1}


def wait_all_lines(path, expected, timeout=60):
    """Waits until every expected line is in path; returns the file's
    lines. Fails naming how many are missing."""
    want = set(expected)
    got = wait_until(lambda: want <= set(read_lines(path)) and
                     read_lines(path), timeout=timeout)
    if not got:
        missing = want - set(read_lines(path))
        raise AssertionError(f"{len(missing)} of {len(want)} records never "
                             f"reached {path}, e.g. {sorted(missing)[:3]}")
    return got


def report_duplicates(what, lines):
    dups = duplicates(lines)
    print(f"{what}: {len(lines)} lines, {len(set(lines))} distinct, "
          f"{sum(dups.values()) - len(dups)} duplicates")
    return dups


class SteadyProducer(threading.Thread):
    """Produces numbered records at a steady pace until stopped."""

    def __init__(self, bootstrap, prefix, per_second=100):
        super().__init__(daemon=True)
        self.producer = Producer({"bootstrap.servers": bootstrap,
                                  "linger.ms": 5})
        self.prefix, self.pause = prefix, 1.0 / per_second
        self.sent, self.errors = [], []
        self.halt = threading.Event()

    def run(self):
        i = 0
        while not self.halt.is_set():
            line = numbered_lines(i, 1, self.prefix)[0]
            self.producer.produce(TOPIC, value=line,
                                  on_delivery=self._delivered)
            self.producer.poll(0)
            i += 1
            time.sleep(self.pause)
        self.producer.flush(30)

    def _delivered(self, err, msg):
        if err is not None:
            self.errors.append(err)
        else:
            self.sent.append(msg.value().decode("utf-8"))

    def finish(self):
        self.halt.set()
        self.join(timeout=60)
        assert not self.is_alive(), "producer did not finish"
        assert not self.errors, self.errors[:3]
        return self.sent


def restart_rounds(tmp_path, mock_cluster, worker, interrupt):
    """Starts a file sink, then ROUNDS times: waits until the sink wrote
    something since its (re)start, then a random 0-1.5 s more (records
    flowing in all the while), interrupts the worker and starts it again
    with the same files. Returns the produced records and the sink file's
    lines once every record arrived."""
    mock_cluster.create_topic(TOPIC, 2)
    out = tmp_path / "out.txt"
    # The mock evicts a member that waits longer than its session timeout
    # in the 3 s first-join delay: 4 s is the shortest that works.
    props = {"consumer.session.timeout.ms": "4000",
             "consumer.heartbeat.interval.ms": "1000",
             "offset.flush.interval.ms": "500"}
    w = worker([file_sink("rounds-sink", out, TOPIC)], props)
    rng = random.Random(SEED)
    print(f"RDC_SINK_FAULT_SEED={SEED} RDC_SINK_FAULT_ROUNDS={ROUNDS}")
    producer = SteadyProducer(mock_cluster.bootstrap, "round")
    producer.start()
    try:
        for n in range(ROUNDS):
            # Mid-stream: the sink has consumed since this (re)start.
            before = len(read_lines(out))
            assert wait_until(lambda: len(read_lines(out)) > before,
                              timeout=60), f"round {n}: the sink never moved"
            time.sleep(rng.uniform(0.0, 1.5))
            interrupt(w)
            w.restart()
    finally:
        sent = producer.finish()
    assert sent, "nothing was produced"
    lines = wait_all_lines(out, sent, timeout=90)
    foreign = set(lines) - set(sent)
    assert len(foreign) <= ROUNDS, sorted(foreign)[:5]
    assert w.stop() == 0
    return sent, [line for line in lines if line not in foreign]
