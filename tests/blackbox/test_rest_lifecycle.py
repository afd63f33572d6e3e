"""Connector lifecycle over REST, observed in the data and in the status:
states and exact JSON shapes, pause/resume (no records while paused),
stop/resume, delete (offsets stay), validation (400 listing every bad key),
duplicates, unknown connectors, malformed and oversized bodies, wrong
methods, topic tracking and the restart endpoints' semantics."""

import re

from harness import (PLUGINS_DIR, TEST_PLUGINS_GOOD_DIR, consume_all, file_sink,
                     file_source, numbered_lines, produce, read_lines,
                     topic_record_count, wait_until, write_lines)
from rest_helpers import (assert_error, assert_status_shape, create, dumps,
                          rest_worker, states, stays, values, wait_state,
                          wait_values, worker_id_of)

PLUGIN_PATH = f"{PLUGINS_DIR},{TEST_PLUGINS_GOOD_DIR}"
# Failed tasks stay FAILED here: these tests look at FAILED and at the
# restart endpoints, not at the automatic restart (test_rest_restart.py).
NO_AUTO_RESTART = {"plugin.path": PLUGIN_PATH, "task.restart.enable": "false"}


def no_new_records(bootstrap, topic, count, seconds=3.0):
    """Asserts that topic keeps count records for a few seconds."""
    broke = stays(lambda: topic_record_count(bootstrap, topic) == count,
                  seconds)
    assert broke is None, (f"{topic} grew past {count} records: "
                           f"{values(bootstrap, topic)[count:]}")


# ------------------------------------------------------------ shapes


def test_status_shapes_and_worker_id(tmp_path, worker, mock_cluster):
    _, rest = rest_worker(worker, props=NO_AUTO_RESTART)
    rest.wait_healthy()
    wid = worker_id_of(rest)
    write_lines(tmp_path / "in.txt", ["a"])
    create(rest, "shape", file_source("shape", tmp_path / "in.txt", "shape"))
    wait_state(rest, "shape", "RUNNING", ["RUNNING"])

    r = rest.get("/connectors/shape/status")
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "application/json"
    body = r.json()
    assert_status_shape(body, "shape", "source", wid)
    assert len(body["tasks"]) == 1
    assert "trace" not in body["connector"] and "trace" not in \
        body["tasks"][0], body

    r = rest.get("/connectors/shape/tasks/0/status")
    assert r.status_code == 200
    assert r.json() == body["tasks"][0]
    assert set(r.json()) == {"id", "state", "worker_id"}

    r = rest.get("/connectors/shape/tasks")
    assert r.status_code == 200
    tasks = r.json()
    assert isinstance(tasks, list) and len(tasks) == 1
    assert set(tasks[0]) == {"id", "config"}
    assert tasks[0]["id"] == {"connector": "shape", "task": 0}
    assert all(isinstance(k, str) and isinstance(v, str)
               for k, v in tasks[0]["config"].items()), tasks[0]

    info = rest.get("/connectors/shape").json()
    assert set(info) == {"name", "config", "tasks", "type"}
    assert info["tasks"] == [{"connector": "shape", "task": 0}]
    assert info["type"] == "source"

    both = rest.get("/connectors?expand=status&expand=info").json()
    assert both["shape"]["status"] == rest.get(
        "/connectors/shape/status").json()
    assert both["shape"]["info"] == info

    # A sink has type "sink" everywhere.
    mock_cluster.create_topic("shape-sink-in", 1)
    create(rest, "shape-sink", file_sink("shape-sink", tmp_path / "out.txt",
                                         "shape-sink-in"))
    body = wait_state(rest, "shape-sink", "RUNNING", ["RUNNING"])
    assert_status_shape(body, "shape-sink", "sink", wid)
    assert rest.get("/connectors/shape-sink").json()["type"] == "sink"


