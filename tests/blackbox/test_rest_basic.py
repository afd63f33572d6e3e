"""REST server of connect-standalone: the endpoints answered without the
herder (/, /connector-plugins, validation, /admin/loggers), routing and
error bodies, hostile and oversized requests, many clients at once."""

import threading
import time

from confluent_kafka.admin import AdminClient

from harness import wait_until
from rest_helpers import assert_error, dumps, rest_worker

FILE_SOURCE = "org.apache.kafka.connect.file.FileStreamSourceConnector"
FILE_SINK = "org.apache.kafka.connect.file.FileStreamSinkConnector"
STRING_CONVERTER = "org.apache.kafka.connect.storage.StringConverter"
KEY_INFO_FIELDS = {"name", "type", "required", "default_value", "importance",
                   "documentation", "group", "order", "width",
                   "display_name", "dependents"}


def test_root_and_health(worker, mock_cluster):
    _, rest = rest_worker(worker)
    r = rest.get("/")
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "application/json"
    body = r.json()
    assert set(body) == {"version", "commit", "kafka_cluster_id"}
    assert isinstance(body["version"], str) and body["version"]
    assert isinstance(body["commit"], str) and body["commit"]
    # From the first answer on, as Kafka (looked up at start).
    cluster_id = AdminClient({"bootstrap.servers": mock_cluster.bootstrap}
                             ).list_topics(timeout=10).cluster_id
    assert cluster_id and body["kafka_cluster_id"] == cluster_id

    rest.wait_healthy()
    body = rest.get("/health").json()
    assert body["status"] == "healthy"
    assert isinstance(body["message"], str)


def test_routing_errors(worker):
    _, rest = rest_worker(worker)
    for path in ("/nope", "/connectors/a/b/c/d/e", "/connector-plugins/x",
                 "/admin", "/admin/loggers/a/b"):
        assert_error(rest.get(path), 404, "HTTP 404 Not Found")
    for method, path in (("DELETE", "/connector-plugins"), ("POST", "/"),
                         ("POST", "/connectors/x/config"),
                         ("GET", "/connectors/x/pause"),
                         ("PUT", "/connectors")):
        assert_error(rest.request(method, path), 405,
                     "HTTP 405 Method Not Allowed")
    # A trailing slash names the same resource.
    rest.wait_healthy()
    r = rest.get("/connectors/")
    assert r.status_code == 200 and r.json() == []
    assert rest.get("/connector-plugins/").status_code == 200
    # Malformed escapes in the path (sent raw: requests would fix them).
    status, headers, _ = rest.raw(b"GET /connectors/a%zz HTTP/1.1\r\n"
                                  b"Host: x\r\nConnection: close\r\n\r\n")
    assert status == 400 and headers["content-type"] == "application/json"
    assert_error(rest.get("/connectors/a%00b/status"), 400)


def test_connector_plugins(worker):
    _, rest = rest_worker(worker)
    for query in ("", "?connectorsOnly=true"):
        r = rest.get("/connector-plugins" + query)
        assert r.status_code == 200
        plugins = r.json()
        assert all(set(p) == {"class", "type", "version"} for p in plugins)
        assert {p["type"] for p in plugins} <= {"source", "sink"}
        classes = {p["class"]: p["type"] for p in plugins}
        assert classes[FILE_SOURCE] == "source"
        assert classes[FILE_SINK] == "sink"
        # Kafka lists sinks before sources.
        types = [p["type"] for p in plugins]
        assert types == sorted(types, key=lambda t: t != "sink")

    everything = rest.get("/connector-plugins?connectorsOnly=false").json()
    rows = [(p["class"], p["type"]) for p in everything]
    assert (STRING_CONVERTER, "converter") in rows
    assert (FILE_SOURCE, "source") in rows
    assert len(everything) > len(plugins)
    # As Kafka: StringConverter is a header converter too, listed twice;
    # SimpleHeaderConverter only as one; header converters come last.
    assert (STRING_CONVERTER, "header_converter") in rows
    assert ("org.apache.kafka.connect.storage.SimpleHeaderConverter",
            "header_converter") in rows
    assert ("org.apache.kafka.connect.storage.SimpleHeaderConverter",
            "converter") not in rows
    order = ["sink", "source", "transformation", "predicate", "converter",
             "header_converter"]
    types = [order.index(t) for _, t in rows]
    assert types == sorted(types)


