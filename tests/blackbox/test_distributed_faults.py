"""connect-distributed under faults: kill -9 of the leader and of a
follower while data flows (a source and a sink). Zero
records lost; recovery times and duplicates are printed (bench/ measures
them)."""

import pytest

import harness
from distributed_helpers import owner_of, timed, values
from harness import (file_sink, file_source, numbered_lines, read_lines,
                     topic_record_count, wait_until, write_lines)


@pytest.mark.parametrize("victim", ["leader", "follower"])
def test_kill9_during_source_flow(cluster, tmp_path, victim):
    """A source whose worker (the leader, or a follower) dies by kill -9
    while lines are being appended: it runs on a survivor, every line
    reaches the topic."""
    c = cluster()
    c.start(3)
    path = tmp_path / "in.txt"
    write_lines(path, numbered_lines(0, 100))
    name = "src"
    # Place it on the victim: three connectors, one per worker.
    for i in range(3):
        p = tmp_path / f"in{i}.txt"
        if i == 0:
            p = path
        else:
            write_lines(p, [])
        r = c.leader().rest("POST", "/connectors", json={
            "name": f"{name}{i}",
            "config": file_source(f"{name}{i}", p, f"kill9-{i}")})
        assert r.status_code == 201, r.text
    st = {i: c.wait_running(f"{name}{i}", 1) for i in range(3)}
    assert all(st.values()), c.logs()
    want = c.leader() if victim == "leader" else c.followers()[0]
    target = next(i for i in range(3) if owner_of(c, st[i]) is want)
    path = tmp_path / ("in.txt" if target == 0 else f"in{target}.txt")
    topic = f"kill9-{target}"
    sent = 100 if target == 0 else 0
    if target:
        write_lines(path, numbered_lines(0, 100))
        sent = 100
    assert wait_until(lambda: topic_record_count(c.bootstrap, topic) >= 50)
    write_lines(path, numbered_lines(sent, 100), mode="a")
    want.kill9()
    survivors = [w.worker_id for w in c.live()]
    st2, took = timed(lambda: c.wait_running(f"{name}{target}", 1,
                                             timeout=60, on=survivors))
    assert st2, c.logs()
    print(f"kill -9 of the {victim}: RUNNING again after {took:.1f} s")
    write_lines(path, numbered_lines(sent + 100, 100), mode="a")
    assert wait_until(lambda: topic_record_count(c.bootstrap, topic) >= 300,
                      timeout=60)
    got = values(c.bootstrap, topic)
    assert set(got) == set(numbered_lines(0, 300))
    print(f"duplicates: {len(got) - 300}")


def test_kill9_of_a_sink_worker(cluster, tmp_path):
    """A sink whose worker dies by kill -9 while records arrive: a
    survivor takes its task over, every record is in the file."""
    c = cluster(topics=("sink-in:4",))
    c.start(2)
    out = tmp_path / "out.txt"
    r = c.leader().rest("POST", "/connectors", json={
        "name": "snk", "config": file_sink("snk", out, "sink-in")})
    assert r.status_code == 201, r.text
    st = c.wait_running("snk", 1)
    assert st, c.logs()
    owner = owner_of(c, st)
    harness.produce(c.bootstrap, "sink-in", numbered_lines(0, 300))
    assert wait_until(lambda: len(read_lines(out)) >= 300, timeout=60)
    harness.produce(c.bootstrap, "sink-in", numbered_lines(300, 300))
    owner.kill9()
    survivor = c.live()[0]
    st2, took = timed(lambda: c.wait_running(
        "snk", 1, timeout=60, on=[survivor.worker_id]))
    assert st2, c.logs()
    print(f"kill -9 of the sink's worker: RUNNING again after {took:.1f} s")
    harness.produce(c.bootstrap, "sink-in", numbered_lines(600, 300))
    assert wait_until(lambda: set(read_lines(out)) >=
                      set(numbered_lines(0, 900)), timeout=90), c.logs()
    print(f"duplicates: {len(read_lines(out)) - 900}")
