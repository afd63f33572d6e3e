"""Connector and worker config validation: bad values are refused up front
with an error naming the key (400 over REST, a log line for files), never
accepted to crash the worker or fail a task later, and never silently
ignored."""

import json
import re

import pytest

from harness import (connector, file_sink, file_source, free_port,
                     topic_record_count, wait_until, write_lines)
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
    # A change rewrites the file: the entry that did not load is kept
    # (its config is not lost), until it is deleted over REST.
    assert rest.put("/connectors/kept/pause").status_code == 202
    saved = json.loads(configs.read_text())
    assert saved["broken"]["config"]["file"] == str(path), saved
    assert saved["kept"]["target_state"] == "PAUSED", saved
    # And again: the next start is not a crash either.
    assert w.stop() == 0
    rest = restart_worker(w)
    wait_state(rest, "kept", "PAUSED", ["PAUSED"])
    assert w.running()
    assert rest.delete("/connectors/broken").status_code == 204
    assert "broken" not in json.loads(configs.read_text())
    assert rest.get("/connectors/broken").status_code == 404
    assert w.stop() == 0


# ------------------------------------------------ client overrides (18)


def test_bad_client_override_value_is_refused(tmp_path, worker,
                                              mock_cluster):
    """Kafka's reproduction: the value is librdkafka's to judge, and it
    judges it before the connector exists, not in a failing task."""
    w, rest = rest_worker(worker)
    rest.wait_healthy()
    config = file_sink("sink", tmp_path / "out.txt", "t",
                       {"consumer.override.auto.offset.reset":
                        "FileStreamSink"})
    r = rest.post("/connectors", json={"name": "sink", "config": config})
    key = "consumer.override.auto.offset.reset"
    assert_invalid(r, f'{key}: Invalid value FileStreamSink for '
                      f'configuration {key}: Invalid value "FileStreamSink" '
                      f'for configuration property "auto.offset.reset"')
    assert rest.get("/connectors").json() == []
    # The same on PUT and PATCH of an existing connector.
    good = file_sink("sink", tmp_path / "out.txt", "t")
    create(rest, "sink", good)
    r = rest.put("/connectors/sink/config",
                 json=dict(good, **{"producer.override.acks": "banana"}))
    assert_invalid(r, "producer.override.acks: Invalid value banana for "
                      "configuration producer.override.acks: Invalid value "
                      "for configuration property "
                      "\"request.required.acks\"")
    r = rest.patch("/connectors/sink/config",
                   json={"consumer.override.fetch.min.bytes": "lots"})
    message = assert_error(r, 400)
    assert "consumer.override.fetch.min.bytes" in message, message
    assert rest.get("/connectors/sink/config").json() == good
    assert_serving(rest, tmp_path, mock_cluster)


def test_unknown_client_key_is_refused(tmp_path, worker):
    w, rest = rest_worker(worker)
    rest.wait_healthy()
    config = file_source("src", tmp_path / "in.txt", "t",
                         {"producer.override.no.such.setting": "1"})
    r = rest.post("/connectors", json={"name": "src", "config": config})
    key = "producer.override.no.such.setting"
    assert_invalid(r, f'{key}: Invalid value 1 for configuration {key}: No '
                      f'such configuration property: "no.such.setting"')


def test_java_only_client_key_is_accepted_with_a_warning(tmp_path, worker,
                                                         mock_cluster):
    """max.poll.records is in many existing Java configs and means nothing
    to librdkafka: accepted, with a warning, as README lists."""
    mock_cluster.create_topic("jt", 1)
    w, rest = rest_worker(worker)
    rest.wait_healthy()
    config = file_source("src", tmp_path / "in.txt", "jt",
                         {"consumer.override.max.poll.records": "500",
                          "producer.override.max.block.ms": "1000"})
    write_lines(tmp_path / "in.txt", ["1", "2"])
    create(rest, "src", config)
    wait_state(rest, "src", "RUNNING", ["RUNNING"])
    assert wait_until(lambda: topic_record_count(mock_cluster.bootstrap,
                                                 "jt") == 2, timeout=30)
    for key in ("consumer.override.max.poll.records",
                "producer.override.max.block.ms"):
        assert w.log_lines_matching(r"\bWARN\b", re.escape(key),
                                    r"no effect"), w.log_text()


def test_worker_client_keys_are_checked_at_start(tmp_path, worker):
    w = worker(props={"producer.acks": "banana"})
    assert w.proc.wait(timeout=30) != 0
    assert w.log_lines_matching(r"\bERROR\b", r"producer\.acks",
                                r"banana"), w.log_text()
    w2 = worker(props={"consumer.no.such.setting": "1"}, name="w2")
    assert w2.proc.wait(timeout=30) != 0
    assert w2.log_lines_matching(r"\bERROR\b",
                                 r"consumer\.no\.such\.setting"), \
        w2.log_text()
    # A Java-only key is a warning, and the worker runs.
    w3, rest = rest_worker(worker, props={"consumer.max.poll.records": "10"},
                           name="w3")
    rest.wait_healthy()
    assert w3.log_lines_matching(r"\bWARN\b", r"consumer\.max\.poll\.records",
                                 r"no effect"), w3.log_text()


