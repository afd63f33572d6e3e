"""REST answers checked against Kafka Connect's own code (4.0 trunk:
ConnectorsResource, AbstractHerder, StandaloneHerder, Worker): task
configs as the connector gave them plus task.class (GET .../tasks and the
deprecated .../tasks-config), ?expand with an unknown value, the restart
plan's RESTARTING states, no tasks for a PAUSED connector until resumed,
topic tracking (unknown connectors, the worker switches), and the
internal POST .../tasks (InternalConnectResource) refused as
StandaloneHerder does."""

from harness import (PLUGINS_DIR, TEST_PLUGINS_GOOD_DIR, file_sink,
                     file_source, numbered_lines, write_lines)
from rest_helpers import (assert_error, create, dumps, rest_worker,
                          wait_state, wait_values)

PLUGIN_PATH = f"{PLUGINS_DIR},{TEST_PLUGINS_GOOD_DIR}"
SOURCE_TASK = "org.apache.kafka.connect.file.FileStreamSourceTask"
SINK_TASK = "org.apache.kafka.connect.file.FileStreamSinkTask"


def tasks(rest, name):
    r = rest.get(f"/connectors/{name}/tasks")
    assert r.status_code == 200, r.text
    return r.json()


# ------------------------------------------------------ task configs


def test_task_configs_are_the_connectors_plus_task_class(tmp_path, worker,
                                                         mock_cluster):
    mock_cluster.create_topic("tc-topic", 1)
    w, rest = rest_worker(worker)
    rest.wait_healthy()
    src = file_source("src", tmp_path / "in.txt", "tc-topic")
    create(rest, "src", src)
    wait_state(rest, "src", "RUNNING", ["RUNNING"])
    # Kafka: the connector's taskConfigs() (FileStreamSource: its own
    # props) plus task.class; no batch.size, errors.tolerance, ... that
    # the runtime filled in as defaults.
    assert tasks(rest, "src") == [{
        "id": {"connector": "src", "task": 0},
        "config": dict(src, **{"task.class": SOURCE_TASK})}]

    snk = file_sink("snk", tmp_path / "out.txt", "tc-topic")
    create(rest, "snk", snk)
    wait_state(rest, "snk", "RUNNING", ["RUNNING"])
    assert tasks(rest, "snk") == [{
        "id": {"connector": "snk", "task": 0},
        "config": dict(snk, **{"task.class": SINK_TASK})}]

    # The deprecated form: {"<connector>-<task>": config}, and a warning.
    r = rest.get("/connectors/src/tasks-config")
    assert r.status_code == 200, r.text
    assert r.json() == {"src-0": dict(src, **{"task.class": SOURCE_TASK})}
    w.wait_for_log(r"WARN .*The 'GET /connectors/\{connector\}/tasks-config' "
                   r"endpoint is deprecated and will be removed in the next "
                   r"major release. Please use the 'GET "
                   r"/connectors/\{connector\}/tasks' endpoint instead.")
    assert_error(rest.get("/connectors/ghost/tasks-config"), 404,
                 "Connector ghost not found")
    # A connector without tasks answers as an unknown one (Kafka's
    # StandaloneHerder.tasksConfig).
    assert rest.put("/connectors/src/stop").status_code == 204
    wait_state(rest, "src", "STOPPED", [])
    assert tasks(rest, "src") == []
    assert_error(rest.get("/connectors/src/tasks-config"), 404,
                 "Connector src not found")

    # The defaults are still what the task runs with: the source reads.
    lines = numbered_lines(0, 3)
    write_lines(tmp_path / "in.txt", lines)
    assert rest.put("/connectors/src/resume").status_code == 202
    wait_state(rest, "src", "RUNNING", ["RUNNING"])
    wait_values(mock_cluster.bootstrap, "tc-topic", lines)
    assert tasks(rest, "src")[0]["config"] == dict(
        src, **{"task.class": SOURCE_TASK})


# ---------------------------------------------------------- expand


def test_expand_unknown_is_a_map_of_empty_objects(tmp_path, worker):
    _, rest = rest_worker(worker)
    rest.wait_healthy()
    assert rest.get("/connectors?expand=bogus").json() == {}
    create(rest, "ea", file_source("ea", tmp_path / "a.txt", "ex-topic"))
    create(rest, "eb", file_source("eb", tmp_path / "b.txt", "ex-topic"))
    r = rest.get("/connectors?expand=bogus")
    assert r.status_code == 200, r.text
    assert r.json() == {"ea": {}, "eb": {}}
    assert rest.get("/connectors?expand=").json() == {"ea": {}, "eb": {}}
    body = rest.get("/connectors?expand=bogus&expand=info").json()
    assert set(body) == {"ea", "eb"}
    assert all(set(v) == {"info"} for v in body.values()), body
    assert sorted(rest.get("/connectors").json()) == ["ea", "eb"]