def test_connector_plugin_config(worker):
    _, rest = rest_worker(worker)
    answers = [rest.get(f"/connector-plugins/{name}/config")
               for name in ("FileStreamSource", "FileStreamSourceConnector",
                            FILE_SOURCE)]
    assert all(r.status_code == 200 for r in answers)
    assert answers[0].json() == answers[1].json() == answers[2].json()
    keys = answers[0].json()
    for key in keys:
        assert set(key) == KEY_INFO_FIELDS, key
        assert isinstance(key["required"], bool)
        assert isinstance(key["order"], int)
        assert key["dependents"] == []
        assert key["type"] in ("STRING", "INT", "LONG", "DOUBLE", "BOOLEAN",
                               "LIST", "CLASS", "PASSWORD")
        assert key["importance"] in ("HIGH", "MEDIUM", "LOW")
    by_name = {k["name"]: k for k in keys}
    assert keys[0]["name"] == "file"  # the plugin's own keys first
    assert by_name["topic"]["required"] is True
    assert by_name["topic"]["default_value"] is None
    assert by_name["batch.size"]["type"] == "INT"
    assert by_name["batch.size"]["default_value"] == "2000"
    assert "tasks.max" in by_name and "topics" not in by_name

    sink = {k["name"] for k in
            rest.get("/connector-plugins/FileStreamSink/config").json()}
    assert "topics" in sink and "topic.creation.default.partitions" \
        not in sink

    r = rest.get("/connector-plugins/StringConverter/config")
    assert r.status_code == 200
    assert "tasks.max" not in {k["name"] for k in r.json()}

    message = assert_error(
        rest.get("/connector-plugins/NoSuchThing/config"), 404)
    assert "NoSuchThing" in message


def _configs(infos):
    return {c["value"]["name"]: c for c in infos["configs"]}


def test_validate(worker):
    _, rest = rest_worker(worker)
    path = "/connector-plugins/FileStreamSource/config/validate"
    good = {"name": "v", "connector.class": FILE_SOURCE, "topic": "t",
            "tasks.max": 1, "file": "/tmp/x"}
    r = rest.put(path, json=good)
    assert r.status_code == 200, r.text
    infos = r.json()
    assert set(infos) == {"name", "error_count", "groups", "configs"}
    assert infos["name"] == FILE_SOURCE
    assert infos["error_count"] == 0
    assert infos["groups"][0] == "Common"
    assert all(isinstance(g, str) for g in infos["groups"])
    for entry in infos["configs"]:
        assert set(entry) == {"definition", "value"}
        assert set(entry["definition"]) == KEY_INFO_FIELDS
        assert set(entry["value"]) == {"name", "value", "recommended_values",
                                       "errors", "visible"}
        assert entry["value"]["errors"] == []
        assert entry["value"]["visible"] is True
    configs = _configs(infos)
    assert configs["topic"]["value"]["value"] == "t"
    assert configs["tasks.max"]["value"]["value"] == "1"
    assert configs["batch.size"]["value"]["value"] == "2000"  # the default
    assert infos["configs"][0]["definition"]["name"] == "name"

    bad = rest.put(path, json={"tasks.max": "zero", "batch.size": "0"})
    assert bad.status_code == 200, bad.text
    infos = bad.json()
    configs = _configs(infos)
    for key in ("name", "topic", "tasks.max", "batch.size"):
        assert configs[key]["value"]["errors"], key
    assert infos["error_count"] == sum(
        len(c["value"]["errors"]) for c in infos["configs"])
    assert infos["error_count"] >= 4
    # connector.class was filled in from the path.
    assert configs["connector.class"]["value"]["value"] == \
        "FileStreamSource"
    assert configs["connector.class"]["value"]["errors"] == []

    assert_error(rest.put(path, json={"connector.class": "FileStreamSink"}),
                 400, "Included connector type FileStreamSink does not "
                 "match request type FileStreamSource")
    assert_error(rest.put("/connector-plugins/Nope/config/validate",
                          json={}), 404)
    assert_error(rest.put(path, json={"name": {"x": 1}}), 400)
    assert_error(rest.put(path, json=["name"]), 400)
    assert_error(rest.put(path, data=b"{\"name\": "), 400)


