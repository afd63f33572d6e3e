"""Kafka Connect parity of connector config definitions and validation:
the framework keys Kafka's ConnectorConfig, SinkConnectorConfig and
SourceConnectorConfig define (names, types, defaults, importance, groups,
order, width, display names), Kafka's checks and message texts (DLQ topic
consumed, duplicate aliases, converters, transformations and predicates,
the client override policy), the plugin listing, and a task whose client
cannot work failing with the reason instead of idling."""

import pytest

from harness import (file_sink, file_source, topic_record_count, wait_until,
                     write_lines)
from rest_helpers import assert_error, create, rest_worker, wait_state

VALIDATE_HINT = ("\nYou can also find the above list of errors at the "
                 "endpoint `/connector-plugins/{connectorType}/config/"
                 "validate`")
SINK_CLASS = "org.apache.kafka.connect.file.FileStreamSinkConnector"
SOURCE_CLASS = "org.apache.kafka.connect.file.FileStreamSourceConnector"

# Kafka's ConnectorConfig.configDef(), in its order:
# (name, type, default, importance, group, order, width, display name)
COMMON = [
    ("name", "STRING", None, "HIGH", "Common", 1, "MEDIUM",
     "Connector name"),
    ("connector.class", "STRING", None, "HIGH", "Common", 2, "LONG",
     "Connector class"),
    ("tasks.max", "INT", "1", "HIGH", "Common", 3, "SHORT", "Tasks max"),
    ("tasks.max.enforce", "BOOLEAN", "true", "LOW", "Common", 4, "SHORT",
     "Enforce tasks max"),
    ("key.converter", "CLASS", None, "LOW", "Common", 5, "SHORT",
     "Key converter class"),
    ("value.converter", "CLASS", None, "LOW", "Common", 6, "SHORT",
     "Value converter class"),
    ("header.converter", "CLASS", None, "LOW", "Common", 7, "SHORT",
     "Header converter class"),
    ("transforms", "LIST", "", "LOW", "Transforms", 8, "LONG",
     "Transforms"),
    ("predicates", "LIST", "", "LOW", "Predicates", 9, "LONG",
     "Predicates"),
    ("config.action.reload", "STRING", "restart", "LOW", "Common", 10,
     "MEDIUM", "Reload Action"),
    ("errors.retry.timeout", "LONG", "0", "MEDIUM", "Error Handling", 1,
     "MEDIUM", "Retry Timeout for Errors"),
    ("errors.retry.delay.max.ms", "LONG", "60000", "MEDIUM",
     "Error Handling", 2, "MEDIUM",
     "Maximum Delay Between Retries for Errors"),
    ("errors.tolerance", "STRING", "none", "MEDIUM", "Error Handling", 3,
     "SHORT", "Error Tolerance"),
    ("errors.log.enable", "BOOLEAN", "false", "MEDIUM", "Error Handling", 4,
     "SHORT", "Log Errors"),
    ("errors.log.include.messages", "BOOLEAN", "false", "MEDIUM",
     "Error Handling", 5, "SHORT", "Log Error Details"),
]
# SinkConnectorConfig's additions.
SINK = [
    ("topics", "LIST", "", "HIGH", "Common", 4, "LONG", "Topics"),
    ("topics.regex", "STRING", "", "HIGH", "Common", 4, "LONG",
     "Topics regex"),
    ("errors.deadletterqueue.topic.name", "STRING", "", "MEDIUM",
     "Error Handling", 6, "MEDIUM", "Dead Letter Queue Topic Name"),
    ("errors.deadletterqueue.topic.replication.factor", "SHORT", "3",
     "MEDIUM", "Error Handling", 7, "MEDIUM",
     "Dead Letter Queue Topic Replication Factor"),
    ("errors.deadletterqueue.context.headers.enable", "BOOLEAN", "false",
     "MEDIUM", "Error Handling", 8, "MEDIUM",
     "Enable Error Context Headers"),
]
# SourceConnectorConfig's additions.
SOURCE = [
    ("topic.creation.groups", "LIST", "", "LOW", "Topic Creation", 1,
     "LONG", "Topic Creation Groups"),
    ("exactly.once.support", "STRING", "requested", "MEDIUM",
     "Exactly Once Support", 2, "SHORT", "Exactly once support"),
    ("transaction.boundary", "STRING", "poll", "MEDIUM",
     "Exactly Once Support", 3, "SHORT", "Transaction Boundary"),
    ("transaction.boundary.interval.ms", "LONG", None, "LOW",
     "Exactly Once Support", 4, "SHORT", "Transaction boundary interval"),
    ("offsets.storage.topic", "STRING", None, "LOW", "offsets.topic", 1,
     "LONG", "Offsets topic"),
]
# rdconnect's own source keys, after Kafka's.
SOURCE_EXTRA = ["topic.creation.default.partitions",
                "topic.creation.default.replication.factor"]


