"""Stop a worker mid-stream (SIGTERM or kill -9), restart, lose nothing."""

import threading
import time
from pathlib import Path

from harness import (committed_offsets, consume_all, file_sink, file_source,
                     numbered_lines, read_lines, topic_record_count,
                     wait_until, write_lines)

TOPIC = "resume"
TOTAL = 3000
FIRST_RUN_WRITES = 2000  # lines 0..1999 are written while run 1 goes on


class Appender(threading.Thread):
    """Appends lines to a file in small chunks, like a growing log."""

    def __init__(self, path, lines, chunk=5, pause=0.05):
        super().__init__(daemon=True)
        self.path, self.lines = path, lines
        self.chunk, self.pause = chunk, pause

    def run(self):
        for i in range(0, len(self.lines), self.chunk):
            write_lines(self.path, self.lines[i:i + self.chunk], mode="a")
            time.sleep(self.pause)

    def finish(self):
        self.join(timeout=60)
        assert not self.is_alive(), "appender did not finish"


def settled_lines(path, quiet=3.0, timeout=30):
    """The lines of path once it has not changed for `quiet` seconds."""
    deadline = time.monotonic() + timeout
    last, since = None, time.monotonic()
    while time.monotonic() < deadline:
        lines = read_lines(path)
        if lines != last:
            last, since = lines, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return lines
        time.sleep(0.2)
    raise AssertionError(f"{path} still changing after {timeout}s")


def count_replays(seen, expected, max_foreign=0):
    """Checks seen is expected, in order, with only re-sent suffixes.

    seen must walk expected from its first line to its last, one line at a
    time; the only other move allowed is a jump back (a replay of lines
    already sent). A forward jump is a lost line. Lines not in expected
    (a line torn by kill -9) are skipped, at most max_foreign of them.
    Returns the number of replays.
    """
    index = {line: i for i, line in enumerate(expected)}
    foreign = [line for line in seen if line not in index]
    assert len(foreign) <= max_foreign, f"unexpected lines: {foreign[:5]}"
    prev, replays = -1, 0
    for pos, i in enumerate(index[line] for line in seen if line in index):
        if i <= prev:
            replays += 1
        else:
            assert i == prev + 1, \
                f"lines {prev + 1}..{i - 1} missing before output #{pos}"
        prev = i
    assert prev == len(expected) - 1, \
        f"output ends at line {prev}, expected {len(expected) - 1}"
    return replays


def offsets_saved(mock_cluster, w):
    """Source offsets are in the offsets file and the sink's group (named
    connect-<connector> as in Kafka Connect) has committed."""
    offsets_file = Path(w.props["offset.storage.file.filename"])
    source_saved = (offsets_file.exists() and
                    "position" in offsets_file.read_text(encoding="utf-8"))
    return source_saved and committed_offsets(
        mock_cluster.bootstrap, "connect-resume-sink", TOPIC)


def run_interrupted(tmp_path, mock_cluster, worker, interrupt, props=None,
                    committed_first=False):
    """Runs source+sink, interrupts mid-stream, appends, restarts.

    With committed_first, waits before the interrupt until both the source
    offsets and the sink's consumer offsets were saved at least once.
    Returns (worker, expected lines, sink file) once the sink file holds
    every line.
    """
    mock_cluster.create_topic(TOPIC, 1)
    lines = numbered_lines(0, TOTAL)
    source_file = tmp_path / "in.txt"
    sink_file = tmp_path / "out.txt"
    write_lines(source_file, lines[:200])
    w = worker([file_source("resume-source", source_file, TOPIC,
                            {"batch.size": "100"}),
                file_sink("resume-sink", sink_file, TOPIC)], props)

    # About 100 lines/s for 18 s: the worker is interrupted while the file
    # grows, and more lines come while it is down.
    appender = Appender(source_file, lines[200:FIRST_RUN_WRITES])
    appender.start()
    try:
        assert wait_until(lambda: len(read_lines(sink_file)) >= 300,
                          timeout=60), "no data reached the sink file"
        if committed_first:
            assert wait_until(lambda: offsets_saved(mock_cluster, w),
                              timeout=30), "offsets were never saved"
        interrupt(w)
    finally:
        appender.finish()
    write_lines(source_file, lines[FIRST_RUN_WRITES:], mode="a")
    w.restart()
    assert wait_until(lambda: set(lines) <= set(read_lines(sink_file)),
                      timeout=90), \
        f"sink file has {len(set(read_lines(sink_file)))} of {TOTAL} lines"
    return w, lines, sink_file


def test_graceful_stop_is_exactly_once(tmp_path, mock_cluster, worker):
    def graceful(w):
        assert w.stop() == 0

    # No periodic flush: only the flush at graceful stop saves offsets.
    props = {"offset.flush.interval.ms": "60000"}
    w, lines, sink_file = run_interrupted(tmp_path, mock_cluster, worker,
                                          graceful, props)
    assert settled_lines(sink_file) == lines
    assert topic_record_count(mock_cluster.bootstrap, TOPIC) == TOTAL
    assert w.stop() == 0


def test_kill9_is_at_least_once(tmp_path, mock_cluster, worker):
    props = {"offset.flush.interval.ms": "500"}
    w, lines, sink_file = run_interrupted(tmp_path, mock_cluster, worker,
                                          lambda w: w.kill9(), props,
                                          committed_first=True)
    out = settled_lines(sink_file)
    # Source offsets replay once at most; the sink may replay once more.
    # Offsets were flushed before the kill, so no replay starts from 0.
    assert count_replays(out, lines, max_foreign=1) <= 2
    assert out.count(lines[0]) == 1
    topic = [value.decode("utf-8")
             for _, value, _ in consume_all(mock_cluster.bootstrap, TOPIC)]
    assert count_replays(topic, lines) <= 1
    assert topic.count(lines[0]) == 1
    assert w.stop() == 0
