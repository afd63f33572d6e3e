"""connect-distributed: a worker cut off from Kafka (its group session
lapses) must stop all its tasks before a survivor starts them, so that no
task runs on two workers at once; every line reaches the topic; once the
network is back the worker rejoins and the cluster runs each connector
once.

The cut is per process: each worker runs with LD_PRELOAD of
librdc-netcut.so (tests/fixture/netcut.c), which fails its I/O to the mock
brokers' ports while a flag file exists. A proxy on the bootstrap address
would not do: the mock advertises its own broker address. The worker's
REST server keeps answering during the cut.

One scenario (the `cutoff` fixture, run once) records what happened; each
test below asserts one property of it, so that a failure names the property that
broke.
"""

import json
import os
import re
import time
from dataclasses import dataclass, field
from datetime import datetime

import pytest

import harness
from distributed_helpers import OFFSET_TOPIC, Cluster, owner_of, values
from harness import (NETCUT_LIB, file_source, numbered_lines,
                     topic_record_count, wait_until, write_lines)

SOURCES = 3
LOG_TIME = re.compile(r"^\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3})\] ")
ASSIGNED_ALONE = r"published assignment version \d+ over 1 worker"
ASSIGNED_BOTH = r"published assignment version \d+ over 2 worker"


def netcut_env(c, flag):
    """The environment of a worker that flag cuts off c's brokers."""
    ports = ",".join(hp.rsplit(":", 1)[1] for hp in c.bootstrap.split(","))
    return {"LD_PRELOAD": str(NETCUT_LIB), "RDC_NETCUT_FILE": str(flag),
            "RDC_NETCUT_PORTS": ports,
            # An ASan build wants its runtime first; the preload is first.
            "ASAN_OPTIONS": ":".join(filter(None, [
                os.environ.get("ASAN_OPTIONS"),
                "verify_asan_link_order=0"]))}


def log_time(line):
    """The wall-clock time (seconds) a worker log line was written at."""
    m = LOG_TIME.match(line)
    assert m, line
    return datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S,%f").timestamp()


def lines_between(w, since, until, *regexes):
    """Lines of w's log (all runs) matching every one of regexes, written
    in [since, until) wall-clock seconds (the log has millisecond times)."""
    return [line for line in w.log_lines_matching(*regexes)
            if since - 0.001 <= log_time(line) < until]


def first_line(w, since, *regexes, timeout):
    """The first line of w's log since that matches regexes, waiting up to
    timeout for it; None if none came."""
    got = wait_until(lambda: lines_between(w, since, float("inf"),
                                           *regexes),
                     timeout=timeout, interval=0.2)
    return got[0] if got else None


class Violated(Exception):
    """A property of the scenario does not hold (a scenario that breaks
    down while it runs fails with an AssertionError instead)."""


def expect(cond, message):
    if not cond:
        raise Violated(message)


def task_stopped(i):
    return (rf"\[src{i}\|task-0\]", r"Task stopped")


@dataclass
class Cutoff:
    """What the scenario saw (times are wall-clock seconds)."""
    role: str  # the victim's: "follower" or "leader"
    c: Cluster
    victim: object
    survivor: object
    on_victim: list  # the sources whose task the victim ran
    target: int  # the one fed lines across the cut
    cut: float = 0.0
    lost: str = None  # the victim's "membership lost" line
    rest_while_cut: int = 0  # GET / on the victim, cut off
    stopped: dict = field(default_factory=dict)  # source -> stop line
    took_over: str = None  # the survivor's assignment over itself alone
    running_on_survivor: bool = False
    lifted: float = 0.0
    rejoined: str = None
    whole_again: bool = False
    runs_once: bool = False  # after the cut, as both workers see it
    statuses: dict = field(default_factory=dict)  # (source, via) -> body
    got: list = field(default_factory=list)
    positions: list = field(default_factory=list)  # target's, as written


@pytest.fixture(scope="module", params=["follower", "leader"])
def cutoff(request, tmp_path_factory):
    """Two workers; one (the follower, or the leader), which runs a
    FileStreamSource, is cut off Kafka for a while. Lines are appended
    before, during and after the cut."""
    tmp_path = tmp_path_factory.mktemp(f"cutoff-{request.param}")
    c = Cluster(tmp_path)
    try:
        yield run_scenario(c, tmp_path, request.param)
    finally:
        c.stop()


