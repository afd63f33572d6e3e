"""Nothing slow runs on the herder thread: with one connector blocked in
its create() and another whose task blocks as it stops (BlockingSource,
tests/plugins/blocking.c), the worker keeps answering about the others,
and a file-source -> file-sink pair keeps moving data. Releasing the
markers lets the blocked requests finish; a worker shut down with a
plugin still blocked exits 0 without unloading it."""

import threading

from harness import (BUILD_DIR, PLUGINS_DIR, TEST_PLUGINS_GOOD_DIR,
                     connector, file_sink, file_source, numbered_lines,
                     read_lines, wait_until, write_lines)
from rest_helpers import (assert_error, create, rest_worker, status,
                          wait_state)

BLOCKING_DIR = BUILD_DIR / "test-plugins-blocking"
PLUGIN_PATH = f"{PLUGINS_DIR},{TEST_PLUGINS_GOOD_DIR},{BLOCKING_DIR}"


def blocking(name, topic, **blocks):
    """A BlockingSource config; blocks maps a call (create, stop, ...) to
    its marker file."""
    extra = {"topic": topic, "test.records": "-1"}
    for call, marker in blocks.items():
        extra[f"test.block.{call.replace('_', '.')}.while.file"] = \
            str(marker)
    return connector(name, "BlockingSource", extra)


class Background:
    """One REST call on a thread of its own: its answer is read later."""

    def __init__(self, call, *args, **kwargs):
        self.response = None
        self.error = None

        def run():
            try:
                self.response = call(*args, **kwargs)
            except Exception as exc:  # noqa: BLE001 - reported by result()
                self.error = exc
        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()

    def result(self, timeout=60):
        self.thread.join(timeout)
        assert not self.thread.is_alive(), "the request never answered"
        assert self.error is None, self.error
        return self.response


def pipe(rest, tmp_path, mock_cluster):
    """A file source into a topic and a file sink out of it; returns the
    source's input and the sink's output paths."""
    mock_cluster.create_topic("pipe", 1)
    src, out = tmp_path / "pipe-in.txt", tmp_path / "pipe-out.txt"
    write_lines(src, numbered_lines(0, 10))
    create(rest, "pipe-src", file_source("pipe-src", src, "pipe"))
    create(rest, "pipe-sink", file_sink("pipe-sink", out, "pipe"))
    assert wait_until(lambda: read_lines(out) == numbered_lines(0, 10),
                      timeout=60), read_lines(out)
    return src, out