# -------------------------------------------------------- restarts


def restart_source(marker):
    """TestSource with two tasks: task 1 fails in poll while marker
    exists."""
    return {"name": "rp", "connector.class": "TestSource", "tasks.max": "2",
            "topic": "rp-topic", "test.records": "1",
            "test.fail.while.file": str(marker), "test.fail.task": "1"}


def test_restart_answers_the_plan(tmp_path, worker, mock_cluster):
    mock_cluster.create_topic("rp-topic", 1)
    _, rest = rest_worker(worker, props={"plugin.path": PLUGIN_PATH,
                                         "task.restart.enable": "false"})
    rest.wait_healthy()
    marker = tmp_path / "fail-marker"
    marker.write_text("fail")
    create(rest, "rp", restart_source(marker))
    wait_state(rest, "rp", "RUNNING", ["RUNNING", "FAILED"])

    def states(body):
        return ([body["connector"]["state"]] +
                [(t["id"], t["state"]) for t in body["tasks"]])

    # Kafka (AbstractHerder.buildRestartPlan): what the plan restarts is
    # RESTARTING in the answer, even if it failed again meanwhile.
    r = rest.post("/connectors/rp/restart?includeTasks=true&onlyFailed=true")
    assert r.status_code == 202, r.text
    assert states(r.json()) == ["RUNNING", (0, "RUNNING"),
                                (1, "RESTARTING")], r.json()
    assert r.json()["type"] == "source"
    wait_state(rest, "rp", "RUNNING", ["RUNNING", "FAILED"])

    r = rest.post("/connectors/rp/restart?includeTasks=true")
    assert r.status_code == 202, r.text
    assert states(r.json()) == ["RESTARTING", (0, "RESTARTING"),
                                (1, "RESTARTING")], r.json()
    wait_state(rest, "rp", "RUNNING", ["RUNNING", "FAILED"])

    # onlyFailed alone: the connector is not FAILED, nothing restarts.
    r = rest.post("/connectors/rp/restart?onlyFailed=true")
    assert r.status_code == 202, r.text
    assert states(r.json()) == ["RUNNING", (0, "RUNNING"), (1, "FAILED")]

    # Neither: the connector only, 204 without a body.
    for query in ("", "?includeTasks=false&onlyFailed=false"):
        r = rest.post("/connectors/rp/restart" + query)
        assert r.status_code == 204 and r.content == b"", r.text
    assert_error(rest.post("/connectors/ghost/restart?includeTasks=true"),
                 404)


# ---------------------------------------------------------- paused


def test_paused_connector_has_no_tasks_until_resumed(tmp_path, worker,
                                                     mock_cluster):
    topic = "paused-topic"
    mock_cluster.create_topic(topic, 1)
    _, rest = rest_worker(worker)
    rest.wait_healthy()
    path = tmp_path / "p.txt"
    lines = numbered_lines(0, 4)
    write_lines(path, lines)
    config = file_source("pz", path, topic)
    # Kafka's StandaloneHerder asks for task configs only for a STARTED
    # target: created PAUSED, the connector is PAUSED with no tasks.
    info = create(rest, "pz", config, initial_state="PAUSED")
    assert info["tasks"] == [], info
    wait_state(rest, "pz", "PAUSED", [])
    assert tasks(rest, "pz") == []
    assert rest.get("/connectors/pz").json()["tasks"] == []
    assert rest.put("/connectors/pz/resume").status_code == 202
    wait_state(rest, "pz", "RUNNING", ["RUNNING"])
    wait_values(mock_cluster.bootstrap, topic, lines)
    assert [t["id"] for t in tasks(rest, "pz")] == [
        {"connector": "pz", "task": 0}]

    # Paused while STOPPED: still no tasks, until resumed.
    assert rest.put("/connectors/pz/stop").status_code == 204
    wait_state(rest, "pz", "STOPPED", [])
    assert rest.put("/connectors/pz/pause").status_code == 202
    wait_state(rest, "pz", "PAUSED", [])
    assert tasks(rest, "pz") == []
    assert rest.put("/connectors/pz/resume").status_code == 202
    wait_state(rest, "pz", "RUNNING", ["RUNNING"])
    assert len(tasks(rest, "pz")) == 1

    # Paused while running: the tasks stay (paused), as in Kafka.
    assert rest.put("/connectors/pz/pause").status_code == 202
    wait_state(rest, "pz", "PAUSED", ["PAUSED"])
    assert len(tasks(rest, "pz")) == 1