def run_scenario(c, tmp_path, victim_role):
    flags = [tmp_path / f"netcut-w{i}" for i in range(2)]
    for flag in flags:
        c.add_worker(env=netcut_env(c, flag))
    for w in c.workers:
        w.in_group()
    c.settled()
    if victim_role == "leader":
        victim, survivor = c.leader(), c.followers()[0]
    else:
        victim, survivor = c.followers()[0], c.leader()
    flag = flags[c.workers.index(victim)]

    # Three sources over two workers: the victim runs at least one task.
    files = [tmp_path / f"in{i}.txt" for i in range(SOURCES)]
    for i, path in enumerate(files):
        write_lines(path, [])
        # Writes go to the leader (README: no REST forwarding yet).
        r = c.leader().rest("POST", "/connectors", json={
            "name": f"src{i}",
            "config": file_source(f"src{i}", path, f"cut-{i}")})
        assert r.status_code == 201, r.text
    st = {i: c.wait_running(f"src{i}", 1) for i in range(SOURCES)}
    assert all(st.values()), c.logs()
    on_victim = [i for i in range(SOURCES) if owner_of(c, st[i]) is victim]
    assert on_victim, st
    s = Cutoff(victim_role, c, victim, survivor, on_victim, on_victim[0])
    path, topic = files[s.target], f"cut-{s.target}"

    write_lines(path, numbered_lines(0, 100))
    assert wait_until(lambda: topic_record_count(c.bootstrap, topic) >= 100)

    s.cut = time.time()
    flag.touch()
    write_lines(path, numbered_lines(100, 100), mode="a")
    s.lost = first_line(victim, s.cut, r"Group membership lost",
                        timeout=30)
    s.rest_while_cut = victim.rest("GET", "/", timeout=5).status_code
    s.running_on_survivor = all(
        c.wait_running(f"src{i}", 1, timeout=60, via=survivor,
                       on=[survivor.worker_id]) for i in range(SOURCES))
    running_seen = time.time()
    s.took_over = first_line(survivor, s.cut, ASSIGNED_ALONE, timeout=5)
    # The victim had its session timeout and the survivor's take-over
    # to stop; a few seconds more, to tell "late" from "never".
    for i in on_victim:
        s.stopped[i] = first_line(victim, s.cut, *task_stopped(i),
                                  timeout=5)
    write_lines(path, numbered_lines(200, 100), mode="a")
    wait_until(lambda: set(values(c.bootstrap, topic)) >= set(
        numbered_lines(0, 300)), timeout=60)
    print(f"\n{victim_role} cut off: membership lost after "
          f"{since(s.lost, s.cut)}, task stopped after "
          f"{since(s.stopped[s.target], s.cut)}; survivor took over after "
          f"{since(s.took_over, s.cut)} (RUNNING seen after "
          f"{running_seen - s.cut:.1f} s)")

    s.lifted = time.time()
    flag.unlink()
    s.rejoined = first_line(victim, s.lifted, r"Joined group generation",
                            timeout=60)
    s.whole_again = bool(wait_until(lambda: any(
        lines_between(w, s.lifted, float("inf"), ASSIGNED_BOTH)
        for w in c.workers), timeout=60))

    def each_runs_once():
        s.statuses = {(i, via.name): c.status(f"src{i}", via)
                      for i in range(SOURCES) for via in (survivor, victim)}
        return all(runs_once(st) for st in s.statuses.values()) and all(
            s.statuses[i, survivor.name]["tasks"][0]["worker_id"] ==
            s.statuses[i, victim.name]["tasks"][0]["worker_id"]
            for i in range(SOURCES))
    s.runs_once = bool(wait_until(each_runs_once, timeout=30))
    write_lines(path, numbered_lines(300, 100), mode="a")
    wait_until(lambda: set(values(c.bootstrap, topic)) >= set(
        numbered_lines(0, 400)), timeout=60)
    s.got = values(c.bootstrap, topic)
    s.positions = positions(c, f"src{s.target}")
    print(f"rejoined after {since(s.rejoined, s.lifted)}; "
          f"duplicates: {len(s.got) - len(set(s.got))}; committed "
          f"positions in write order: {s.positions}")
    return s