def test_failed_task_trace(tmp_path, worker):
    _, rest = rest_worker(worker, props=NO_AUTO_RESTART)
    rest.wait_healthy()
    wid = worker_id_of(rest)
    create(rest, "broken-task", {
        "name": "broken-task", "connector.class": "TestSource",
        "tasks.max": "1", "topic": "broken-topic", "test.fail.on": "poll"})
    body = wait_state(rest, "broken-task", "RUNNING", ["FAILED"])
    assert_status_shape(body, "broken-task", "source", wid)
    trace = body["tasks"][0]["trace"]
    # The plugin's error text, and where: stage, connector, task.
    assert "injected failure in poll" in trace, trace
    assert "stage" in trace and "poll" in trace, trace
    assert "broken-task" in trace, trace
    assert re.search(r"task\W+0\b", trace), trace
    assert "trace" not in body["connector"], body
    one = rest.get("/connectors/broken-task/tasks/0/status").json()
    assert one["state"] == "FAILED" and one["trace"] == trace
    # It stays FAILED: the worker and the connector live on.
    assert stays(lambda: states(rest, "broken-task") ==
                 ("RUNNING", ["FAILED"]), 2) is None

    create(rest, "broken-conn", {
        "name": "broken-conn", "connector.class": "TestSource",
        "tasks.max": "1", "topic": "broken-topic",
        "test.fail.on": "connector"})
    body = wait_state(rest, "broken-conn", "FAILED")
    assert_status_shape(body, "broken-conn", "source", wid)
    trace = body["connector"]["trace"]
    assert "injected failure in connector" in trace, trace
    assert "stage" in trace and "broken-conn" in trace, trace
    assert body["tasks"] == [], body


# --------------------------------------------------- data-flow lifecycle


def test_pause_resume_in_data_flow(tmp_path, worker, mock_cluster):
    topic = "pause-topic"
    mock_cluster.create_topic(topic, 1)
    _, rest = rest_worker(worker)
    rest.wait_healthy()
    path = tmp_path / "pause.txt"
    lines = numbered_lines(0, 30)
    write_lines(path, lines[:10])
    create(rest, "pr", file_source("pr", path, topic))
    wait_state(rest, "pr", "RUNNING", ["RUNNING"])
    wait_values(mock_cluster.bootstrap, topic, lines[:10])

    r = rest.put("/connectors/pr/pause")
    assert r.status_code == 202 and r.content == b"", r.text
    wait_state(rest, "pr", "PAUSED", ["PAUSED"])
    # Pause keeps the task alive (it is listed, PAUSED) but idle.
    write_lines(path, lines[10:20], mode="a")
    no_new_records(mock_cluster.bootstrap, topic, 10)
    assert states(rest, "pr") == ("PAUSED", ["PAUSED"])
    # Idempotent.
    assert rest.put("/connectors/pr/pause").status_code == 202
    no_new_records(mock_cluster.bootstrap, topic, 10, seconds=1)

    r = rest.put("/connectors/pr/resume")
    assert r.status_code == 202 and r.content == b"", r.text
    wait_state(rest, "pr", "RUNNING", ["RUNNING"])
    wait_values(mock_cluster.bootstrap, topic, lines[:20])
    assert rest.put("/connectors/pr/resume").status_code == 202
    write_lines(path, lines[20:], mode="a")
    wait_values(mock_cluster.bootstrap, topic, lines)


def test_pause_resume_sink_in_data_flow(tmp_path, worker, mock_cluster):
    topic = "pause-sink-in"
    mock_cluster.create_topic(topic, 1)
    lines = numbered_lines(0, 20)
    produce(mock_cluster.bootstrap, topic, lines[:10])
    _, rest = rest_worker(worker)
    rest.wait_healthy()
    out = tmp_path / "paused-sink.txt"
    create(rest, "ps", file_sink("ps", out, topic))
    assert wait_until(lambda: read_lines(out) == lines[:10], 60), \
        read_lines(out)
    assert rest.put("/connectors/ps/pause").status_code == 202
    wait_state(rest, "ps", "PAUSED", ["PAUSED"])
    produce(mock_cluster.bootstrap, topic, lines[10:])
    broke = stays(lambda: read_lines(out) == lines[:10], 3)
    assert broke is None, f"a PAUSED sink wrote: {read_lines(out)[10:]}"
    assert rest.put("/connectors/ps/resume").status_code == 202
    wait_state(rest, "ps", "RUNNING", ["RUNNING"])
    assert wait_until(lambda: read_lines(out) == lines, 60), read_lines(out)


