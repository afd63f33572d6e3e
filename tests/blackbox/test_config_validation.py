"""Connector and worker config validation: bad values are refused up front
with an error naming the key (400 over REST, a log line for files), never
accepted to crash the worker or fail a task later, and never silently
ignored."""

import json
import re

import pytest

from harness import (connector, file_sink, file_source, topic_record_count,
                     wait_until, write_lines)
from rest_helpers import (assert_error, create, restart_worker, rest_worker,
                          wait_state)

INVALID_1 = ("Connector configuration is invalid and contains the following "
             "1 error(s):\n")
VALIDATE_HINT = ("\nYou can also find the above list of errors at the "
                 "endpoint `/connector-plugins/{connectorType}/config/"
                 "validate`")
BLANK_CLASS = ('connector.class: Missing required configuration '
               '"connector.class" which has no default value (the value '
               'given is blank).')
# A raw librdkafka log line, as librdkafka prints it without a log callback:
# "%3|1700000000.123|FAIL|rdkafka#producer-1| ..."
RAW_RDKAFKA = r"^%\d\|"


def assert_invalid(response, *lines):
    """A 400 in Kafka's "Connector configuration is invalid" shape listing
    exactly lines."""
    message = assert_error(response, 400)
    assert message == (f"Connector configuration is invalid and contains "
                       f"the following {len(lines)} error(s):\n" +
                       "\n".join(lines) + VALIDATE_HINT), message
    return message


def assert_serving(rest, tmp_path, mock_cluster, name="alive"):
    """The worker still takes requests and runs a new connector."""
    topic = f"{name}-topic"
    mock_cluster.create_topic(topic, 1)
    path = tmp_path / f"{name}.txt"
    write_lines(path, ["x", "y"])
    create(rest, name, file_source(name, path, topic))
    wait_state(rest, name, "RUNNING", ["RUNNING"])
    assert wait_until(lambda: topic_record_count(mock_cluster.bootstrap,
                                                 topic) == 2, timeout=30)


# ------------------------------------------------- blank required keys


@pytest.mark.parametrize("blank", ["", "   "])
def test_blank_connector_class_over_rest(tmp_path, worker, mock_cluster,
                                         blank):
    w, rest = rest_worker(worker)
    rest.wait_healthy()
    good = file_source("good", tmp_path / "good.txt", "good-topic")
    create(rest, "good", good)
    bad = dict(good, **{"name": "bad", "connector.class": blank})

    r = rest.post("/connectors", json={"name": "bad", "config": bad})
    assert_invalid(r, BLANK_CLASS)
    r = rest.put("/connectors/bad/config", json=bad)
    assert_invalid(r, BLANK_CLASS)
    r = rest.patch("/connectors/good/config",
                   json={"connector.class": blank})
    assert_invalid(r, BLANK_CLASS)
    # PUT over an existing connector is refused too and changes nothing.
    r = rest.put("/connectors/good/config",
                 json=dict(good, **{"connector.class": blank}))
    assert_invalid(r, BLANK_CLASS)

    assert rest.get("/connectors").json() == ["good"]
    assert rest.get("/connectors/good/config").json() == good
    assert_serving(rest, tmp_path, mock_cluster)
    assert w.running()
    assert w.stop() == 0


def test_blank_connector_class_in_a_file(tmp_path, worker, mock_cluster):
    mock_cluster.create_topic("good-topic", 1)
    good_file = tmp_path / "good.txt"
    write_lines(good_file, [f"good {i}" for i in range(20)])
    bad = connector("blank-class", "   ", {"topic": "t",
                                            "file": str(good_file)})
    w = worker([bad, file_source("good", good_file, "good-topic")])
    assert wait_until(lambda: topic_record_count(
        mock_cluster.bootstrap, "good-topic") >= 20, timeout=60), \
        "the good connector did not deliver its data"
    lines = w.log_lines_matching(r"\bERROR\b", r"blank-class",
                                 r"connector\.class", r"blank")
    assert lines, w.log_text()
    assert w.running(), f"worker exited with {w.proc.returncode}"
    assert w.stop() == 0


def test_blank_connector_class_in_configs_file(tmp_path, worker,
                                               mock_cluster):
    """A connector.configs.file entry with a blank class (written by hand,
    or by an older version) does not crash every start; the others come
    up."""
    mock_cluster.create_topic("kept-topic", 1)
    path = tmp_path / "kept.txt"
    write_lines(path, ["a", "b", "c"])
    configs = tmp_path / "connectors.json"
    configs.write_text(json.dumps({
        "broken": {"config": dict(file_source("broken", path, "t"),
                                  **{"connector.class": ""}),
                   "target_state": "RUNNING"},
        "kept": {"config": file_source("kept", path, "kept-topic"),
                 "target_state": "RUNNING"},
    }))
    w, rest = rest_worker(worker,
                          props={"connector.configs.file": str(configs)})
    rest.wait_healthy()
    wait_state(rest, "kept", "RUNNING", ["RUNNING"])
    assert wait_until(lambda: topic_record_count(mock_cluster.bootstrap,
                                                 "kept-topic") == 3,
                      timeout=30)
    assert rest.get("/connectors").json() == ["kept"]
    assert w.log_lines_matching(r"\bERROR\b", r"broken",
                                r"connector\.class"), w.log_text()
    # And again: the next start is not a crash either.
    assert w.stop() == 0
    rest = restart_worker(w)
    wait_state(rest, "kept", "RUNNING", ["RUNNING"])
    assert w.running()
    assert w.stop() == 0
