"""connector.configs.file (an rdconnect extension): connectors created,
updated, paused, stopped or deleted over REST in standalone mode come back
after a worker restart with the same config and target state. Without the
key they live in memory only, as in Kafka."""

from harness import (file_source, numbered_lines, topic_record_count,
                     write_lines)
from rest_helpers import (assert_error, create, restart_worker, rest_worker,
                          states, status, stays, wait_state, wait_values)


def persisted_worker(worker, tmp_path):
    return rest_worker(worker, props={
        "connector.configs.file": str(tmp_path / "connectors.json")})


def test_connectors_survive_restart(tmp_path, worker, mock_cluster):
    topic = "persist-topic"
    mock_cluster.create_topic(topic, 1)
    w, rest = persisted_worker(worker, tmp_path)
    rest.wait_healthy()
    path = tmp_path / "a.txt"
    lines = numbered_lines(0, 30)
    write_lines(path, lines[:10])
    configs = {
        "run": file_source("run", path, topic),
        "paused": file_source("paused", tmp_path / "b.txt", "paused-topic"),
        "stopped": file_source("stopped", tmp_path / "c.txt", "stopped-t"),
        "gone": file_source("gone", tmp_path / "d.txt", "gone-topic"),
        "updated": file_source("updated", tmp_path / "e.txt", "upd-topic"),
    }
    for name, config in configs.items():
        create(rest, name, config,
               initial_state="STOPPED" if name == "stopped" else None)
    assert rest.put("/connectors/paused/pause").status_code == 202
    assert rest.delete("/connectors/gone").status_code == 204
    configs["updated"]["topic"] = "upd-topic-2"
    configs["updated"]["batch.size"] = "50"
    r = rest.put("/connectors/updated/config", json=configs["updated"])
    assert r.status_code == 200, r.text
    r = rest.patch("/connectors/updated/config",
                   json={"batch.size": None, "tasks.max": "1"})
    assert r.status_code == 200, r.text
    del configs["updated"]["batch.size"]
    del configs["gone"]
    wait_state(rest, "paused", "PAUSED", ["PAUSED"])
    wait_values(mock_cluster.bootstrap, topic, lines[:10])

    assert w.stop() == 0
    assert (tmp_path / "connectors.json").exists()
    write_lines(path, lines[10:20], mode="a")
    rest = restart_worker(w)

    assert sorted(rest.get("/connectors").json()) == sorted(configs), \
        rest.get("/connectors").text
    for name, config in configs.items():
        got = rest.get(f"/connectors/{name}/config").json()
        assert got == config, (name, got, config)
    wait_state(rest, "run", "RUNNING", ["RUNNING"])
    wait_state(rest, "paused", "PAUSED", ["PAUSED"])
    wait_state(rest, "stopped", "STOPPED", [])
    wait_state(rest, "updated", "RUNNING", ["RUNNING"])
    assert rest.get("/connectors/gone").status_code == 404
    # The restored source continues from its offsets: no duplicates.
    wait_values(mock_cluster.bootstrap, topic, lines[:20])
    # The paused one stays paused after the restart.
    assert stays(lambda: states(rest, "paused") == ("PAUSED", ["PAUSED"]),
                 2) is None, status(rest, "paused")

    # Changes made after the restart are kept too.
    assert rest.delete("/connectors/run").status_code == 204
    assert rest.put("/connectors/paused/resume").status_code == 202
    assert rest.put("/connectors/updated/stop").status_code == 204
    r = rest.post("/connectors", json={
        "name": "late", "config": file_source("late", tmp_path / "f.txt",
                                              "late-topic")})
    assert r.status_code == 201, r.text
    wait_state(rest, "updated", "STOPPED", [])
    assert w.stop() == 0
    write_lines(path, lines[20:], mode="a")
    rest = restart_worker(w)
    assert sorted(rest.get("/connectors").json()) == \
        ["late", "paused", "stopped", "updated"], \
        rest.get("/connectors").text
    wait_state(rest, "paused", "RUNNING", ["RUNNING"])
    wait_state(rest, "updated", "STOPPED", [])
    wait_state(rest, "stopped", "STOPPED", [])
    wait_state(rest, "late", "RUNNING", ["RUNNING"])
    # "run" was deleted: the new lines are not read.
    assert stays(lambda: topic_record_count(mock_cluster.bootstrap, topic)
                 == 20, 2) is None
    assert w.stop() == 0