def test_stop_then_resume(tmp_path, worker, mock_cluster):
    topic = "stop-topic"
    mock_cluster.create_topic(topic, 1)
    _, rest = rest_worker(worker)
    rest.wait_healthy()
    path = tmp_path / "stop.txt"
    lines = numbered_lines(0, 30)
    write_lines(path, lines[:10])
    config = file_source("st", path, topic)
    create(rest, "st", config)
    wait_state(rest, "st", "RUNNING", ["RUNNING"])
    wait_values(mock_cluster.bootstrap, topic, lines[:10])

    r = rest.put("/connectors/st/stop")
    assert r.status_code == 204 and r.content == b"", r.text
    body = wait_state(rest, "st", "STOPPED")
    assert body["tasks"] == [], body
    assert_status_shape(body, "st", "source", worker_id_of(rest))
    # The config is kept; there are no tasks.
    assert rest.get("/connectors").json() == ["st"]
    assert rest.get("/connectors/st/config").json() == config
    info = rest.get("/connectors/st").json()
    assert info["config"] == config and info["tasks"] == [], info
    assert rest.get("/connectors/st/tasks").json() == []
    assert_error(rest.get("/connectors/st/tasks/0/status"), 404)
    assert rest.put("/connectors/st/stop").status_code == 204  # idempotent

    write_lines(path, lines[10:20], mode="a")
    no_new_records(mock_cluster.bootstrap, topic, 10)
    assert states(rest, "st") == ("STOPPED", [])

    r = rest.put("/connectors/st/resume")
    assert r.status_code == 202, r.text
    wait_state(rest, "st", "RUNNING", ["RUNNING"])
    wait_values(mock_cluster.bootstrap, topic, lines[:20])

    # STOPPED -> PAUSED: as Kafka, no tasks until resumed.
    assert rest.put("/connectors/st/stop").status_code == 204
    wait_state(rest, "st", "STOPPED", [])
    assert rest.put("/connectors/st/pause").status_code == 202
    wait_state(rest, "st", "PAUSED", [])
    write_lines(path, lines[20:], mode="a")
    no_new_records(mock_cluster.bootstrap, topic, 20, seconds=2)
    assert rest.put("/connectors/st/resume").status_code == 202
    wait_state(rest, "st", "RUNNING", ["RUNNING"])
    wait_values(mock_cluster.bootstrap, topic, lines)


def test_create_in_initial_states(tmp_path, worker, mock_cluster):
    topic = "initial-topic"
    mock_cluster.create_topic(topic, 1)
    _, rest = rest_worker(worker)
    rest.wait_healthy()
    path = tmp_path / "initial.txt"
    lines = numbered_lines(0, 5)
    write_lines(path, lines)
    create(rest, "init-stopped", file_source("init-stopped", path, topic),
           initial_state="STOPPED")
    body = wait_state(rest, "init-stopped", "STOPPED", [])
    assert body["tasks"] == []
    create(rest, "init-paused", file_source("init-paused", path, topic),
           initial_state="PAUSED")
    # As Kafka: no tasks until resumed (test_rest_parity.py).
    wait_state(rest, "init-paused", "PAUSED", [])
    no_new_records(mock_cluster.bootstrap, topic, 0, seconds=2)
    assert rest.put("/connectors/init-paused/resume").status_code == 202
    wait_values(mock_cluster.bootstrap, topic, lines)
    create(rest, "init-running", file_source("init-running",
                                             tmp_path / "none.txt", topic),
           initial_state="RUNNING")
    wait_state(rest, "init-running", "RUNNING", ["RUNNING"])


