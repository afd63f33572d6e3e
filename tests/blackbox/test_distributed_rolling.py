"""connect-distributed: rolling restarts of every worker while a source
and a sink run. Zero records lost; duplicates are printed."""

import harness
from distributed_helpers import values
from harness import (file_sink, file_source, numbered_lines, read_lines,
                     topic_record_count, wait_until, write_lines)


def test_rolling_restarts(cluster, tmp_path):
    """All three workers restarted one after the other, three times, while
    a source and a sink run: nothing lost."""
    c = cluster(topics=("roll-in:4",))
    workers = c.start(3)
    src, out = tmp_path / "in.txt", tmp_path / "out.txt"
    write_lines(src, [])
    lead = c.leader()
    for body in ({"name": "src", "config": file_source("src", src,
                                                        "roll-src")},
                 {"name": "snk", "config": file_sink("snk", out,
                                                      "roll-in")}):
        r = lead.rest("POST", "/connectors", json=body)
        assert r.status_code == 201, r.text
    assert c.wait_running("src", 1) and c.wait_running("snk", 1)
    n = 0
    for rnd in range(3):
        for w in workers:
            write_lines(src, numbered_lines(n, 50), mode="a")
            harness.produce(c.bootstrap, "roll-in", numbered_lines(n, 50))
            n += 50
            assert w.stop() == 0
            w.start()
            w.in_group()
            assert c.wait_running("src", 1, timeout=60), c.logs()
            assert c.wait_running("snk", 1, timeout=60), c.logs()
    write_lines(src, numbered_lines(n, 50), mode="a")
    harness.produce(c.bootstrap, "roll-in", numbered_lines(n, 50))
    n += 50
    assert wait_until(lambda: topic_record_count(c.bootstrap,
                                                 "roll-src") >= n,
                      timeout=60)
    assert set(values(c.bootstrap, "roll-src")) == set(numbered_lines(0, n))
    assert wait_until(lambda: set(read_lines(out)) >=
                      set(numbered_lines(0, n)), timeout=90), c.logs()
    print(f"source duplicates: {len(values(c.bootstrap, 'roll-src')) - n}, "
          f"sink duplicates: {len(read_lines(out)) - n}")
