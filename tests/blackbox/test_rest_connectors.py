"""Connector endpoints of connect-standalone's REST API, answered by the
herder: Kafka Connect's status codes and JSON shapes for create, read,
update, pause/resume/stop, restart, offsets and delete."""

import requests

from harness import wait_until, write_lines
from rest_helpers import assert_error, rest_worker

FILE_SOURCE = "org.apache.kafka.connect.file.FileStreamSourceConnector"


def source_config(name, path, topic="rest-topic", **extra):
    config = {"name": name, "connector.class": "FileStreamSource",
              "tasks.max": "1", "file": str(path), "topic": topic}
    config.update(extra)
    return config


def state_of(rest, name):
    """(connector state, [task states]) or None."""
    r = rest.get(f"/connectors/{name}/status")
    if r.status_code != 200:
        return None
    body = r.json()
    return body["connector"]["state"], [t["state"] for t in body["tasks"]]


def wait_state(rest, name, connector, tasks=None, timeout=30):
    def reached():
        state = state_of(rest, name)
        return state is not None and state[0] == connector and \
            (tasks is None or state[1] == tasks) and state
    assert wait_until(reached, timeout=timeout), \
        f"{name} never reached {connector}/{tasks}: {state_of(rest, name)}"


def assert_connector_info(body, name, config):
    assert set(body) == {"name", "config", "tasks", "type"}, body
    assert body["name"] == name
    assert body["type"] == "source"
    for key, value in config.items():
        assert body["config"][key] == value
    assert all(set(t) == {"connector", "task"} and t["connector"] == name
               for t in body["tasks"])


def test_connector_lifecycle(tmp_path, worker):
    _, rest = rest_worker(worker)
    rest.wait_healthy()
    write_lines(tmp_path / "in.txt", ["a", "b"])
    config = source_config("life", tmp_path / "in.txt")

    r = rest.post("/connectors", json={"name": "life", "config": config})
    assert r.status_code == 201, r.text
    assert r.headers["Location"] == rest.url + "/connectors/life"
    assert_connector_info(r.json(), "life", config)

    assert_error(rest.post("/connectors",
                           json={"name": "life", "config": config}), 409)
    assert rest.get("/connectors").json() == ["life"]
    assert_connector_info(rest.get("/connectors/life").json(), "life",
                          config)
    got = rest.get("/connectors/life/config").json()
    assert all(isinstance(v, str) for v in got.values())
    assert got["topic"] == "rest-topic" and got["name"] == "life"

    wait_state(rest, "life", "RUNNING", ["RUNNING"])
    status = rest.get("/connectors/life/status").json()
    assert set(status) == {"name", "connector", "tasks", "type"}
    assert status["type"] == "source"
    assert set(status["connector"]) >= {"state", "worker_id"}
    assert status["connector"]["worker_id"] == rest.url.split("//")[1]
    task = status["tasks"][0]
    assert set(task) >= {"id", "state", "worker_id"} and task["id"] == 0
    one = rest.get("/connectors/life/tasks/0/status").json()
    assert one["id"] == 0 and one["state"] == "RUNNING"

    tasks = rest.get("/connectors/life/tasks").json()
    assert tasks[0]["id"] == {"connector": "life", "task": 0}
    assert tasks[0]["config"]["topic"] == "rest-topic"

    r = rest.put("/connectors/life/pause")
    assert r.status_code == 202 and r.content == b""
    wait_state(rest, "life", "PAUSED", ["PAUSED"])
    assert rest.put("/connectors/life/pause").status_code == 202
    assert rest.put("/connectors/life/resume").status_code == 202
    wait_state(rest, "life", "RUNNING", ["RUNNING"])

    r = rest.put("/connectors/life/stop")
    assert r.status_code == 204 and r.content == b""
    wait_state(rest, "life", "STOPPED")
    assert rest.get("/connectors/life/config").status_code == 200

    r = rest.delete("/connectors/life")
    assert r.status_code == 204 and r.content == b""
    assert rest.get("/connectors").json() == []
    assert_error(rest.get("/connectors/life"), 404)