def as_rows(infos):
    return [(d["name"], d["type"], d["default_value"], d["importance"],
             d["group"], d["order"], d["width"], d["display_name"])
            for d in infos]


def framework_defs(rest, plugin, rows):
    """GET .../config: the framework's definitions among the plugin's,
    checked against Kafka's rows; returns all the names."""
    infos = rest.get(f"/connector-plugins/{plugin}/config").json()
    framework = [d for d in infos if d["name"] in {r[0] for r in rows}]
    assert_kafka_rows(as_rows(framework), rows)
    assert len(framework) == len(rows)
    for d in framework:
        assert d["documentation"], d
        assert d["required"] == (d["name"] in ("name", "connector.class"))
        assert d["dependents"] == []
    return [d["name"] for d in infos]


def assert_kafka_rows(rows, expected):
    for got, want in zip(rows, expected):
        assert got == want, (got, want)
    assert len(rows) >= len(expected)


def assert_invalid(response, *lines):
    message = assert_error(response, 400)
    assert message == (f"Connector configuration is invalid and contains "
                       f"the following {len(lines)} error(s):\n" +
                       "\n".join(lines) + VALIDATE_HINT), message


def validate(rest, plugin, config):
    r = rest.put(f"/connector-plugins/{plugin}/config/validate", json=config)
    assert r.status_code == 200, r.text
    return r.json()


def errors_of(infos):
    """{key: errors} of the keys with errors."""
    return {c["value"]["name"]: c["value"]["errors"]
            for c in infos["configs"] if c["value"]["errors"]}


# ----------------------------------------------------- definitions (1)


def test_plugin_config_lists_kafka_framework_keys(worker):
    _, rest = rest_worker(worker)
    names = framework_defs(rest, "FileStreamSink", COMMON + SINK)
    # As Kafka: the plugin's own keys, then the framework's.
    assert names[0] == "file"
    assert not set(names) & {row[0] for row in SOURCE}
    names = framework_defs(rest, "FileStreamSource", COMMON + SOURCE)
    assert not set(names) & {row[0] for row in SINK}
    # rdconnect's extras come after Kafka's keys and hide none of them.
    assert names[-2:] == SOURCE_EXTRA


def assert_validate_lists(rest, plugin, config, groups, rows, values):
    """validate of a valid config lists groups first, then the framework
    keys in Kafka's order (before the plugin's), with the values given."""
    infos = validate(rest, plugin, config)
    assert infos["error_count"] == 0, errors_of(infos)
    assert infos["groups"][:len(groups)] == groups
    assert_kafka_rows(as_rows(c["definition"] for c in infos["configs"]),
                      rows)
    shown = {c["value"]["name"]: c["value"]["value"]
             for c in infos["configs"]}
    assert {k: shown[k] for k in values} == values


def test_validate_lists_kafka_framework_keys(worker):
    _, rest = rest_worker(worker)
    common_groups = ["Common", "Transforms", "Predicates", "Error Handling"]
    assert_validate_lists(
        rest, "FileStreamSink", {"name": "s", "topics": "t", "file": "/x"},
        common_groups, COMMON + SINK,
        {"errors.deadletterqueue.topic.replication.factor": "3",
         "transforms": "", "config.action.reload": "restart"})
    assert_validate_lists(
        rest, "FileStreamSource", {"name": "s", "topic": "t", "file": "/x"},
        common_groups + ["Topic Creation", "Exactly Once Support",
                         "offsets.topic"],
        COMMON + SOURCE,
        {"exactly.once.support": "requested", "transaction.boundary": "poll",
         "transaction.boundary.interval.ms": None})