def test_delete_keeps_offsets(tmp_path, worker, mock_cluster):
    topic = "delete-topic"
    mock_cluster.create_topic(topic, 1)
    _, rest = rest_worker(worker)
    rest.wait_healthy()
    path = tmp_path / "delete.txt"
    lines = numbered_lines(0, 20)
    write_lines(path, lines[:10])
    size = path.stat().st_size
    config = file_source("del", path, topic)
    create(rest, "del", config)
    wait_values(mock_cluster.bootstrap, topic, lines[:10])

    def committed():
        offsets = rest.get("/connectors/del/offsets").json()["offsets"]
        return offsets == [{"partition": {"filename": str(path)},
                            "offset": {"position": size}}]
    assert wait_until(committed, timeout=30), \
        rest.get("/connectors/del/offsets").text

    r = rest.delete("/connectors/del")
    assert r.status_code == 204 and r.content == b"", r.text
    assert rest.get("/connectors").json() == []
    for path_ in ("", "/status", "/config", "/offsets", "/tasks"):
        assert_error(rest.get("/connectors/del" + path_), 404)
    assert_error(rest.delete("/connectors/del"), 404)

    # Deleted means no more records.
    write_lines(path, lines[10:], mode="a")
    no_new_records(mock_cluster.bootstrap, topic, 10, seconds=2)

    # The offsets outlive the connector: a new one with the same name
    # starts where the old one stopped.
    create(rest, "del", config, initial_state="STOPPED")
    offsets = rest.get("/connectors/del/offsets").json()
    assert offsets == {"offsets": [{"partition": {"filename": str(path)},
                                    "offset": {"position": size}}]}, offsets
    assert rest.put("/connectors/del/resume").status_code == 202
    wait_state(rest, "del", "RUNNING", ["RUNNING"])
    wait_values(mock_cluster.bootstrap, topic, lines)
    no_new_records(mock_cluster.bootstrap, topic, 20, seconds=1)


# ------------------------------------------------------------ validation


def test_huge_tasks_max_is_refused(tmp_path, worker):
    """tasks.max is bounded (tasks are threads of one worker): a client
    cannot make the worker allocate billions of task configs."""
    _, rest = rest_worker(worker, props={"plugin.path": PLUGIN_PATH})
    rest.wait_healthy()
    message = assert_error(rest.post("/connectors", json={
        "name": "huge", "config": {"connector.class": "TestSource",
                                   "topic": "t", "tasks.max": "2000000000"}}),
        400)
    assert re.search(r"(^|\n)tasks\.max:.*no more than 1024", message), message
    assert rest.get("/connectors").json() == []
    assert rest.get("/health").status_code == 200