# ---------------------------------------------------- topic tracking


def test_topics_of_unknown_connector(tmp_path, worker):
    _, rest = rest_worker(worker)
    rest.wait_healthy()
    # Kafka reads the status store, which has no topics for it.
    r = rest.get("/connectors/ghost/topics")
    assert r.status_code == 200, r.text
    assert r.json() == {"ghost": {"topics": []}}
    r = rest.put("/connectors/ghost/topics/reset")
    assert r.status_code == 202 and r.content == b"", r.text


def test_topic_tracking_disabled(tmp_path, worker):
    _, rest = rest_worker(worker, props={"topic.tracking.enable": "false"})
    rest.wait_healthy()
    create(rest, "td", file_source("td", tmp_path / "in.txt", "td-topic"))
    for method, path in (("GET", "/connectors/td/topics"),
                         ("PUT", "/connectors/td/topics/reset"),
                         ("GET", "/connectors/ghost/topics")):
        assert_error(rest.request(method, path), 403,
                     "Topic tracking is disabled.")


def test_topic_tracking_reset_disabled(tmp_path, worker):
    w, rest = rest_worker(worker,
                          props={"topic.tracking.allow.reset": "false"})
    rest.wait_healthy()
    create(rest, "tr", file_source("tr", tmp_path / "in.txt", "tr-topic"))
    assert rest.get("/connectors/tr/topics").json() == {"tr": {"topics": []}}
    assert_error(rest.put("/connectors/tr/topics/reset"), 403,
                 "Topic tracking reset is disabled.")
    # Both keys are worker keys: no "unknown config" warning.
    assert not w.log_lines_matching(r"topic\.tracking.*isn't a known config")


# ---------------------------------------------------- internal endpoints


def test_put_task_configs_is_refused_in_standalone(tmp_path, worker):
    """POST /connectors/{c}/tasks is how a cluster's workers hand task
    configs to the leader. Kafka's StandaloneHerder.putTaskConfigs throws
    UnsupportedOperationException, which its REST layer answers 500, for
    any connector and any forward flag. A body that is not a list of
    string maps is 400 first (Kafka: 500 from its JSON mapping)."""
    _, rest = rest_worker(worker)
    rest.wait_healthy()
    src = file_source("it", tmp_path / "in.txt", "it-topic")
    create(rest, "it", src)
    wait_state(rest, "it", "RUNNING", ["RUNNING"])
    before = tasks(rest, "it")
    refused = ("Kafka Connect in standalone mode does not support "
               "externally setting task configurations.")
    json = {"Content-Type": "application/json"}

    for name in ("it", "ghost"):
        for query in ("", "?forward=true", "?forward=false"):
            assert_error(rest.post(f"/connectors/{name}/tasks{query}",
                                   data=dumps([{"a": "b"}]), headers=json),
                         500, refused)
    # Jackson's Map<String, String> takes numbers and booleans as text.
    for body in ([], [{}], [{"a": 1, "b": True}, {"c": "d"}]):
        assert_error(rest.post("/connectors/it/tasks", data=dumps(body),
                               headers=json), 500, refused)

    for body, message in (
            (b"", "Request body is empty: a JSON array of task configs is "
                  "required"),
            (b'{"a": "b"}', "Request body must be a JSON array of task "
                            "configs, not object"),
            (b'[{"a": "b"}, "x"]', "task config 1 must be a JSON object of "
                                   "strings, not string"),
            (b'[{"a": {"b": "c"}}]', "Value of task config 0 key 'a' must "
                                     "be a string, not object"),
            (b'[{"a": null}]', "Value of task config 0 key 'a' must be a "
                               "string, not null"),
            (b'[{"a": "b"}', None)):
        assert_error(rest.post("/connectors/it/tasks", data=body,
                               headers=json), 400, message)

    # Nothing changed.
    assert tasks(rest, "it") == before
    assert rest.get("/connectors/it/status").json()["tasks"][0]["state"] \
        == "RUNNING"