def test_kafka_value_checks_of_framework_keys(worker):
    _, rest = rest_worker(worker)
    base = {"name": "s", "topic": "t", "file": "/tmp/x"}
    cases = {
        "exactly.once.support": (
            "sometimes", "Invalid value sometimes for configuration "
            "exactly.once.support: String must be one of (case "
            "insensitive): REQUIRED, REQUESTED"),
        "transaction.boundary": (
            "never", "Invalid value never for configuration "
            "transaction.boundary: String must be one of (case "
            "insensitive): INTERVAL, POLL, CONNECTOR"),
        "transaction.boundary.interval.ms": (
            "-1", "Invalid value -1 for configuration "
            "transaction.boundary.interval.ms: Value must be at least 0"),
        "config.action.reload": (
            "reload", "Invalid value reload for configuration "
            "config.action.reload: String must be one of: none, restart"),
        "errors.retry.timeout": (
            "soon", "Invalid value soon for configuration "
            "errors.retry.timeout: Not a number of type LONG"),
        "tasks.max.enforce": (
            "maybe", "Invalid value maybe for configuration "
            "tasks.max.enforce: Expected value to be either true or false"),
        "offsets.storage.topic": (
            "", "Invalid value  for configuration offsets.storage.topic: "
            "String must be non-empty"),
    }
    for key, (value, message) in cases.items():
        infos = validate(rest, "FileStreamSource", dict(base, **{key: value}))
        assert errors_of(infos) == {key: [message]}, (key, infos)
        assert infos["error_count"] == 1
    # Case-insensitive, as Kafka.
    infos = validate(rest, "FileStreamSource",
                     dict(base, **{"exactly.once.support": "REQUESTED",
                                   "transaction.boundary": "Poll"}))
    assert infos["error_count"] == 0, errors_of(infos)
    sink = {"name": "s", "file": "/tmp/x"}
    infos = validate(rest, "FileStreamSink",
                     dict(sink, **{"topics.regex": "(unclosed"}))
    errors = errors_of(infos)["topics.regex"]
    assert len(errors) == 1 and errors[0].startswith(
        "Invalid value (unclosed for configuration topics.regex: Invalid "
        "regex: "), errors
    infos = validate(rest, "FileStreamSink", dict(
        sink, **{"topics": "t",
                 "errors.deadletterqueue.topic.replication.factor":
                 "40000"}))
    assert errors_of(infos) == {
        "errors.deadletterqueue.topic.replication.factor": [
            "Invalid value 40000 for configuration "
            "errors.deadletterqueue.topic.replication.factor: Not a number "
            "of type SHORT"]}


# -------------------------------------------------- Kafka's checks (2)


DLQ_REASON = ("Invalid value dlq for configuration "
              "errors.deadletterqueue.topic.name: Dead letter queues are not "
              "supported by rdconnect yet; remove the key or leave it empty")


def test_dlq_topic_that_is_consumed(tmp_path, worker):
    _, rest = rest_worker(worker)
    base = file_sink("s", tmp_path / "out.txt", "a, dlq,a",
                     {"errors.deadletterqueue.topic.name": " dlq "})
    in_topics = ("The DLQ topic 'dlq' may not be included in the list of "
                 "topics ('topics=[a, dlq]') consumed by the connector")
    infos = validate(rest, "FileStreamSink", base)
    dlq_reason = DLQ_REASON.replace("value dlq", "value  dlq ")
    assert errors_of(infos) == {
        "topics": [in_topics],
        "errors.deadletterqueue.topic.name": [dlq_reason]}
    assert infos["error_count"] == 2
    r = rest.post("/connectors", json={"name": "s", "config": base})
    assert_invalid(r, f"topics: {in_topics}",
                   f"errors.deadletterqueue.topic.name: {dlq_reason}")

    regex = dict(base, **{"topics": "", "topics.regex": "d.*",
                          "errors.deadletterqueue.topic.name": "dlq"})
    matched = ("The DLQ topic 'dlq' may not be matched by the regex for the "
               "topics ('topics.regex=d.*') consumed by the connector")
    infos = validate(rest, "FileStreamSink", regex)
    assert errors_of(infos) == {
        "topics.regex": [matched],
        "errors.deadletterqueue.topic.name": [DLQ_REASON]}
    assert infos["error_count"] == 2
    r = rest.put("/connectors/s/config", json=regex)
    assert_invalid(r, f"topics.regex: {matched}",
                   f"errors.deadletterqueue.topic.name: {DLQ_REASON}")
    # Not matched: only the missing feature is refused.
    infos = validate(rest, "FileStreamSink", dict(regex, **{
        "topics.regex": "data-.*"}))
    assert errors_of(infos) == {
        "errors.deadletterqueue.topic.name": [DLQ_REASON]}
    assert rest.get("/connectors").json() == []