def test_invalid_config_lists_every_bad_key(tmp_path, worker):
    _, rest = rest_worker(worker, props={"plugin.path": PLUGIN_PATH})
    rest.wait_healthy()
    bad = {"name": "val", "connector.class": "TestSource",
           "tasks.max": "0",                 # framework key, below min
           "errors.tolerance": "some",       # framework key, not a choice
           "test.records": "many",           # plugin key, not a number
           "test.batch.size": "0",           # plugin key, below min
           "test.fail.on": "later"}          # plugin key, not a choice
    # "topic" (required, no default) is missing: one more bad key.
    bad_keys = ["tasks.max", "errors.tolerance", "test.records",
                "test.batch.size", "test.fail.on", "topic"]
    message = assert_error(rest.post("/connectors", json={
        "name": "val", "config": bad}), 400)
    for key in bad_keys:
        assert re.search(rf"(^|\n){re.escape(key)}:", message), \
            f"{key} not listed as an error in: {message!r}"
    count = re.search(r"(\d+) error", message)
    assert count and int(count.group(1)) == len(bad_keys), message
    assert rest.get("/connectors").json() == []
    assert_error(rest.get("/connectors/val"), 404)

    # PUT creates nothing when invalid either.
    config = dict(bad)
    del config["name"]
    message = assert_error(rest.put("/connectors/val/config", json=config),
                           400)
    for key in bad_keys:
        assert key in message, (key, message)
    assert rest.get("/connectors").json() == []

    # An update that is invalid leaves the running connector untouched.
    good = {"name": "val", "connector.class": "TestSource", "tasks.max": "1",
            "topic": "val-topic", "test.records": "0"}
    create(rest, "val", good)
    wait_state(rest, "val", "RUNNING", ["RUNNING"])
    message = assert_error(rest.put("/connectors/val/config",
                                    json=dict(good, **{"tasks.max": "-1",
                                                       "topic": ""})), 400)
    assert "tasks.max" in message and "topic" in message, message
    message = assert_error(rest.patch("/connectors/val/config",
                                      json={"test.batch.size": "0"}), 400)
    assert "test.batch.size" in message, message
    assert rest.get("/connectors/val/config").json() == good
    wait_state(rest, "val", "RUNNING", ["RUNNING"])

    # Unknown class.
    message = assert_error(rest.post("/connectors", json={
        "name": "nocls", "config": {"connector.class": "NoSuchConnector",
                                    "topic": "x"}}), 400)
    assert "connector.class" in message, message
    assert rest.get("/connectors").json() == ["val"]


def test_duplicate_unknown_and_bodies(tmp_path, worker):
    _, rest = rest_worker(worker, props={"rest.max.request.bytes": "4096"})
    rest.wait_healthy()
    config = file_source("dup", tmp_path / "in.txt", "dup-topic")
    create(rest, "dup", config)
    message = assert_error(rest.post("/connectors", json={
        "name": "dup", "config": config}), 409)
    assert "dup" in message
    # A different config under the same name is still a duplicate.
    assert_error(rest.post("/connectors", json={
        "name": "dup", "config": dict(config, topic="other")}), 409)
    assert rest.get("/connectors/dup/config").json() == config

    for method, path in (
            ("GET", ""), ("DELETE", ""), ("GET", "/config"),
            ("PATCH", "/config"), ("GET", "/status"), ("POST", "/restart"),
            ("PUT", "/pause"), ("PUT", "/resume"), ("PUT", "/stop"),
            ("GET", "/tasks"), ("GET", "/tasks/0/status"),
            ("POST", "/tasks/0/restart"), ("GET", "/offsets"),
            ("PATCH", "/offsets"), ("DELETE", "/offsets")):
        kwargs = {}
        if method == "PATCH":
            kwargs["json"] = ({"offsets": [{"partition": {"a": 1},
                                            "offset": None}]}
                              if path == "/offsets" else {"topic": "x"})
        message = assert_error(rest.request(method, "/connectors/ghost" +
                                            path, **kwargs), 404)
        assert "ghost" in message, (method, path, message)

    # Malformed bodies: 400, nothing changes.
    for method, path in (("POST", "/connectors"),
                         ("PUT", "/connectors/dup/config"),
                         ("PATCH", "/connectors/dup/config"),
                         ("PUT", "/connectors/mal/config")):
        for data in (b"{\"name\": ", b"not json", b"{}}", b"\xff\xfe",
                     b"[1, 2]", b"\"text\"", b"null", b""):
            r = rest.request(method, path, data=data,
                             headers={"Content-Type": "application/json"})
            assert_error(r, 400)
    assert rest.get("/connectors").json() == ["dup"]
    assert rest.get("/connectors/dup/config").json() == config

    # Oversized: 413, nothing created.
    big = dict(config, name="huge", filler="x" * 8192)
    message = assert_error(rest.post("/connectors", data=dumps(
        {"name": "huge", "config": big}),
        headers={"Content-Type": "application/json"}), 413)
    assert rest.get("/connectors").json() == ["dup"]
    assert_error(rest.put("/connectors/huge/config", data=dumps(big),
                          headers={"Content-Type": "application/json"}), 413)
    assert_error(rest.get("/connectors/huge"), 404)

    # Wrong methods on connector resources.
    for method, path in (("POST", "/connectors/dup"),
                         ("PUT", "/connectors/dup"),
                         ("PATCH", "/connectors/dup"),
                         ("DELETE", "/connectors/dup/config"),
                         ("POST", "/connectors/dup/config"),
                         ("PUT", "/connectors/dup/status"),
                         ("DELETE", "/connectors/dup/status"),
                         ("GET", "/connectors/dup/restart"),
                         ("PUT", "/connectors/dup/restart"),
                         ("POST", "/connectors/dup/pause"),
                         ("GET", "/connectors/dup/resume"),
                         ("DELETE", "/connectors/dup/stop"),
                         ("GET", "/connectors/dup/tasks/0/restart"),
                         ("PUT", "/connectors/dup/tasks/0/status"),
                         ("POST", "/connectors/dup/topics"),
                         ("GET", "/connectors/dup/topics/reset"),
                         ("POST", "/connectors/dup/offsets"),
                         ("PUT", "/connectors/dup/offsets")):
        assert_error(rest.request(method, path), 405,
                     "HTTP 405 Method Not Allowed")
    assert rest.get("/connectors/dup/config").json() == config
    assert wait_state(rest, "dup", "RUNNING")