# ------------------------------------- Kafka features not implemented


REFUSED = [
    ("transforms", "mask"),
    ("transforms.mask.type",
     "org.apache.kafka.connect.transforms.MaskField$Value"),
    ("predicates", "p"),
    ("predicates.p.type",
     "org.apache.kafka.connect.transforms.predicates.TopicNameMatches"),
    ("errors.deadletterqueue.topic.name", "dlq"),
    ("errors.deadletterqueue.bogus", "x"),
    ("errors.retry.timeout", "30000"),
    ("exactly.once.support", "required"),
    ("transaction.boundary", "interval"),
    ("offsets.storage.topic", "my-offsets"),
    ("topic.creation.groups", "compacted"),
    ("topic.creation.default.cleanup.policy", "compact"),
    ("topic.creation.compacted.include", "t.*"),
    ("tasks.max.enforce", "false"),
    ("connector.plugin.version", "3.9.0"),
    ("value.converter.plugin.version", "[3.0,4.0)"),
]

# What an existing Kafka config with the feature unused looks like.
ACCEPTED = [
    ("transforms", ""),
    ("predicates", " "),
    ("errors.deadletterqueue.topic.name", ""),
    ("errors.deadletterqueue.topic.replication.factor", "1"),
    ("errors.deadletterqueue.context.headers.enable", "false"),
    ("errors.retry.timeout", "0"),
    ("errors.retry.delay.max.ms", "60000"),
    ("exactly.once.support", "requested"),
    ("transaction.boundary", "poll"),
    ("topic.creation.groups", ""),
    ("topic.creation.default.include", ".*"),
    ("topic.creation.default.exclude", ""),
    ("tasks.max.enforce", "true"),
    ("config.action.reload", "restart"),
    ("header.converter",
     "org.apache.kafka.connect.storage.SimpleHeaderConverter"),
    ("connector.plugin.version", ""),
    ("admin.override.request.timeout.ms", "1000"),
]


def test_unsupported_connector_keys(tmp_path, worker, mock_cluster):
    w, rest = rest_worker(worker)
    rest.wait_healthy()
    base = file_source("src", tmp_path / "in.txt", "t")
    for key, value in REFUSED:
        r = rest.post("/connectors",
                      json={"name": "src", "config": dict(base,
                                                          **{key: value})})
        message = assert_error(r, 400)
        # A listed transformation or predicate alias also lacks its
        # required .type key, as Kafka says too.
        alias_listed = key in ("transforms", "predicates")
        assert message.startswith(INVALID_1) != alias_listed, (key, message)
        assert f"\n{key}: " in message and "not supported" in message, \
            (key, message)
    r = rest.post("/connectors", json={"name": "src", "config": dict(
        base, transforms="mask")})
    assert_invalid(r, 'transforms.mask.type: Missing required configuration '
                      '"transforms.mask.type" which has no default value.',
                   "transforms: Invalid value mask for configuration "
                   "transforms: Single Message Transforms are not "
                   "supported by rdconnect yet; remove the key or leave "
                   "it empty")
    assert rest.get("/connectors").json() == []

    # header.converter is implemented: a class that is no header converter
    # (a connector) is refused by name, like any unknown converter; the
    # converters that are header converters in Kafka are accepted.
    r = rest.post("/connectors", json={"name": "src", "config": dict(
        base, **{"header.converter": "FileStreamSink"})})
    assert_invalid(r, "header.converter: Class class "
                      "org.apache.kafka.connect.file.FileStreamSinkConnector "
                      "does not implement the HeaderConverter interface")
    for cls in ("org.apache.kafka.connect.json.JsonConverter",
                "org.apache.kafka.connect.converters.IntegerConverter",
                "org.apache.kafka.connect.converters.ByteArrayConverter",
                "org.apache.kafka.connect.storage.StringConverter"):
        r = rest.put("/connector-plugins/FileStreamSource/config/validate",
                     json=dict(base, **{"header.converter": cls}))
        assert r.status_code == 200 and r.json()["error_count"] == 0, \
            (cls, r.text)

    accepted = dict(base, **dict(ACCEPTED))
    create(rest, "src", accepted)
    assert rest.get("/connectors/src/config").json() == accepted
    # The herder's own validate endpoint says the same as create.
    r = rest.put("/connector-plugins/FileStreamSource/config/validate",
                 json=dict(base, transforms="mask"))
    assert r.status_code == 200, r.text
    assert r.json()["error_count"] == 2, r.text