def test_loggers(worker):
    """Kafka's LoggingResource, byte for byte: the listing, a logger by
    name (404 when it does not exist), PUT of a subtree with its answer,
    last_modified, the level and scope errors."""
    w, rest = rest_worker(worker)
    r = rest.get("/admin/loggers")
    assert r.status_code == 200
    loggers = r.json()
    assert loggers["root"] == {"level": "INFO", "last_modified": None}
    assert all(set(v) == {"level", "last_modified"} for v in loggers.values())
    assert list(loggers) == sorted(loggers)

    # Unknown: nothing created it, nothing logs under it.
    assert_error(rest.get("/admin/loggers/rdc.test"), 404,
                 "Logger rdc.test not found.")
    # A subsystem that has written a line exists without a level of its
    # own: its effective level, never modified.
    assert rest.get("/admin/loggers/rest").json() == \
        {"level": "INFO", "last_modified": None}

    before = int(time.time() * 1000)
    r = rest.put("/admin/loggers/rdc.test", json={"level": "DEBUG"})
    after = int(time.time() * 1000)
    assert r.status_code == 200 and r.json() == ["rdc.test"]
    got = rest.get("/admin/loggers/rdc.test").json()
    assert got["level"] == "DEBUG"
    assert before <= got["last_modified"] <= after
    assert rest.get("/admin/loggers").json()["rdc.test"] == got
    # A child without its own level reads its parent's; it does not exist
    # as a logger until something sets it.
    assert_error(rest.get("/admin/loggers/rdc.test.child"), 404,
                 "Logger rdc.test.child not found.")
    rest.put("/admin/loggers/rdc.test.child", json={"level": "trace"})
    r = rest.put("/admin/loggers/rdc.test", json={"level": "warn"})
    assert r.json() == ["rdc.test", "rdc.test.child"]
    assert rest.get("/admin/loggers/rdc.test.child").json()["level"] == \
        "WARN"
    # The level a logger has already: it exists, with no level of its own
    # (not listed) and no modification time, as in Kafka.
    r = rest.put("/admin/loggers/rdc.same", json={"level": "INFO"})
    assert r.status_code == 200 and r.json() == ["rdc.same"]
    assert rest.get("/admin/loggers/rdc.same").json() == \
        {"level": "INFO", "last_modified": None}
    assert "rdc.same" not in rest.get("/admin/loggers").json()

    # Kafka answers an unknown level with 404 (NotFoundException).
    assert_error(rest.put("/admin/loggers/rdc.test",
                          json={"level": "LOUD"}),
                 404, "invalid log level 'LOUD'.")
    assert_error(rest.put("/admin/loggers/rdc.test", json={}), 400,
                 "Desired 'level' parameter was not specified in request.")

    # scope=cluster: 204 without a body (standalone: this worker is the
    # cluster); an unknown scope is the worker scope, with a warning.
    r = rest.put("/admin/loggers/rdc.test?scope=cluster",
                 json={"level": "ERROR"})
    assert r.status_code == 204 and r.content == b""
    assert rest.get("/admin/loggers/rdc.test").json()["level"] == "ERROR"
    r = rest.put("/admin/loggers/rdc.test?scope=galaxy",
                 json={"level": "INFO"})
    assert r.status_code == 200 and r.json() == ["rdc.test", "rdc.test.child"]
    w.wait_for_log(r"invalid scope 'galaxy'")

    # Effect: the REST access log ("rest" logger, INFO) goes quiet at WARN.
    rest.put("/admin/loggers/rest", json={"level": "WARN"})
    rest.get("/quiet-marker-path")
    rest.put("/admin/loggers/rest", json={"level": "INFO"})
    rest.get("/loud-marker-path")
    w.wait_for_log(r"loud-marker-path")
    assert "quiet-marker-path" not in w.log_text()