# --------------------------------------------------------------- restarts


def task_creations(w, task):
    """How many times TestSource task `task` was created (its log line)."""
    return len(w.log_lines_matching(rf"TestSource task {task}: records"))


def restart_source(marker):
    """TestSource with two tasks: task 1 fails in poll while marker exists,
    task 0 never fails."""
    return {"name": "rs", "connector.class": "TestSource", "tasks.max": "2",
            "topic": "rs-topic", "test.records": "5",
            "test.fail.while.file": str(marker), "test.fail.task": "1"}


def test_restart_only_failed_and_include_tasks(tmp_path, worker,
                                               mock_cluster):
    mock_cluster.create_topic("rs-topic", 1)
    w, rest = rest_worker(worker, props=NO_AUTO_RESTART)
    rest.wait_healthy()
    wid = worker_id_of(rest)
    marker = tmp_path / "fail-marker"
    marker.write_text("fail while I exist")
    create(rest, "rs", restart_source(marker))
    wait_state(rest, "rs", "RUNNING", ["RUNNING", "FAILED"])
    assert wait_until(lambda: topic_record_count(mock_cluster.bootstrap,
                                                 "rs-topic") == 5, 30)
    created = (task_creations(w, 0), task_creations(w, 1))
    assert created == (1, 1), created

    # onlyFailed without includeTasks: the connector is not failed, so
    # nothing restarts; 202 with the status.
    r = rest.post("/connectors/rs/restart?onlyFailed=true")
    assert r.status_code == 202, r.text
    body = r.json()
    assert_status_shape(body, "rs", "source", wid)
    assert [body["connector"]["state"]] + [t["state"] for t in
                                           body["tasks"]] == \
        ["RUNNING", "RUNNING", "FAILED"], body

    # includeTasks + onlyFailed: only task 1 restarts (shown RESTARTING).
    r = rest.post("/connectors/rs/restart?includeTasks=true&onlyFailed=true")
    assert r.status_code == 202, r.text
    body = r.json()
    assert_status_shape(body, "rs", "source", wid)
    assert body["connector"]["state"] == "RUNNING", body
    assert [t["state"] for t in body["tasks"]] == ["RUNNING", "RESTARTING"], \
        body
    # The marker is still there: task 1 fails again; task 0 untouched.
    wait_state(rest, "rs", "RUNNING", ["RUNNING", "FAILED"])
    assert wait_until(lambda: task_creations(w, 1) == 2, 10), \
        task_creations(w, 1)
    assert task_creations(w, 0) == 1

    # The failure clears; the task restart endpoint brings task 1 back.
    marker.unlink()
    r = rest.post("/connectors/rs/tasks/1/restart")
    assert r.status_code == 204 and r.content == b"", r.text
    wait_state(rest, "rs", "RUNNING", ["RUNNING", "RUNNING"])
    assert task_creations(w, 0) == 1
    assert wait_until(lambda: topic_record_count(mock_cluster.bootstrap,
                                                 "rs-topic") == 10, 30)
    got = sorted(v.decode() for _, v, _ in
                 consume_all(mock_cluster.bootstrap, "rs-topic"))
    assert got == sorted([f"record-0-{i}" for i in range(5)] +
                         [f"record-1-{i}" for i in range(5)]), got

    # includeTasks without onlyFailed: connector and every task restart.
    r = rest.post("/connectors/rs/restart?includeTasks=true&onlyFailed=false")
    assert r.status_code == 202, r.text
    body = r.json()
    assert_status_shape(body, "rs", "source", wid)
    assert body["connector"]["state"] == "RESTARTING", body
    assert [t["state"] for t in body["tasks"]] == \
        ["RESTARTING", "RESTARTING"], body
    wait_state(rest, "rs", "RUNNING", ["RUNNING", "RUNNING"])
    assert wait_until(lambda: (task_creations(w, 0),
                               task_creations(w, 1)) == (2, 4), 10), \
        (task_creations(w, 0), task_creations(w, 1))
    # Restarted tasks resume after their committed offsets: no duplicates.
    no_new_records(mock_cluster.bootstrap, "rs-topic", 10, seconds=2)

    # Both false: the old form, 204 and no body.
    r = rest.post("/connectors/rs/restart?includeTasks=false&onlyFailed=false")
    assert r.status_code == 204 and r.content == b"", r.text
    wait_state(rest, "rs", "RUNNING", ["RUNNING", "RUNNING"])

    assert_error(rest.post("/connectors/rs/tasks/2/restart"), 404)


