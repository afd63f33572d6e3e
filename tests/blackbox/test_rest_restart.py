"""Automatic restart of failed tasks (beyond Kafka): a task that fails is
restarted by the worker with exponential backoff (task.restart.enable,
task.restart.backoff.initial.ms, task.restart.backoff.max.ms). While it
waits, its status is RESTARTING with "attempt N" and the last failure in
the trace. A failure that clears needs no REST call.

The failure is TestSource's test.fail.while.file: poll() fails while a
marker file exists; the test deletes the file to clear it."""

import re

from harness import (PLUGINS_DIR, TEST_PLUGINS_GOOD_DIR, consume_all,
                     topic_record_count, wait_until)
from rest_helpers import (assert_status_shape, create, rest_worker, states,
                          status, stays, wait_state, wait_task, worker_id_of)

PLUGIN_PATH = f"{PLUGINS_DIR},{TEST_PLUGINS_GOOD_DIR}"
FAST_BACKOFF = {"plugin.path": PLUGIN_PATH,
                "task.restart.backoff.initial.ms": "200",
                "task.restart.backoff.max.ms": "1000"}
ATTEMPT_RE = re.compile(r"attempt (\d+)")


def source(name, topic, marker, records=20, tasks=1):
    return {"name": name, "connector.class": "TestSource",
            "tasks.max": str(tasks), "topic": topic,
            "test.records": str(records),
            "test.fail.while.file": str(marker)}


def attempt_of(task):
    """The attempt number in a RESTARTING task's trace, or None."""
    if task.get("state") != "RESTARTING":
        return None
    match = ATTEMPT_RE.search(task.get("trace", ""))
    return int(match.group(1)) if match else None


def wait_attempt(rest, name, at_least, task=0, timeout=30):
    return wait_task(rest, name, task,
                     lambda t: (attempt_of(t) or 0) >= at_least,
                     f"RESTARTING with attempt >= {at_least}", timeout)


def expected_values(task, count):
    return sorted(f"record-{task}-{i}" for i in range(count))


def topic_values(bootstrap, topic):
    return sorted(v.decode() for _, v, _ in consume_all(bootstrap, topic))


def outage_worker(tmp_path, worker, mock_cluster, topic):
    """A healthy worker with fast restart backoff, topic created, and an
    outage marker file (TestSource fails while it exists). Returns
    (worker, rest, marker)."""
    mock_cluster.create_topic(topic, 1)
    w, rest = rest_worker(worker, props=FAST_BACKOFF)
    rest.wait_healthy()
    marker = tmp_path / "outage"
    marker.write_text("the outage goes on while this file exists")
    return w, rest, marker


def test_failed_task_restarts_by_itself(tmp_path, worker, mock_cluster):
    topic = "auto-topic"
    w, rest, marker = outage_worker(
        tmp_path, worker, mock_cluster, topic)
    create(rest, "auto", source("auto", topic, marker))

    # Waiting between attempts: RESTARTING, "attempt N" and the failure.
    first = wait_task(rest, "auto", 0, lambda t: attempt_of(t) is not None,
                      "RESTARTING with an attempt number in its trace")
    trace = first["trace"]
    assert "injected failure in poll while file" in trace, trace
    assert str(marker) in trace, trace
    assert "stage" in trace and "auto" in trace, trace
    body = status(rest, "auto")
    assert body["connector"]["state"] == "RUNNING", body
    assert_status_shape(body, "auto", "source", worker_id_of(rest))
    one = rest.get("/connectors/auto/tasks/0/status").json()
    assert one["state"] in ("RESTARTING", "FAILED", "RUNNING",
                            "UNASSIGNED"), one

    # It keeps trying: the attempt number grows (1, 2, 3 ...).
    seen = wait_attempt(rest, "auto", attempt_of(first) + 2)
    assert "injected failure in poll" in seen["trace"], seen
    assert topic_record_count(mock_cluster.bootstrap, topic) == 0
    assert w.log_lines_matching(r"auto", r"(?i)restart"), \
        "the automatic restarts are not logged"

    # The outage ends: the task comes back without any REST call.
    marker.unlink()
    wait_state(rest, "auto", "RUNNING", ["RUNNING"], timeout=30)
    assert wait_until(lambda: topic_record_count(mock_cluster.bootstrap,
                                                 topic) >= 20, 30), \
        topic_record_count(mock_cluster.bootstrap, topic)
    assert topic_values(mock_cluster.bootstrap, topic) == \
        expected_values(0, 20)
    task = status(rest, "auto")["tasks"][0]
    assert "trace" not in task, task
    # And it stays up.
    assert stays(lambda: states(rest, "auto") == ("RUNNING", ["RUNNING"]),
                 2) is None, status(rest, "auto")
    assert w.running()


