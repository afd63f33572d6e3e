"""Tasks stuck in plugin code (TestSource's test.hang.poll.while.file):
one stop deadline for all of them, never two instances of one task,
nothing freed under a live task thread."""

from harness import (PLUGINS_DIR, TEST_PLUGINS_GOOD_DIR, connector,
                     wait_until)
from rest_helpers import create, rest_worker, status, values, wait_task

PROPS = {"plugin.path": f"{PLUGINS_DIR},{TEST_PLUGINS_GOOD_DIR}",
         "task.shutdown.graceful.timeout.ms": "5000"}


def hanging(name, hang_file, tasks=1, records=5):
    return connector(name, "TestSource", {
        "topic": name, "tasks.max": str(tasks),
        "test.records": str(records),
        "test.hang.poll.while.file": str(hang_file)})


def test_stopping_20_stuck_tasks_takes_one_deadline(tmp_path, mock_cluster,
                                                    worker):
    """20 tasks hang in poll: DELETE answers (one 5 s deadline for all,
    not 20 x 5 s past the 90 s REST timeout), the worker keeps serving,
    and SIGTERM ends it cleanly although the threads are still stuck."""
    hang = tmp_path / "hang"
    hang.write_text("")
    w, rest = rest_worker(worker, props=PROPS)
    create(rest, "stuck", hanging("stuck", hang, tasks=20))
    assert wait_until(lambda: [t["state"] for t in status(
        rest, "stuck")["tasks"]] == ["RUNNING"] * 20)
    other = rest.get("/connectors")
    assert other.status_code == 200 and other.json() == ["stuck"]

    response = rest.delete("/connectors/stuck")
    assert response.status_code == 204, response.text
    assert rest.get("/connectors").json() == []
    assert "20 task(s) stuck after a stop" in \
        rest.get("/health").json()["message"]
    assert len(w.log_lines_matching(
        r"Task stuck-\d+ did not stop within")) == 20
    assert w.stop() == 0
    assert w.log_lines_matching(
        r"Worker stopped with 20 task\(s\) stuck; exiting")


def test_a_stuck_task_never_runs_twice(tmp_path, mock_cluster, worker):
    """Restarting a stuck task waits for its old instance: the status says
    so, no second instance starts; once the old one ends, the new one
    runs and the records arrive."""
    mock_cluster.create_topic("once", 1)
    hang = tmp_path / "hang"
    hang.write_text("")
    w, rest = rest_worker(worker, props=PROPS)
    create(rest, "once", hanging("once", hang))
    wait_task(rest, "once", 0, lambda t: t["state"] == "RUNNING",
              "RUNNING")
    response = rest.post("/connectors/once/tasks/0/restart")
    assert response.status_code == 204, response.text
    task = status(rest, "once")["tasks"][0]
    assert task["state"] == "UNASSIGNED", task
    assert "Waiting for the previous instance" in task["trace"], task
    # A restart of the connector with its tasks waits as well.
    response = rest.post("/connectors/once/restart?includeTasks=true")
    assert response.status_code == 202, response.text
    assert status(rest, "once")["tasks"][0]["state"] == "UNASSIGNED"

    hang.unlink()
    wait_task(rest, "once", 0, lambda t: t["state"] == "RUNNING" and
              "trace" not in t, "RUNNING again")
    assert wait_until(lambda: sorted(values(mock_cluster.bootstrap,
                                            "once")) ==
                      sorted(f"record-0-{i}" for i in range(5)))
    assert not w.log_lines_matching(r"second live instance")
    assert w.log_lines_matching(r"Stuck task once-0 has ended")
    assert w.stop() == 0


def test_reconfiguration_requests_coalesce(mock_cluster, worker):
    """50 reconfiguration requests in a row with unchanged task configs
    restart no task (Kafka compares the new task configs with the old)."""
    w, rest = rest_worker(worker, props=PROPS)
    create(rest, "reconf", connector("reconf", "TestSource", {
        "topic": "reconf", "tasks.max": "2",
        "test.reconfigure.requests": "50"}))
    wait_task(rest, "reconf", 1, lambda t: t["state"] == "RUNNING",
              "RUNNING")
    assert w.wait_for_log(r"TestSource task 1: records")
    wait_until(lambda: False, timeout=2)
    assert len(w.log_lines_matching(r"TestSource task 0: records")) == 1
    assert not w.log_lines_matching(r"Reconfiguring tasks")
    assert w.stop() == 0