def test_create_errors(tmp_path, worker):
    _, rest = rest_worker(worker)
    rest.wait_healthy()
    config = source_config("bad", tmp_path / "in.txt")
    cases = [
        {"config": config},                               # no name
        {"name": "", "config": config},
        {"name": "   ", "config": config},
        {"name": "bad"},                                  # no config
        {"name": "bad", "config": ["x"]},
        {"name": "bad", "config": {"topic": {"nested": 1}}},
        {"name": "bad", "config": dict(config, **{"tasks.max": None})},
        {"name": "bad", "config": config, "initial_state": "SLEEPING"},
    ]
    for body in cases:
        assert_error(rest.post("/connectors", json=body), 400)
    assert_error(rest.post("/connectors", json={"name": "other",
                                                "config": config}),
                 400, "Connector name configuration (bad) doesn't match "
                 "connector name in the URL (other)")
    missing = dict(config)
    del missing["topic"]
    message = assert_error(rest.post("/connectors", json={
        "name": "bad", "config": missing}), 400)
    assert "topic" in message
    assert_error(rest.post("/connectors", data=b"{\"name\": \"x\""), 400)
    assert rest.get("/connectors").json() == []


def test_scalars_name_trim_and_initial_state(tmp_path, worker):
    _, rest = rest_worker(worker)
    rest.wait_healthy()
    config = source_config("typed", tmp_path / "in.txt")
    config["tasks.max"] = 1            # JSON number: becomes "1"
    config["batch.size"] = 100
    del config["name"]
    r = rest.post("/connectors", json={"name": " typed ", "config": config,
                                       "initial_state": "PAUSED"})
    assert r.status_code == 201, r.text
    got = rest.get("/connectors/typed/config").json()
    assert got["tasks.max"] == "1" and got["batch.size"] == "100"
    assert got["name"] == "typed"
    wait_state(rest, "typed", "PAUSED")


def test_put_and_patch_config(tmp_path, worker):
    _, rest = rest_worker(worker)
    rest.wait_healthy()
    config = source_config("cfg", tmp_path / "in.txt")
    del config["name"]
    r = rest.put("/connectors/cfg/config", json=config)
    assert r.status_code == 201, r.text
    assert r.headers["Location"] == rest.url + "/connectors/cfg"
    assert_connector_info(r.json(), "cfg", config)

    config["topic"] = "other-topic"
    r = rest.put("/connectors/cfg/config", json=config)
    assert r.status_code == 200, r.text
    assert r.json()["config"]["topic"] == "other-topic"
    assert "Location" not in r.headers

    assert_error(rest.put("/connectors/cfg/config",
                          json=dict(config, name="nope")),
                 400, "Connector name configuration (nope) doesn't match "
                 "connector name in the URL (cfg)")
    assert_error(rest.put("/connectors/cfg/config", json=[1]), 400)

    r = rest.patch("/connectors/cfg/config",
                   json={"batch.size": "7", "file": None})
    assert r.status_code == 200, r.text
    got = rest.get("/connectors/cfg/config").json()
    assert got["batch.size"] == "7" and "file" not in got
    assert_error(rest.patch("/connectors/cfg/config",
                            json={"topic": ["a"]}), 400)
    assert_error(rest.patch("/connectors/nope/config",
                            json={"topic": "a"}), 404)


def test_restart(tmp_path, worker):
    _, rest = rest_worker(worker)
    rest.wait_healthy()
    config = source_config("rs", tmp_path / "in.txt")
    assert rest.post("/connectors", json={"name": "rs", "config": config}
                     ).status_code == 201
    wait_state(rest, "rs", "RUNNING", ["RUNNING"])

    r = rest.post("/connectors/rs/restart")
    assert r.status_code == 204 and r.content == b""
    r = rest.post("/connectors/rs/restart?includeTasks=true&onlyFailed=false")
    assert r.status_code == 202, r.text
    assert set(r.json()) == {"name", "connector", "tasks", "type"}
    r = rest.post("/connectors/rs/restart?includeTasks=true&onlyFailed=true")
    assert r.status_code == 202, r.text
    wait_state(rest, "rs", "RUNNING", ["RUNNING"])

    assert rest.post("/connectors/rs/tasks/0/restart").status_code == 204
    assert_error(rest.post("/connectors/rs/tasks/9/restart"), 404)
    assert_error(rest.get("/connectors/rs/tasks/9/status"), 404)
    for bad in ("abc", "-1", "99999999999", "1x"):
        assert_error(rest.get(f"/connectors/rs/tasks/{bad}/status"), 404,
                     "HTTP 404 Not Found")


def test_list_expand(tmp_path, worker):
    _, rest = rest_worker(worker)
    rest.wait_healthy()
    for name in ("ex1", "ex2"):
        config = source_config(name, tmp_path / f"{name}.txt")
        assert rest.post("/connectors", json={"name": name, "config": config}
                         ).status_code == 201
    assert sorted(rest.get("/connectors").json()) == ["ex1", "ex2"]
    both = rest.get("/connectors?expand=status&expand=info").json()
    assert set(both) == {"ex1", "ex2"}
    assert set(both["ex1"]) == {"status", "info"}
    assert both["ex1"]["info"]["name"] == "ex1"
    assert both["ex1"]["status"]["name"] == "ex1"
    only = rest.get("/connectors?expand=info&expand=unknown").json()
    assert set(only["ex2"]) == {"info"}


