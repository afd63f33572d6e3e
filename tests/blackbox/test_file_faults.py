"""File connectors under faults a user meets: a source file truncated in
place (logrotate copytruncate), lines longer than the producer can send or
without any newline, and a sink whose disk is full. Nothing may be lost,
torn or silently stuck."""

import os
import re

from harness import (committed_offsets, file_sink, file_source, produce,
                     read_lines, topic_record_count, wait_until, write_lines)
from rest_helpers import (assert_error, create, rest_worker, status, stays,
                          values, wait_state, wait_task, wait_values)

BIG_LINE = 12 * 1024 * 1024


def source_offsets(rest, name):
    r = rest.get(f"/connectors/{name}/offsets")
    assert r.status_code == 200, r.text
    return r.json()["offsets"]


def source_worker(worker, mock_cluster, topic, props=None):
    """A healthy REST worker, and topic created with one partition."""
    mock_cluster.create_topic(topic, 1)
    w, rest = rest_worker(worker, props=props)
    rest.wait_healthy()
    return w, rest


def peak_rss_kib(pid):
    """VmHWM of a process: the most resident memory it ever had."""
    with open(f"/proc/{pid}/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise AssertionError(f"no VmHWM for {pid}")


def test_copytruncate_loses_nothing(tmp_path, worker, mock_cluster):
    """Truncated to 0 on the same inode and written again past the read
    position while the task was not looking: every new line arrives whole,
    a warning names the file, offsets count from the new content."""
    topic = "ct"
    w, rest = source_worker(worker, mock_cluster, topic)
    path = tmp_path / "app.log"
    old = [f"line-{i:04d}" for i in range(100)]
    new = [f"line-v{i:04d} written after the truncation" for i in range(300)]
    write_lines(path, old)
    create(rest, "ct", file_source("ct", path, topic))
    wait_values(mock_cluster.bootstrap, topic, old)
    inode = path.stat().st_ino

    # The task must not look while the file is truncated and regrown.
    assert rest.put("/connectors/ct/pause").status_code == 202
    wait_state(rest, "ct", "PAUSED", ["PAUSED"])
    with open(path, "r+", encoding="utf-8") as f:
        f.truncate(0)
        f.write("".join(line + "\n" for line in new))
    assert path.stat().st_ino == inode
    assert path.stat().st_size > len(old) * len("line-0000\n")
    assert rest.put("/connectors/ct/resume").status_code == 202

    wait_values(mock_cluster.bootstrap, topic, old + new)
    w.wait_for_log(rf"WARN.*file '{re.escape(str(path))}' was truncated")
    size = path.stat().st_size
    assert wait_until(lambda: source_offsets(rest, "ct") == [
        {"partition": {"filename": str(path)},
         "offset": {"position": size}}]), source_offsets(rest, "ct")
    broke = stays(lambda: topic_record_count(mock_cluster.bootstrap, topic)
                  == 400, 2)
    assert broke is None, values(mock_cluster.bootstrap, topic)[:5]


def write_with_big_line(path, before, after, big=BIG_LINE):
    with open(path, "wb") as f:
        f.write("".join(line + "\n" for line in before).encode())
        chunk = b"x" * (1024 * 1024)
        for _ in range(big // len(chunk)):
            f.write(chunk)
        f.write(b"\n")
        f.write("".join(line + "\n" for line in after).encode())


def test_overlong_line_skipped_with_tolerance_all(tmp_path, worker,
                                                  mock_cluster):
    """A 12 MB line between normal lines: every normal line arrives, the
    big one is skipped with a warning (file, position, length)."""
    topic = "big-all"
    w, rest = source_worker(worker, mock_cluster, topic)
    path = tmp_path / "big.txt"
    before = [f"before {i}" for i in range(50)]
    after = [f"after {i}" for i in range(50)]
    write_with_big_line(path, before, after)
    create(rest, "big", file_source("big", path, topic,
                                    {"errors.tolerance": "all"}))
    wait_values(mock_cluster.bootstrap, topic, before + after)
    position = len("".join(line + "\n" for line in before))
    w.wait_for_log(rf"WARN.*skipped a line of {BIG_LINE} bytes at position "
                   rf"{position} of file '{re.escape(str(path))}'")
    size = path.stat().st_size
    assert wait_until(lambda: source_offsets(rest, "big") == [
        {"partition": {"filename": str(path)},
         "offset": {"position": size}}]), source_offsets(rest, "big")
    assert status(rest, "big")["tasks"][0]["state"] == "RUNNING"


def test_overlong_line_fails_task_by_default(tmp_path, worker, mock_cluster):
    """errors.tolerance=none: the lines before arrive, then the task is
    FAILED with a trace that names the key to raise and where the line is;
    the worker lives on. (Automatic restarts are off here, as in Kafka;
    with them the task is RESTARTING with the same trace.)"""
    topic = "big-none"
    w, rest = source_worker(worker, mock_cluster, topic, props={"task.restart.enable": "false"})
    path = tmp_path / "big.txt"
    before = [f"before {i}" for i in range(50)]
    write_with_big_line(path, before, ["after"])
    create(rest, "big", file_source("big", path, topic))
    task = wait_task(rest, "big", 0, lambda t: t["state"] == "FAILED",
                     "FAILED", timeout=60)
    position = len("".join(line + "\n" for line in before))
    assert "line.max.bytes=999964" in task["trace"], task
    assert "errors.tolerance=all" in task["trace"], task
    assert f"position {position} of file '{path}'" in task["trace"], task
    wait_values(mock_cluster.bootstrap, topic, before)
    assert w.running()


def test_line_max_bytes_is_validated(tmp_path, worker, mock_cluster):
    """A bound that is not a positive integer up to 1000000000 is a 400
    naming the key."""
    _, rest = rest_worker(worker)
    rest.wait_healthy()
    for bad in ("0", "-5", "1000000001", "lots"):
        config = file_source("v", tmp_path / "v.txt", "v",
                             {"line.max.bytes": bad})
        message = assert_error(rest.post("/connectors", json={
            "name": "v", "config": config}), 400)
        assert "line.max.bytes" in message, (bad, message)
    create(rest, "v", file_source("v", tmp_path / "v.txt", "v",
                                  {"line.max.bytes": "1000000000"}))


def test_no_newline_stays_bounded(tmp_path, worker, mock_cluster):
    """20 MB without a newline: the worker's memory does not grow with the
    line, the task keeps running, and the lines after it arrive."""
    topic = "nonl"
    w, rest = source_worker(worker, mock_cluster, topic)
    path = tmp_path / "nonl.txt"
    write_lines(path, ["first"])
    create(rest, "nonl", file_source("nonl", path, topic,
                                     {"errors.tolerance": "all"}))
    wait_values(mock_cluster.bootstrap, topic, ["first"])
    rss_before = peak_rss_kib(w.pid)
    with open(path, "ab") as f:
        chunk = b"z" * (1024 * 1024)
        for _ in range(20):
            f.write(chunk)
            f.flush()
    write_lines(path, ["", "after 1", "after 2"], mode="a")
    wait_values(mock_cluster.bootstrap, topic, ["first", "after 1",
                                                "after 2"])
    rss_after = peak_rss_kib(w.pid)
    print(f"worker peak RSS {rss_before} KiB before, {rss_after} KiB after")
    # The line buffer's bound is line.max.bytes + 256 KiB; 20 MB buffered
    # would show as more than 20 MB.
    assert rss_after - rss_before < 8 * 1024, (rss_before, rss_after)
    assert status(rest, "nonl")["tasks"][0]["state"] == "RUNNING"
    w.wait_for_log(r"WARN.*line at position 6 of file "
                   rf"'{re.escape(str(path))}' is longer than "
                   r"line\.max\.bytes \(999964\); skipping it")


def test_sink_disk_full_is_loud_and_commits_nothing(tmp_path, worker,
                                                    mock_cluster):
    """file=/dev/full: put is retried with growing backoff and the log
    says why, no consumer offset is committed; once the file is writable
    every record is written exactly once and then committed."""
    topic = "full"
    mock_cluster.create_topic(topic, 1)
    records = [f"record {i}" for i in range(20)]
    produce(mock_cluster.bootstrap, topic, records)
    w, rest = rest_worker(worker)
    rest.wait_healthy()
    path = tmp_path / "out.txt"
    os.symlink("/dev/full", path)
    create(rest, "fs", file_sink("fs", path, topic))
    wait_state(rest, "fs", "RUNNING", ["RUNNING"])

    pattern = (r"put failed, retrying in (\d+) ms[^:]*: cannot write to "
               rf"'{re.escape(str(path))}': No space left on device "
               r"\(ENOSPC")

    def backoffs():
        got = [int(m.group(1)) for m in
               re.finditer(pattern, w.log_text())]
        return got if len(got) >= 4 else None
    got = wait_until(backoffs, timeout=60)
    assert got, w.log_text()[-3000:]
    assert got[:4] == sorted(got[:4]) and got[0] < got[3], got
    group = "connect-fs"
    assert committed_offsets(mock_cluster.bootstrap, group, topic) == {}
    broke = stays(lambda: committed_offsets(mock_cluster.bootstrap, group,
                                            topic) == {}, 3)
    assert broke is None, broke

    # Space is back (the path now names a regular file): every record once.
    fresh = tmp_path / "out.txt.new"
    fresh.write_text("")
    os.replace(fresh, path)
    assert wait_until(lambda: read_lines(path) == records, timeout=60), \
        read_lines(path)
    assert wait_until(lambda: committed_offsets(
        mock_cluster.bootstrap, group, topic) == {0: 20}, timeout=60)
    assert read_lines(path) == records
    assert w.stop() == 0