def test_duplicate_aliases(tmp_path, worker):
    _, rest = rest_worker(worker)
    source = file_source("s", tmp_path / "in.txt", "t",
                         {"topic.creation.groups": "a, b,a"})
    dup = ("Invalid value [a, b, a] for configuration topic.creation.groups: "
           "Duplicate alias provided.")
    infos = validate(rest, "FileStreamSource", source)
    assert errors_of(infos) == {"topic.creation.groups": [dup]}
    assert infos["error_count"] == 1
    r = rest.post("/connectors", json={"name": "s", "config": source})
    assert_invalid(r, f"topic.creation.groups: {dup}")
    # Kafka drops "default" (it always exists): accepted.
    infos = validate(rest, "FileStreamSource", dict(source, **{
        "topic.creation.groups": "default"}))
    assert infos["error_count"] == 0, errors_of(infos)

    for key in ("transforms", "predicates"):
        config = file_source("s", tmp_path / "in.txt", "t",
                             {key: "x,x", f"{key}.x.type": "Nope"})
        infos = validate(rest, "FileStreamSource", config)
        assert errors_of(infos)[key] == [
            f"Invalid value [x, x] for configuration {key}: Duplicate "
            f"alias provided."], infos


def test_bad_converters(tmp_path, worker):
    _, rest = rest_worker(worker)
    base = file_source("s", tmp_path / "in.txt", "t")
    cases = [
        ("key.converter", "com.example.NoSuchConverter",
         "Invalid value com.example.NoSuchConverter for configuration "
         "key.converter: Class com.example.NoSuchConverter could not be "
         "found."),
        ("value.converter", "FileStreamSink",
         f"Class class {SINK_CLASS} does not implement the Converter "
         f"interface"),
        ("header.converter", SOURCE_CLASS,
         f"Class class {SOURCE_CLASS} does not implement the "
         f"HeaderConverter interface"),
        ("header.converter", "com.example.Nope",
         "Invalid value com.example.Nope for configuration "
         "header.converter: Class com.example.Nope could not be found."),
    ]
    for key, value, message in cases:
        config = dict(base, **{key: value})
        infos = validate(rest, "FileStreamSource", config)
        assert errors_of(infos) == {key: [message]}, (key, infos)
        assert infos["error_count"] == 1
        r = rest.post("/connectors", json={"name": "s", "config": config})
        assert_invalid(r, f"{key}: {message}")
    # A converter that is one is accepted, by full name or alias.
    infos = validate(rest, "FileStreamSource", dict(base, **{
        "key.converter": "org.apache.kafka.connect.storage.StringConverter",
        "value.converter": "JsonConverter",
        "header.converter": "SimpleHeaderConverter"}))
    assert infos["error_count"] == 0, errors_of(infos)