def test_unknown_worker_key_is_a_warning(tmp_path, worker):
    """A typo in a worker key is named in the log (Kafka warns too)."""
    w, rest = rest_worker(worker, props={"offset.flush.intervall.ms": "5"})
    rest.wait_healthy()
    assert w.log_lines_matching(r"\bWARN\b", r"offset\.flush\.intervall\.ms",
                                r"isn't a known config"), w.log_text()


@pytest.mark.parametrize("key,value", [
    ("rest.extension.classes",
     "org.apache.kafka.connect.rest.basic.auth.extension."
     "BasicAuthSecurityRestExtension"),
])
def test_unsupported_worker_feature_stops_the_start(tmp_path, worker, key,
                                                    value):
    """Features whose absence changes what the worker does (secrets left
    unresolved, REST without its auth extension) are start errors."""
    w = worker(props={key: value})
    assert w.proc.wait(timeout=30) != 0
    assert w.log_lines_matching(r"\bERROR\b", re.escape(key),
                                r"not supported"), w.log_text()


# ------------------------------------------------- librdkafka's logs


def test_librdkafka_logs_go_through_the_worker_logger(tmp_path, worker):
    """A broker that refuses connections makes librdkafka log; the line
    comes out in the worker's layout under logger "librdkafka", never as
    librdkafka's raw "%3|..." line."""
    port = free_port()  # nothing listens there
    w, rest = rest_worker(worker,
                          props={"bootstrap.servers": f"127.0.0.1:{port}"})
    rest.wait_healthy()
    write_lines(tmp_path / "in.txt", ["a"])
    create(rest, "src", file_source("src", tmp_path / "in.txt", "t"))
    w.wait_for_log(rf"^\[\d{{4}}-\d\d-\d\d \d\d:\d\d:\d\d,\d{{3}}\] "
                   rf"(ERROR|WARN) .*127\.0\.0\.1:{port}.* \(librdkafka\)$",
                   timeout=60)
    assert not re.search(RAW_RDKAFKA, w.log_text(), re.MULTILINE), \
        w.log_text()
    # A task's client logs with the task's scope, as the task does.
    w.wait_for_log(r"\] (ERROR|WARN) \[src\|task-0\] "
                   r"connector-producer-src-0#producer-\d+ .*"
                   r"\(librdkafka\)$", timeout=60)
    # The logger's level is changed like any other.
    r = rest.put("/admin/loggers/librdkafka", json={"level": "OFF"})
    assert r.status_code == 200, r.text
    assert w.stop() == 0
    assert not re.search(RAW_RDKAFKA, w.log_text(), re.MULTILINE)


def test_unprefixed_client_keys_configure_the_worker_admin(tmp_path, worker):
    """As in Kafka, the worker's own admin client takes the worker's
    unprefixed client keys (security.protocol, sasl.*, ssl.*, client.id,
    ...) under its admin.* ones; they are checked at start like the
    prefixed ones and are not "unknown"."""
    bad = worker(props={"security.protocol": "banana"}, name="bad")
    assert bad.proc.wait(timeout=30) != 0
    assert bad.log_lines_matching(r"\bERROR\b", r"security\.protocol",
                                  r"banana"), bad.log_text()

    port = free_port()  # nothing listens there: librdkafka logs its name
    w, rest = rest_worker(worker, props={
        "bootstrap.servers": f"127.0.0.1:{port}",
        "client.id": "top-level-id",
        "security.protocol": "PLAINTEXT"})
    rest.wait_healthy()
    write_lines(tmp_path / "in.txt", ["a"])
    create(rest, "src", file_source("src", tmp_path / "in.txt", "t"))
    # ensure_topic's metadata request goes through the admin client.
    w.wait_for_log(r"top-level-id#consumer-\d+ .*\(librdkafka\)$",
                   timeout=60)
    assert not w.log_lines_matching(r"isn't a known config"), w.log_text()


def test_producer_override_conflict_is_refused(mock_cluster, worker):
    """acks=1 passes librdkafka's per-key check but not its check of the
    whole producer config (idempotence, a source task's default, needs
    acks=all): 400 naming the key, not a task that fails later."""
    w, rest = rest_worker(worker)
    body = {"name": "acks1", "config": {
        "connector.class": "FileStreamSource", "file": "/dev/null",
        "topic": "t", "producer.override.acks": "1"}}
    r = rest.post("/connectors", json=body)
    assert r.status_code == 400, r.text
    message = r.json()["message"]
    assert "producer.override.acks: Invalid producer configuration" in \
        message, message
    body["config"]["producer.override.enable.idempotence"] = "false"
    assert rest.post("/connectors", json=body).status_code == 201
    assert w.stop() == 0