def test_restart_failed_connector(tmp_path, worker):
    _, rest = rest_worker(worker, props=NO_AUTO_RESTART)
    rest.wait_healthy()
    create(rest, "fc", {"name": "fc", "connector.class": "TestSource",
                        "tasks.max": "1", "topic": "fc-topic",
                        "test.fail.on": "connector"})
    wait_state(rest, "fc", "FAILED", [])
    # onlyFailed: the failed connector is restarted (and fails again).
    r = rest.post("/connectors/fc/restart?onlyFailed=true")
    assert r.status_code == 202, r.text
    assert r.json()["connector"]["state"] in ("RESTARTING", "FAILED"), \
        r.json()
    wait_state(rest, "fc", "FAILED", [])
    # Fixing the config brings it up.
    r = rest.patch("/connectors/fc/config", json={"test.fail.on": "never"})
    assert r.status_code == 200, r.text
    wait_state(rest, "fc", "RUNNING", ["RUNNING"])


def test_update_keeps_target_state(tmp_path, worker, mock_cluster):
    topic = "update-topic"
    mock_cluster.create_topic(topic, 1)
    _, rest = rest_worker(worker)
    rest.wait_healthy()
    path = tmp_path / "update.txt"
    write_lines(path, ["x"])
    config = file_source("up", path, topic)
    create(rest, "up", config, initial_state="PAUSED")
    wait_state(rest, "up", "PAUSED", [])
    r = rest.put("/connectors/up/config", json=dict(config, **{
        "batch.size": "5"}))
    assert r.status_code == 200, r.text
    wait_state(rest, "up", "PAUSED", [])
    no_new_records(mock_cluster.bootstrap, topic, 0, seconds=2)

    assert rest.put("/connectors/up/stop").status_code == 204
    wait_state(rest, "up", "STOPPED", [])
    r = rest.patch("/connectors/up/config", json={"batch.size": "6"})
    assert r.status_code == 200, r.text
    assert r.json()["tasks"] == [], r.json()
    wait_state(rest, "up", "STOPPED", [])
    assert rest.get("/connectors/up/config").json()["batch.size"] == "6"
    assert rest.put("/connectors/up/resume").status_code == 202
    wait_state(rest, "up", "RUNNING", ["RUNNING"])
    wait_values(mock_cluster.bootstrap, topic, ["x"])