def test_kill9_keeps_connectors(tmp_path, worker):
    """Saved at each change, not only at a clean shutdown."""
    w, rest = persisted_worker(worker, tmp_path)
    rest.wait_healthy()
    config = file_source("crash", tmp_path / "in.txt", "crash-topic")
    create(rest, "crash", config)
    assert rest.put("/connectors/crash/pause").status_code == 202
    wait_state(rest, "crash", "PAUSED", ["PAUSED"])
    w.kill9()
    rest = restart_worker(w)
    assert rest.get("/connectors").json() == ["crash"]
    assert rest.get("/connectors/crash/config").json() == config
    wait_state(rest, "crash", "PAUSED", ["PAUSED"])


def test_without_the_key_connectors_are_forgotten(tmp_path, worker):
    w, rest = rest_worker(worker)
    rest.wait_healthy()
    create(rest, "mem", file_source("mem", tmp_path / "in.txt", "mem-t"))
    assert w.stop() == 0
    rest = restart_worker(w)
    assert rest.get("/connectors").json() == []


def test_unreadable_configs_file(tmp_path, worker):
    """A corrupt file does not stop the worker; it says so in the log, and
    the next change rewrites a good file."""
    (tmp_path / "connectors.json").write_text("{ not json")
    w, rest = persisted_worker(worker, tmp_path)
    rest.wait_healthy()
    assert rest.get("/connectors").json() == []
    assert w.log_lines_matching(r"connectors\.json"), \
        "the corrupt connector.configs.file is not mentioned in the log"
    config = file_source("fresh", tmp_path / "in.txt", "fresh-t")
    create(rest, "fresh", config)
    assert w.stop() == 0
    rest = restart_worker(w)
    assert rest.get("/connectors").json() == ["fresh"]
    assert rest.get("/connectors/fresh/config").json() == config


def test_failed_save_answers_500_and_changes_nothing(tmp_path, worker,
                                                     mock_cluster):
    """A REST write is answered once connector.configs.file holds it: when
    the file cannot be written, the answer is 500 with the reason, and
    nothing that runs changes (the connector neither starts, nor pauses,
    nor goes away)."""
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a regular file, so no file can be made under it\n")
    w, rest = rest_worker(worker, props={
        "connector.configs.file": str(blocker / "connectors.json")})
    rest.wait_healthy()
    config = file_source("nosave", tmp_path / "in.txt", "nosave-t")
    r = rest.post("/connectors", json={"name": "nosave", "config": config})
    message = assert_error(r, 500)
    assert "connector.configs.file" in message and str(blocker) in message, \
        message
    assert rest.get("/connectors").json() == []
    assert rest.get("/connectors/nosave/status").status_code == 404
    assert w.stop() == 0

    # The file turns into a directory while the worker runs.
    path = tmp_path / "connectors.json"
    w, rest = rest_worker(worker, props={"connector.configs.file": str(path)},
                          name="second")
    rest.wait_healthy()
    topic = "saved-t"
    mock_cluster.create_topic(topic, 1)
    src = tmp_path / "saved.txt"
    write_lines(src, numbered_lines(0, 5))
    config = file_source("saved", src, topic)
    create(rest, "saved", config)
    wait_state(rest, "saved", "RUNNING", ["RUNNING"])
    path.unlink()
    path.mkdir()
    (path / "keep").write_text("")  # a directory rename cannot replace
    assert "connector.configs.file" in assert_error(
        rest.put("/connectors/saved/pause"), 500)
    assert "connector.configs.file" in assert_error(
        rest.delete("/connectors/saved"), 500)
    changed = dict(config, topic="other-t")
    assert_error(rest.put("/connectors/saved/config", json=changed), 500)
    assert rest.get("/connectors").json() == ["saved"]
    assert rest.get("/connectors/saved/config").json() == config
    assert states(rest, "saved") == ("RUNNING", ["RUNNING"])
    # The data keeps flowing as before.
    write_lines(src, numbered_lines(5, 5), mode="a")
    wait_values(mock_cluster.bootstrap, topic, numbered_lines(0, 10))
    # Once the file can be written again, so can the connector.
    (path / "keep").unlink()
    path.rmdir()
    assert rest.put("/connectors/saved/pause").status_code == 202
    wait_state(rest, "saved", "PAUSED", ["PAUSED"])
    assert w.stop() == 0