def test_only_the_failing_task_restarts(tmp_path, worker, mock_cluster):
    """Two tasks, task 1 fails: task 0 keeps running and producing."""
    topic = "auto-two"
    _, rest, marker = outage_worker(
        tmp_path, worker, mock_cluster, topic)
    config = dict(source("two", topic, marker, records=5, tasks=2),
                  **{"test.fail.task": "1"})
    create(rest, "two", config)
    wait_attempt(rest, "two", 2, task=1)
    assert wait_until(lambda: topic_record_count(mock_cluster.bootstrap,
                                                 topic) == 5, 30)
    assert states(rest, "two")[1][0] == "RUNNING", status(rest, "two")
    marker.unlink()
    wait_state(rest, "two", "RUNNING", ["RUNNING", "RUNNING"])
    assert wait_until(lambda: topic_record_count(mock_cluster.bootstrap,
                                                 topic) == 10, 30)
    assert topic_values(mock_cluster.bootstrap, topic) == \
        sorted(expected_values(0, 5) + expected_values(1, 5))


def test_backoff_grows_and_attempts_reset(tmp_path, worker, mock_cluster):
    """The delay doubles up to the maximum (as the trace tells), and a task
    that then runs well for a while starts over at attempt 1."""
    topic = "auto-reset"
    mock_cluster.create_topic(topic, 1)
    w, rest = rest_worker(worker, props={
        "plugin.path": PLUGIN_PATH,
        "task.restart.backoff.initial.ms": "100",
        "task.restart.backoff.max.ms": "400"})
    rest.wait_healthy()
    marker = tmp_path / "outage"
    marker.write_text("x")
    create(rest, "br", source("br", topic, marker, records=3))
    wait_attempt(rest, "br", 5)
    # Delays in the log/trace: 100, 200, 400, 400, ... never above max.
    delays = [int(m) for m in re.findall(r"(\d+) ms",
                                         " ".join(w.log_lines_matching(
                                             r"\bbr\b", r"attempt")))]
    assert delays, w.log_lines_matching(r"\bbr\b")
    assert max(delays) <= 400 and delays[:3] == [100, 200, 400], delays

    marker.unlink()
    wait_state(rest, "br", "RUNNING", ["RUNNING"])
    assert wait_until(lambda: topic_record_count(mock_cluster.bootstrap,
                                                 topic) == 3, 30)
    # Running well for several maximum backoff periods: a new failure
    # starts over at attempt 1.
    assert stays(lambda: states(rest, "br") == ("RUNNING", ["RUNNING"]),
                 3) is None, status(rest, "br")
    # The attempt's RESTARTING window is short (100 ms): read the number
    # from the log line of each scheduled restart, which the status trace
    # repeats.
    before = len(w.log_lines_matching(r"\bbr\b", r"attempt \d+"))
    marker.write_text("x")
    wait_task(rest, "br", 0, lambda t: attempt_of(t) is not None,
              "RESTARTING again")
    after = w.log_lines_matching(r"\bbr\b", r"attempt \d+")
    assert len(after) > before, after
    assert ATTEMPT_RE.search(after[before]).group(1) == "1", \
        ("a task that ran well for a while did not start over at attempt 1: "
         + after[before])