# Last in the file, so that a failure here under ctest's -x does not hide
# the results of the tests above.

def test_plain_restart_restarts_connector_only(tmp_path, worker,
                                               mock_cluster):
    """POST /connectors/{c}/restart (includeTasks=false, the default)
    restarts the Connector instance only, as in Kafka: running tasks are
    not restarted."""
    mock_cluster.create_topic("rs-topic", 1)
    w, rest = rest_worker(worker, props=NO_AUTO_RESTART)
    rest.wait_healthy()
    marker = tmp_path / "no-marker"
    create(rest, "rs", restart_source(marker))
    wait_state(rest, "rs", "RUNNING", ["RUNNING", "RUNNING"])
    assert (task_creations(w, 0), task_creations(w, 1)) == (1, 1)
    r = rest.post("/connectors/rs/restart")
    assert r.status_code == 204 and r.content == b"", r.text
    wait_state(rest, "rs", "RUNNING", ["RUNNING", "RUNNING"])
    assert stays(lambda: (task_creations(w, 0), task_creations(w, 1)) ==
                 (1, 1), 2) is None, \
        ("restart without includeTasks restarted the tasks too: task "
         f"creations {(task_creations(w, 0), task_creations(w, 1))}")


# ---------------------------------------------------------------- topics


def test_topics_tracking(tmp_path, worker, mock_cluster):
    mock_cluster.create_topic("used-topic", 1)
    _, rest = rest_worker(worker)
    rest.wait_healthy()
    path = tmp_path / "topics.txt"
    lines = numbered_lines(0, 10)
    config = file_source("tt", path, "used-topic")
    create(rest, "tt", config)
    wait_state(rest, "tt", "RUNNING", ["RUNNING"])
    # Nothing produced yet: no topic used.
    r = rest.get("/connectors/tt/topics")
    assert r.status_code == 200
    assert r.json() == {"tt": {"topics": []}}

    write_lines(path, lines[:5])
    wait_values(mock_cluster.bootstrap, "used-topic", lines[:5])
    assert wait_until(lambda: rest.get("/connectors/tt/topics").json() ==
                      {"tt": {"topics": ["used-topic"]}}, timeout=10), \
        rest.get("/connectors/tt/topics").text

    r = rest.put("/connectors/tt/topics/reset")
    assert r.status_code == 202 and r.content == b"", r.text
    assert rest.get("/connectors/tt/topics").json() == {"tt": {"topics": []}}

    # Used again after the reset: recorded again.
    write_lines(path, lines[5:], mode="a")
    wait_values(mock_cluster.bootstrap, "used-topic", lines)
    assert wait_until(lambda: rest.get("/connectors/tt/topics").json() ==
                      {"tt": {"topics": ["used-topic"]}}, timeout=10), \
        ("a topic used after /topics/reset is not recorded again: "
         + rest.get("/connectors/tt/topics").text)

    # A sink records the topics it consumed.
    produce(mock_cluster.bootstrap, "used-topic", [b"extra"])
    sink_path = tmp_path / "sink.txt"
    create(rest, "ts", file_sink("ts", sink_path, "used-topic"))
    assert wait_until(lambda: len(read_lines(sink_path)) == 11, timeout=60), \
        read_lines(sink_path)
    assert wait_until(lambda: rest.get("/connectors/ts/topics").json() ==
                      {"ts": {"topics": ["used-topic"]}}, timeout=10), \
        rest.get("/connectors/ts/topics").text