def test_hostile_bodies(worker):
    _, rest = rest_worker(worker)
    path = "/admin/loggers/x"
    for body in (b"", b"{", b"{\"level\":}", b"{\"level\":\"INFO\"} x",
                 b"{'level':'INFO'}", b"{\"level\":\"\xff\xfe\"}",
                 b"{\"level\":\"I\x00NFO\"}", b"[" * 5000 + b"]" * 5000,
                 b"{\"a\":" * 100 + b"1" + b"}" * 100, b"\x00" * 64):
        r = rest.put(path, data=body,
                     headers={"Content-Type": "application/json"})
        assert_error(r, 400)
    message = assert_error(rest.put(path, data=b"{\"level\": tru}"), 400)
    assert "Malformed JSON" in message
    assert_error(rest.put(path, data=b"{\"level\":1e99999999999999999}"),
                 400)
    assert_error(rest.post("/connectors", data=b"[1, 2]"), 400)
    # Still serving.
    assert rest.get("/").status_code == 200


def test_request_too_large(worker):
    _, rest = rest_worker(worker, props={"rest.max.request.bytes": "1024"})
    big = dumps({"level": "INFO", "pad": "x" * 2000})
    message = assert_error(rest.put("/admin/loggers/x", data=big), 413)
    assert "rest.max.request.bytes" in message

    # Chunked: refused once the limit is reached.
    status, headers, body = rest.raw(
        b"PUT /admin/loggers/x HTTP/1.1\r\nHost: x\r\n"
        b"Connection: close\r\nTransfer-Encoding: chunked\r\n\r\n" +
        b"".join(b"100\r\n" + b" " * 256 + b"\r\n" for _ in range(8)) +
        b"0\r\n\r\n")
    assert status == 413
    assert headers["content-type"] == "application/json"

    # A body at the limit is read.
    small = dumps({"level": "INFO"})
    r = rest.put("/admin/loggers/x", data=small + b" " * (1024 - len(small)))
    assert r.status_code == 200


def test_many_clients(worker):
    _, rest = rest_worker(worker)
    rest.wait_healthy()
    failures = []

    def client():
        for path in ("/connector-plugins", "/connectors", "/",
                     "/admin/loggers"):
            try:
                r = rest.get(path, timeout=30)
                if r.status_code != 200:
                    failures.append((path, r.status_code))
            except Exception as e:  # noqa: BLE001 - report any failure
                failures.append((path, repr(e)))

    threads = [threading.Thread(target=client) for _ in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads)
    assert failures == []


def test_listener_errors(worker):
    for props, words in (({"listeners": "https://127.0.0.1:0"},
                          ("listeners", "https")),
                         ({"listeners": "http://127.0.0.1"},
                          ("listeners",)),
                         ({"rest.advertised.listener": "https"},
                          ("rest.advertised.listener",))):
        merged = {"listeners": "http://127.0.0.1:0"}
        merged.update(props)
        w = worker(props=merged, name=f"bad{len(words)}{props}"[:12])
        assert wait_until(lambda: not w.running(), timeout=30), \
            f"worker kept running with {props}"
        assert w.proc.returncode != 0
        log = w.log_text()
        for word in words:
            assert word in log, f"{word} not in log:\n{log}"