def positions(c, name):
    """The file positions committed for source name, in the order they
    were written to the offsets topic (one key: one partition)."""
    got = []
    for r in harness.consume_records(c.bootstrap, OFFSET_TOPIC):
        if r.key is None or r.value is None:
            continue
        key = json.loads(r.key)
        if isinstance(key, list) and key and key[0] == name:
            got.append(json.loads(r.value)["position"])
    return got


def runs_once(st):
    """st (a status body) shows the connector and its one task RUNNING."""
    return bool(st and st["connector"]["state"] == "RUNNING" and
                len(st["tasks"]) == 1 and
                st["tasks"][0]["state"] == "RUNNING")


def since(line, t0):
    return "never" if line is None else f"{log_time(line) - t0:.1f} s"


def test_victim_loses_its_membership(cutoff):
    """librdkafka's session timeout revokes the assignment as lost."""
    s = cutoff
    assert s.lost, s.c.logs()
    # The cut is Kafka's only: the victim's REST server still answers.
    assert s.rest_while_cut == 200


# These properties failed before the fix they came with: a source task
# cut off from Kafka blocked in its offset commit (no deadline), so it
# never saw its stop, the survivor started a second instance, and once
# the network was back the stale one delivered what it had read,
# committed its older position over the survivor's and wrote UNASSIGNED
# over the survivor's RUNNING. Kafka bounds that wait by
# offset.flush.timeout.ms (WorkerSourceTask.commitOffsets) and cancels a
# task that does not stop in time (its producer closed with no wait).


def test_victim_stops_its_tasks_while_cut_off(cutoff):
    """(a) Every task the victim ran stopped while it was cut off."""
    s = cutoff
    for i in s.on_victim:
        expect(s.stopped[i] and log_time(s.stopped[i]) < s.lifted,
               f"src{i}-0 did not stop while cut off: {s.stopped[i]}")


def test_survivor_runs_every_connector(cutoff):
    """(b) The survivor runs every connector and task alone."""
    assert cutoff.running_on_survivor, cutoff.c.logs()
    assert cutoff.took_over, cutoff.c.logs()


def test_victim_stopped_before_survivor_started(cutoff):
    """(c) The victim's tasks stopped before the survivor was given them
    (the survivor starts tasks only after it published the assignment
    over itself alone; both logs use this machine's clock), and it
    started none while cut off."""
    s = cutoff
    assert s.took_over, s.c.logs()
    assert not lines_between(s.victim, s.cut, s.lifted,
                             r"Connector .* task"), s.c.logs()
    for i in s.on_victim:
        expect(s.stopped[i] and
               log_time(s.stopped[i]) < log_time(s.took_over),
               f"src{i}-0: victim stopped at {s.stopped[i]}, survivor "
               f"took over at {s.took_over}")


def test_zero_lost(cutoff):
    """(d) Every line appended before, during and after the cut is in
    the topic."""
    assert set(cutoff.got) == set(numbered_lines(0, 400))


def test_committed_position_never_goes_back(cutoff):
    """An instance that no longer owns the task commits nothing: the
    positions committed for the source only grow (a stale commit makes
    the next owner read lines a second time). This failed, timing-
    dependent, before the fix it came with: an offset commit the victim
    could not send stayed queued in its offsets producer (or staged in
    its store) and landed after the survivor's once the network was back,
    as in Kafka without exactly-once. A worker that lost its membership
    now drops them once its tasks stopped."""
    p = cutoff.positions
    assert p, cutoff.c.logs()
    expect(p == sorted(p), f"positions in write order: {p}")


def test_rejoins_and_reads_each_line_once(cutoff):
    """(e) After the cut, the victim rejoins the group, the leader
    assigns over both workers again, and the lines appended then were
    read by one task only."""
    s = cutoff
    assert s.rejoined, s.c.logs()
    assert s.whole_again, s.c.logs()
    after = numbered_lines(300, 100)
    assert sorted(v for v in s.got if v in set(after)) == after


def test_status_shows_each_task_running_once(cutoff):
    """(e) After the cut, both workers report each connector RUNNING with
    one RUNNING task, on the same worker."""
    s = cutoff
    expect(s.runs_once, "\n".join(
        [f"src{i} as {via} sees it: {st}"
         for (i, via), st in sorted(s.statuses.items())] + [s.c.logs()]))