@pytest.mark.parametrize("key,kind,reason", [
    ("transforms", "Transformation",
     "Single Message Transforms are not supported by rdconnect yet"),
    ("predicates", "Predicate",
     "Transformation predicates are not supported by rdconnect yet"),
])
def test_unknown_or_misconfigured_transforms(tmp_path, worker, key, kind,
                                             reason):
    _, rest = rest_worker(worker)
    base = file_source("s", tmp_path / "in.txt", "t", {key: "x"})
    refused = (f"Invalid value x for configuration {key}: {reason}; remove "
               f"the key or leave it empty")
    missing = (f'Missing required configuration "{key}.x.type" which has '
               f'no default value.')
    unknown_class = "org.apache.kafka.connect.transforms.MaskField$Value"
    unknown = (f"Invalid value {unknown_class} for configuration "
               f"{key}.x.type: Class {unknown_class} could not be found.")
    wrong = (f"Class class {SINK_CLASS} does not implement the {kind} "
             f"interface")
    for extra, message in (({}, missing),
                           ({f"{key}.x.type": unknown_class}, unknown),
                           ({f"{key}.x.type": "FileStreamSink"}, wrong)):
        config = dict(base, **extra, **{f"{key}.x.field": "f"})
        infos = validate(rest, "FileStreamSource", config)
        assert errors_of(infos) == {f"{key}.x.type": [message],
                                    key: [refused]}, infos
        assert infos["error_count"] == 2
        r = rest.post("/connectors", json={"name": "s", "config": config})
        assert_invalid(r, f"{key}.x.type: {message}", f"{key}: {refused}")
    # As Kafka's enriched definitions: the alias's .type key is defined,
    # in a group of its own after the framework's.
    infos = validate(rest, "FileStreamSource", base)
    label = "Transforms" if key == "transforms" else "Predicates"
    assert infos["groups"][7] == f"{label}: x", infos["groups"]
    defs = {c["definition"]["name"]: c["definition"]
            for c in infos["configs"] if c["definition"]}
    assert as_rows([defs[f"{key}.x.type"]]) == [
        (f"{key}.x.type", "CLASS", None, "HIGH", f"{label}: x", 0, "LONG",
         f"{kind} type for x")]
    assert defs[f"{key}.x.type"]["required"] is True
    # Keys of an alias that is not listed are refused, not ignored; as
    # in Kafka, a key no definition covers comes first, with a null
    # definition.
    config = file_source("s", tmp_path / "in.txt", "t",
                         {f"{key}.y.type": unknown_class})
    infos = validate(rest, "FileStreamSource", config)
    assert list(errors_of(infos)) == [f"{key}.y.type"], infos
    assert "not supported" in errors_of(infos)[f"{key}.y.type"][0]
    first = infos["configs"][0]
    assert first["definition"] is None, first
    assert first["value"]["name"] == f"{key}.y.type"
    assert first["value"]["value"] == unknown_class


# ------------------------------------------------------ listing (3)


def test_all_plugins_listed_with_kafka_types_and_versions(worker):
    _, rest = rest_worker(worker)
    plugins = rest.get("/connector-plugins?connectorsOnly=false").json()
    order = ["sink", "source", "transformation", "predicate", "converter",
             "header_converter"]
    assert all(p["type"] in order for p in plugins), plugins
    # Kafka's order: by type, then by class name within a type.
    keys = [(order.index(p["type"]), p["class"]) for p in plugins]
    assert keys == sorted(keys), plugins
    assert all(p["version"] for p in plugins)
    by_type = {}
    for p in plugins:
        by_type.setdefault(p["type"], []).append(p["class"])
    assert by_type["sink"] == [SINK_CLASS]
    assert by_type["source"] == sorted([SOURCE_CLASS] + [
        f"org.apache.kafka.connect.mirror.Mirror{kind}Connector"
        for kind in ("Checkpoint", "Heartbeat", "Source")])
    assert "org.apache.kafka.connect.json.JsonConverter" in \
        by_type["converter"]
    assert "org.apache.kafka.connect.storage.SimpleHeaderConverter" in \
        by_type["header_converter"]
    only = rest.get("/connector-plugins").json()
    assert only == [p for p in plugins if p["type"] in ("sink", "source")]


# ------------------------------------------ client override policy (4)


@pytest.mark.parametrize("policy,name", [
    ("None", "None"),
    ("org.apache.kafka.connect.connector.policy."
     "NoneConnectorClientConfigOverridePolicy", "None"),
    ("Principal", "Principal"),
    ("PrincipalConnectorClientConfigOverridePolicy", "Principal"),
])
def test_override_policy_refuses_forbidden_overrides(tmp_path, worker,
                                                     policy, name):
    w, rest = rest_worker(worker, props={
        "connector.client.config.override.policy": policy})
    forbidden = (f"The '{name}' policy does not allow 'linger.ms' to be "
                 f"overridden in the connector configuration.")
    source = file_source("s", tmp_path / "in.txt", "t",
                         {"producer.override.linger.ms": "5",
                          "producer.override.security.protocol":
                          "PLAINTEXT"})
    infos = validate(rest, "FileStreamSource", source)
    expected = {"producer.override.linger.ms": [forbidden]}
    if name == "None":
        expected["producer.override.security.protocol"] = [
            forbidden.replace("linger.ms", "security.protocol")]
    assert errors_of(infos) == expected, infos
    assert infos["error_count"] == len(expected)
    r = rest.post("/connectors", json={"name": "s", "config": source})
    assert_invalid(r, *[f"{k}: {v[0]}" for k, v in expected.items()])

    sink = file_sink("k", tmp_path / "out.txt", "t",
                     {"consumer.override.fetch.min.bytes": "10"})
    message = forbidden.replace("linger.ms", "fetch.min.bytes")
    infos = validate(rest, "FileStreamSink", sink)
    assert errors_of(infos) == {
        "consumer.override.fetch.min.bytes": [message]}
    # Update of an existing connector too.
    good = file_sink("k", tmp_path / "out.txt", "t")
    create(rest, "k", good)
    r = rest.put("/connectors/k/config", json=sink)
    assert_invalid(r, f"consumer.override.fetch.min.bytes: {message}")
    assert rest.get("/connectors/k/config").json() == good
    if name == "Principal":
        allowed = file_sink("p", tmp_path / "p.txt", "t", {
            "consumer.override.security.protocol": "PLAINTEXT",
            "consumer.override.sasl.mechanism": "PLAIN"})
        create(rest, "p", allowed)
    assert w.running()