def test_blocked_plugins_do_not_block_the_herder(tmp_path, mock_cluster,
                                                 worker):
    # Longer than REST's 90 s herder timeout: a herder that waited for
    # the stuck stop could not answer anything meanwhile.
    w, rest = rest_worker(worker, props={
        "plugin.path": PLUGIN_PATH,
        "task.shutdown.graceful.timeout.ms": "120000"})
    rest.wait_healthy()
    src, out = pipe(rest, tmp_path, mock_cluster)

    stop_marker = tmp_path / "stop.marker"
    create_marker = tmp_path / "create.marker"
    stop_marker.write_text("")
    create_marker.write_text("")
    create(rest, "stopper", blocking("stopper", "stopper", stop=stop_marker))
    wait_state(rest, "stopper", "RUNNING", ["RUNNING"])
    stopping = Background(rest.put, "/connectors/stopper/stop",
                          timeout=200)
    creating = Background(rest.post, "/connectors", timeout=200, json={
        "name": "creator",
        "config": blocking("creator", "creator", create=create_marker)})

    # The herder answers while both plugins are blocked.
    assert wait_until(lambda: sorted(rest.get("/connectors").json()) ==
                      ["creator", "pipe-sink", "pipe-src", "stopper"]), \
        rest.get("/connectors").text
    for name in ("pipe-src", "pipe-sink"):
        body = status(rest, name)
        assert body["connector"]["state"] == "RUNNING", body
        assert [t["state"] for t in body["tasks"]] == ["RUNNING"], body
    # The connector still being created answers with its state so far.
    body = status(rest, "creator")
    assert body["connector"]["state"] == "UNASSIGNED", body
    assert body["tasks"] == [], body
    assert rest.get("/connectors/creator/config").json()["topic"] == \
        "creator"
    assert_error(rest.get("/connectors/nosuch/status"), 404)
    # A new connector can be created and runs meanwhile.
    create(rest, "late", connector("late", "TestSource",
                                   {"topic": "late", "test.records": "3"}))
    wait_state(rest, "late", "RUNNING", ["RUNNING"])
    # And data keeps moving through the others.
    write_lines(src, numbered_lines(10, 10), mode="a")
    assert wait_until(lambda: read_lines(out) == numbered_lines(0, 20),
                      timeout=60), read_lines(out)
    assert stopping.thread.is_alive() and creating.thread.is_alive()

    # Releasing the markers lets both requests finish.
    create_marker.unlink()
    stop_marker.unlink()
    r = creating.result()
    assert r.status_code == 201, r.text
    assert r.json()["name"] == "creator"
    assert r.json()["tasks"] == [{"connector": "creator", "task": 0}]
    r = stopping.result()
    assert r.status_code == 204, r.text
    wait_state(rest, "creator", "RUNNING", ["RUNNING"])
    wait_state(rest, "stopper", "STOPPED", [])
    assert not w.log_lines_matching(r"stuck")
    assert w.stop() == 0


def test_shutdown_with_a_blocked_plugin_is_bounded(tmp_path, mock_cluster,
                                                   worker):
    """SIGTERM while one connector hangs in create() and a task hangs in
    its stop: the worker exits 0 within the shared stop deadline, without
    unloading the plugin its threads are still in."""
    w, rest = rest_worker(worker, props={
        "plugin.path": PLUGIN_PATH,
        "task.shutdown.graceful.timeout.ms": "3000"})
    rest.wait_healthy()
    marker = tmp_path / "marker"
    marker.write_text("")
    create(rest, "stopper", blocking("stopper", "stopper", stop=marker))
    wait_state(rest, "stopper", "RUNNING", ["RUNNING"])
    creating = Background(rest.post, "/connectors", timeout=200, json={
        "name": "creator",
        "config": blocking("creator", "creator", create=marker)})
    assert wait_until(lambda: "creator" in rest.get("/connectors").json())
    assert w.stop(timeout=60) == 0
    assert w.log_lines_matching(r"Worker stopped with \d+ task\(s\) stuck")
    creating.thread.join(30)


def test_a_create_past_the_deadline_is_reported(tmp_path, worker):
    """A create() that has not returned after
    task.shutdown.graceful.timeout.ms: the connector's status says so
    (still UNASSIGNED: C code cannot be interrupted), and once the call
    returns the connector runs with no trace left."""
    w, rest = rest_worker(worker, props={
        "plugin.path": PLUGIN_PATH,
        "task.shutdown.graceful.timeout.ms": "1500"})
    rest.wait_healthy()
    marker = tmp_path / "create.marker"
    marker.write_text("")
    creating = Background(rest.post, "/connectors", timeout=200, json={
        "name": "slow", "config": blocking("slow", "slow", create=marker)})

    def reported():
        body = status(rest, "slow")
        return body if body and "has not returned" in \
            body["connector"].get("trace", "") else None
    body = wait_until(reported, timeout=30)
    assert body, status(rest, "slow")
    assert body["connector"]["state"] == "UNASSIGNED", body
    assert "create() has not returned after" in body["connector"]["trace"]
    assert w.log_lines_matching(r"WARN", r"create\(\) has not returned")
    marker.unlink()
    assert creating.result().status_code == 201
    body = wait_state(rest, "slow", "RUNNING", ["RUNNING"])
    assert "trace" not in body["connector"], body
    assert w.stop() == 0
