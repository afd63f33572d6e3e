"""Config providers (Kafka's KIP-297): ${file:...}, ${directory:...} and
${env:...} references in connector and worker configs are resolved when a
task starts (and for validation), while REST shows the references, never
what they resolve to; a reference that cannot be resolved is a 400 naming
the key, and a bad provider setting stops the worker at start."""

import re

from harness import (PLUGINS_DIR, TEST_PLUGINS_GOOD_DIR, connector,
                     file_sink, file_source, numbered_lines, read_lines,
                     topic_record_count, wait_until)
from rest_helpers import assert_error, create, rest_worker, wait_task

PROVIDERS = {
    "config.providers": "file,directory,env",
    "config.providers.file.class":
        "org.apache.kafka.common.config.provider.FileConfigProvider",
    "config.providers.directory.class":
        "org.apache.kafka.common.config.provider.DirectoryConfigProvider",
    "config.providers.env.class":
        "org.apache.kafka.common.config.provider.EnvVarConfigProvider",
}


def test_references_resolve_for_tasks_and_stay_hidden(tmp_path, worker,
                                                      mock_cluster,
                                                      monkeypatch):
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    data = tmp_path / "in.txt"
    data.write_text("".join(line + "\n" for line in numbered_lines(0, 10)))
    (secrets / "creds.properties").write_text(f"path={data}\n")
    (secrets / "topic").write_text("provided-topic")
    monkeypatch.setenv("RDC_PROVIDED_OUT", str(tmp_path / "out.txt"))
    mock_cluster.create_topic("provided-topic", 1)
    w, rest = rest_worker(worker, props=PROVIDERS)
    rest.wait_healthy()

    source = file_source("src", f"${{file:{secrets}/creds.properties:path}}",
                         f"${{directory:{secrets}:topic}}")
    sink = file_sink("snk", "${env:RDC_PROVIDED_OUT}",
                     f"${{directory:{secrets}:topic}}")
    create(rest, "src", source)
    create(rest, "snk", sink)
    # The data moved through the resolved file, topic and output.
    assert wait_until(lambda: topic_record_count(
        mock_cluster.bootstrap, "provided-topic") >= 10, 60)
    assert wait_until(lambda: len(read_lines(tmp_path / "out.txt")) >= 10, 60)
    assert read_lines(tmp_path / "out.txt") == numbered_lines(0, 10)

    # REST shows the references: configs, task configs, the topic listing
    # aside (it names real topics, as in Kafka).
    assert rest.get("/connectors/src/config").json() == source
    assert rest.get("/connectors/snk/config").json() == sink
    for task in rest.get("/connectors/src/tasks").json():
        assert str(data) not in str(task["config"]), task
    assert str(tmp_path / "out.txt") not in rest.get(
        "/connectors/snk/tasks").text

    # A reference that cannot be resolved: 400 naming the key and the
    # reason, nothing created.
    bad = file_source("bad", f"${{file:{secrets}/creds.properties:nokey}}",
                      "t")
    message = assert_error(rest.post("/connectors", json={
        "name": "bad", "config": bad}), 400)
    assert "\nfile: Invalid value ${file:" in message, message
    assert "has no key 'nokey'" in message, message
    message = assert_error(rest.post("/connectors", json={
        "name": "bad", "config": file_source(
            "bad", "${env:RDC_PROVIDED_NOT_SET}", "t")}), 400)
    assert "the environment variable RDC_PROVIDED_NOT_SET is not set" \
        in message, message
    assert sorted(rest.get("/connectors").json()) == ["snk", "src"]

    # A secret that disappears: the task resolves again when it restarts,
    # and fails with the key and the reason in its trace (then the
    # automatic restart retries it, RESTARTING with the same trace).
    (secrets / "creds.properties").write_text("other=1\n")
    assert rest.post("/connectors/src/tasks/0/restart").status_code == 204
    task = wait_task(rest, "src", 0,
                     lambda t: t["state"] in ("FAILED", "RESTARTING") and
                     "cannot be resolved" in t.get("trace", ""), "FAILED")
    assert "configuration file: it cannot be resolved" in task["trace"]
    assert "has no key 'path'" in task["trace"], task["trace"]
    assert w.stop() == 0


def test_connector_instance_sees_resolved_values(tmp_path, worker,
                                                mock_cluster):
    """As Kafka's Worker.startConnector: the connector instance gets the
    resolved config; the task configs it returns keep the references
    (Kafka's reverse transform), so REST never shows the secret."""
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    (secrets / "creds.properties").write_text("password=hunter2\n")
    echo = tmp_path / "echo.txt"
    mock_cluster.create_topic("echo-topic", 1)
    _, rest = rest_worker(worker, props={
        **PROVIDERS,
        "plugin.path": f"{PLUGINS_DIR},{TEST_PLUGINS_GOOD_DIR}"})
    rest.wait_healthy()
    ref = f"${{file:{secrets}/creds.properties:password}}"
    config = connector("echo", "com.example.test.TestSource", {
        "topic": "echo-topic", "test.records": "1",
        "test.secret": ref,
        "test.connector.echo.key": "test.secret",
        "test.connector.echo.file": str(echo)})
    create(rest, "echo", config)
    assert wait_until(lambda: echo.exists() and echo.read_text(), 30)
    assert echo.read_text() == "hunter2"
    tasks = rest.get("/connectors/echo/tasks").json()
    assert tasks and all(t["config"]["test.secret"] == ref for t in tasks), \
        tasks
    assert "hunter2" not in rest.get("/connectors/echo/tasks").text
    assert rest.get("/connectors/echo/config").json()["test.secret"] == ref


def test_worker_keys_resolve_and_bad_providers_stop_the_start(tmp_path,
                                                              worker,
                                                              monkeypatch):
    # A worker key from the environment (Kafka resolves worker configs at
    # start too): unresolved, "${env:...}" is no LONG and the start fails.
    monkeypatch.setenv("RDC_PROVIDED_FLUSH", "1234")
    w, rest = rest_worker(worker, props={
        **PROVIDERS, "offset.flush.interval.ms": "${env:RDC_PROVIDED_FLUSH}"})
    rest.wait_healthy()
    assert w.stop() == 0

    w2 = worker(props={"config.providers": "vault",
                       "config.providers.vault.class":
                           "com.example.VaultConfigProvider"}, name="w2")
    assert w2.proc.wait(timeout=30) != 0
    assert w2.log_lines_matching(r"\bERROR\b",
                                 re.escape("config.providers.vault.class"),
                                 r"not a config provider"), w2.log_text()
    w3 = worker(props={**PROVIDERS,
                       "offset.flush.interval.ms": "${env:RDC_NO_SUCH_VAR}"},
                name="w3")
    assert w3.proc.wait(timeout=30) != 0
    assert w3.log_lines_matching(r"offset\.flush\.interval\.ms",
                                 r"RDC_NO_SUCH_VAR is not set"), w3.log_text()