def test_override_policy_all_and_unknown(tmp_path, worker, mock_cluster):
    for policy in ("All", "org.apache.kafka.connect.connector.policy."
                   "AllConnectorClientConfigOverridePolicy"):
        w, rest = rest_worker(worker, props={
            "connector.client.config.override.policy": policy},
            name=f"w-{len(policy)}")
        infos = validate(rest, "FileStreamSource", file_source(
            "s", tmp_path / "in.txt", "t",
            {"producer.override.linger.ms": "5"}))
        assert infos["error_count"] == 0, errors_of(infos)
        assert w.stop() == 0
    bad = worker(props={"connector.client.config.override.policy": "Some"},
                 name="bad")
    assert bad.proc.wait(timeout=30) != 0
    assert bad.log_lines_matching(
        r"\bERROR\b", r"connector\.client\.config\.override\.policy",
        r"ConnectorClientConfigOverridePolicy"), bad.log_text()


# ------------------------------------- clients that cannot work (5)


def test_unresolvable_bootstrap_override_fails_the_task(tmp_path, worker,
                                                        mock_cluster):
    mock_cluster.create_topic("ok", 1)
    # Without rdconnect's automatic restarts the task stays FAILED.
    w, rest = rest_worker(worker, props={"task.restart.enable": "false"})
    write_lines(tmp_path / "in.txt", ["a", "b"])
    bad = "no-such-host.invalid:9092"
    create(rest, "src", file_source(
        "src", tmp_path / "in.txt", "ok",
        {"producer.override.bootstrap.servers": bad}))
    create(rest, "snk", file_sink(
        "snk", tmp_path / "out.txt", "ok",
        {"consumer.override.bootstrap.servers": bad}))
    for name in ("src", "snk"):
        body = wait_state(rest, name, "RUNNING", ["FAILED"], timeout=60)
        trace = body["tasks"][0]["trace"]
        assert "No resolvable bootstrap urls given in bootstrap.servers" \
            in trace, trace
        assert bad in trace, trace
    assert w.log_lines_matching(r"\bWARN\b", r"Couldn't resolve server",
                                r"no-such-host\.invalid"), w.log_text()
    # The worker's own servers still work for a connector without the
    # override.
    create(rest, "good", file_source("good", tmp_path / "in.txt", "ok"))
    wait_state(rest, "good", "RUNNING", ["RUNNING"])
    assert wait_until(lambda: topic_record_count(mock_cluster.bootstrap,
                                                 "ok") == 2, timeout=30)


def test_consumer_config_librdkafka_refuses_is_a_400(tmp_path, worker):
    """librdkafka checks fetch.max.bytes against message.max.bytes only
    when it builds a consumer: the sink's consumer is built once at
    validation, so this is a 400 naming the key, not a FAILED task."""
    _, rest = rest_worker(worker)
    config = file_sink("snk", tmp_path / "out.txt", "t",
                       {"consumer.override.fetch.max.bytes": "1000"})
    r = rest.post("/connectors", json={"name": "snk", "config": config})
    message = assert_error(r, 400)
    assert "\nconsumer.override.fetch.max.bytes: Invalid consumer " \
           "configuration: " in message, message
    assert "message.max.bytes" in message, message
    assert rest.get("/connectors").json() == []
