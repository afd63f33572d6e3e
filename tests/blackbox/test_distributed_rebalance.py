"""connect-distributed rebalances: a worker joining moves only what must
move (the tasks that stay are never stopped), and
scheduled.rebalance.max.delay.ms keeps a dead worker's work waiting for
it."""

import time

from distributed_helpers import owner_of
from harness import file_source, numbered_lines, wait_until, write_lines


def create_sources(c, tmp_path, n, prefix="src"):
    for i in range(n):
        path = tmp_path / f"{prefix}{i}.txt"
        write_lines(path, numbered_lines(0, 5))
        r = c.leader().rest("POST", "/connectors", json={
            "name": f"{prefix}{i}",
            "config": file_source(f"{prefix}{i}", path, f"{prefix}-t{i}")})
        assert r.status_code == 201, r.text
    sts = {f"{prefix}{i}": c.wait_running(f"{prefix}{i}", 1)
           for i in range(n)}
    assert all(sts.values()), c.logs()
    return sts


def stops_of(worker, name):
    return worker.log_lines_matching(rf"\[{name}\|task-0\] Task stopped")


def test_a_joining_worker_stops_only_what_moves(cluster, tmp_path):
    """Four sources on two workers; a third joins and takes its share. The
    tasks that stay where they were keep running: their workers never
    stopped them."""
    c = cluster()
    c.start(2)
    before = {name: owner_of(c, st) for name, st in
              create_sources(c, tmp_path, 4).items()}
    assert sorted(w.name for w in before.values()).count("w0") == 2
    c.add_worker().in_group()
    c.settled()

    def moved_one():
        owners = {}
        for name in before:
            st = c.wait_running(name, 1, timeout=5)
            if not st:
                return None
            owners[name] = owner_of(c, st)
        return owners if "w2" in {w.name for w in owners.values()} else None
    after = wait_until(moved_one, timeout=60)
    assert after, c.logs()
    # Balanced: 4 tasks over 3 workers.
    per = {}
    for w in after.values():
        per[w.name] = per.get(w.name, 0) + 1
    assert sorted(per.values()) == [1, 1, 2], per
    for name, w in after.items():
        if w is before[name]:
            assert not stops_of(w, name), (name, w.name)
        else:
            assert stops_of(before[name], name), (name, before[name].name)


def test_scheduled_rebalance_delay_waits_for_the_worker(cluster, tmp_path):
    """scheduled.rebalance.max.delay.ms=30000: a worker killed and started
    again within the delay gets its work back, and the survivor never ran
    it meanwhile."""
    c = cluster(props={"scheduled.rebalance.max.delay.ms": "30000"})
    c.start(2)
    sts = create_sources(c, tmp_path, 2)
    victim = owner_of(c, sts["src0"])
    other = next(w for w in c.workers if w is not victim)
    mine = [n for n, st in sts.items() if owner_of(c, st) is victim]
    victim.kill9()
    # Well past the failover time of a zero delay (about 12 s here).
    time.sleep(16)
    for name in mine:
        st = c.status(name, via=other)
        assert all(t["worker_id"] != other.worker_id for t in st["tasks"]), \
            st
        assert not other.log_lines_matching(
            rf"\[{name}\] Task 0 is assigned to this worker")
    victim.start()
    victim.in_group()
    for name in mine:
        assert c.wait_running(name, 1, timeout=60, on=[victim.worker_id]), \
            c.logs()
    assert not any(other.log_lines_matching(
        rf"\[{name}\] Task 0 is assigned to this worker") for name in mine)