def test_offsets(tmp_path, worker, mock_cluster):
    _, rest = rest_worker(worker)
    rest.wait_healthy()
    path = tmp_path / "off.txt"
    write_lines(path, ["one", "two"])
    config = source_config("off", path)
    assert rest.post("/connectors", json={"name": "off", "config": config}
                     ).status_code == 201

    def committed():
        body = rest.get("/connectors/off/offsets").json()
        return body["offsets"] and body
    body = wait_until(committed, timeout=30)
    assert body, rest.get("/connectors/off/offsets").text
    entry = body["offsets"][0]
    assert entry["partition"] == {"filename": str(path)}
    assert entry["offset"]["position"] > 0

    # Altering needs a stopped connector.
    alter = {"offsets": [{"partition": {"filename": str(path)},
                          "offset": {"position": 1}}]}
    assert_error(rest.patch("/connectors/off/offsets", json=alter), 400)
    assert rest.put("/connectors/off/stop").status_code == 204
    wait_state(rest, "off", "STOPPED")
    r = rest.patch("/connectors/off/offsets", json=alter)
    assert r.status_code == 200, r.text
    assert isinstance(r.json()["message"], str)
    got = rest.get("/connectors/off/offsets").json()["offsets"]
    assert got[0]["offset"] == {"position": 1}
    r = rest.delete("/connectors/off/offsets")
    assert r.status_code == 200, r.text
    assert rest.get("/connectors/off/offsets").json() == {"offsets": []}
    assert_error(rest.patch("/connectors/off/offsets", data=b"[]"), 400)


def test_encoded_names_and_unknown(tmp_path, worker):
    _, rest = rest_worker(worker)
    rest.wait_healthy()
    name = "my conn/1"
    config = source_config(name, tmp_path / "in.txt")
    r = rest.post("/connectors", json={"name": name, "config": config})
    assert r.status_code == 201, r.text
    assert r.headers["Location"] == rest.url + "/connectors/my%20conn%2F1"
    r = rest.get("/connectors/my%20conn%2F1")
    assert r.status_code == 200 and r.json()["name"] == name

    for method, path in (("GET", ""), ("GET", "/config"),
                         ("GET", "/status"), ("GET", "/tasks"),
                         ("PUT", "/pause"), ("PUT", "/resume"),
                         ("PUT", "/stop"), ("POST", "/restart"),
                         ("DELETE", ""), ("GET", "/offsets"),
                         ("GET", "/tasks/0/status")):
        assert_error(rest.request(method, "/connectors/ghost" + path), 404)
    # Topic tracking answers for any name, as Kafka (test_rest_parity.py).
    assert rest.get("/connectors/ghost/topics").json() == \
        {"ghost": {"topics": []}}


def test_advertised_worker_id(tmp_path, worker):
    _, rest = rest_worker(worker, props={
        "rest.advertised.host.name": "connect.example",
        "rest.advertised.port": "18083"})
    rest.wait_healthy()
    config = source_config("adv", tmp_path / "in.txt")
    r = rest.post("/connectors", json={"name": "adv", "config": config})
    assert r.status_code == 201
    assert r.headers["Location"] == \
        "http://connect.example:18083/connectors/adv"
    wait_state(rest, "adv", "RUNNING")
    status = rest.get("/connectors/adv/status").json()
    assert status["connector"]["worker_id"] == "connect.example:18083"


def test_concurrent_creates(tmp_path, worker):
    """Many clients create the same and different connectors at once:
    exactly one create per name wins."""
    import threading
    _, rest = rest_worker(worker)
    rest.wait_healthy()
    codes = {}
    lock = threading.Lock()

    def create(i):
        name = f"c{i % 5}"
        config = source_config(name, tmp_path / f"{name}.txt")
        try:
            code = rest.post("/connectors",
                             json={"name": name, "config": config}
                             ).status_code
        except requests.RequestException as e:
            code = repr(e)
        with lock:
            codes.setdefault(name, []).append(code)

    threads = [threading.Thread(target=create, args=(i,)) for i in range(25)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    for name, got in codes.items():
        assert sorted(got) == [201, 409, 409, 409, 409], (name, got)
    assert sorted(rest.get("/connectors").json()) == \
        [f"c{i}" for i in range(5)]