def test_disabled_failed_task_stays_failed(tmp_path, worker, mock_cluster):
    topic = "auto-off"
    mock_cluster.create_topic(topic, 1)
    _, rest = rest_worker(worker, props=dict(
        FAST_BACKOFF, **{"task.restart.enable": "false"}))
    rest.wait_healthy()
    marker = tmp_path / "outage"
    marker.write_text("x")
    create(rest, "off", source("off", topic, marker))
    body = wait_state(rest, "off", "RUNNING", ["FAILED"])
    assert "injected failure in poll" in body["tasks"][0]["trace"]
    marker.unlink()
    broke = stays(lambda: states(rest, "off") == ("RUNNING", ["FAILED"]), 3)
    assert broke is None, ("task.restart.enable=false, yet the task left "
                           f"FAILED: {status(rest, 'off')}")
    assert topic_record_count(mock_cluster.bootstrap, topic) == 0
    # A human restart brings it back.
    assert rest.post("/connectors/off/tasks/0/restart").status_code == 204
    wait_state(rest, "off", "RUNNING", ["RUNNING"])
    assert wait_until(lambda: topic_record_count(mock_cluster.bootstrap,
                                                 topic) == 20, 30)


def test_pause_stop_and_delete_while_restarting(tmp_path, worker,
                                                mock_cluster):
    """A task waiting for its automatic restart obeys the connector's
    target state: stop cancels the restart, pause keeps it paused, delete
    removes it; nothing comes back by itself."""
    topic = "auto-target"
    w, rest, marker = outage_worker(
        tmp_path, worker, mock_cluster, topic)
    create(rest, "tg", source("tg", topic, marker, records=5))
    wait_attempt(rest, "tg", 1)

    assert rest.put("/connectors/tg/stop").status_code == 204
    wait_state(rest, "tg", "STOPPED", [])
    marker.unlink()
    broke = stays(lambda: states(rest, "tg") == ("STOPPED", []), 2)
    assert broke is None, status(rest, "tg")
    assert topic_record_count(mock_cluster.bootstrap, topic) == 0

    marker.write_text("x")
    assert rest.put("/connectors/tg/resume").status_code == 202
    wait_attempt(rest, "tg", 1)
    marker.unlink()
    wait_state(rest, "tg", "RUNNING", ["RUNNING"])
    assert wait_until(lambda: topic_record_count(mock_cluster.bootstrap,
                                                 topic) == 5, 30)

    # Paused while waiting: the restarted task comes back paused (a paused
    # task does not poll, so it does not fail); resume brings the failure
    # back until it clears.
    marker.write_text("x")
    create(rest, "tp", source("tp", "auto-target-p", marker, records=5))
    wait_attempt(rest, "tp", 1)
    assert rest.put("/connectors/tp/pause").status_code == 202
    wait_state(rest, "tp", "PAUSED", ["PAUSED"])
    assert rest.put("/connectors/tp/resume").status_code == 202
    wait_attempt(rest, "tp", 1)
    marker.unlink()
    wait_state(rest, "tp", "RUNNING", ["RUNNING"])
    assert wait_until(lambda: topic_record_count(mock_cluster.bootstrap,
                                                 "auto-target-p") == 5, 30)
    assert rest.delete("/connectors/tp").status_code == 204

    marker.write_text("x")
    create(rest, "tg2", source("tg2", topic, marker, records=5))
    wait_attempt(rest, "tg2", 1)
    assert rest.delete("/connectors/tg2").status_code == 204
    marker.unlink()
    broke = stays(lambda: rest.get("/connectors/tg2").status_code == 404, 2)
    assert broke is None
    assert sorted(rest.get("/connectors").json()) == ["tg"]
    assert w.running()
