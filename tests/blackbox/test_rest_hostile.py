"""REST server of connect-standalone against hostile clients: text that is
not strict UTF-8 or holds NUL characters (in bodies and paths), requests
trickled in byte by byte to hold connections, requests libmicrohttpd
answers itself, and a flood of logger names. Every refusal is Kafka's JSON
error body, and the worker keeps serving everyone else."""

import json
import socket

from harness import file_source
from rest_helpers import assert_error, create, restart_worker, rest_worker

# JSON texts of a "name" value (bytes: some are not UTF-8 at all) and what
# the error message must name.
BAD_NAMES = [
    (b'"\xc0\xaf"', "overlong"),
    (b'"ok\xe0\x80\xafok"', "overlong"),
    (b'"\xed\xa0\x80"', "surrogate"),
    (b'"\xf4\x90\x80\x80"', "U+10FFFF"),
    (b'"\\ud800"', "surrogate"),
    (b'"x\\udfffx"', "surrogate"),
    (b'"\\ud800\\u0041"', "surrogate"),
    (b'"a\\u0000b"', "NUL"),
]


def post_raw(rest, body):
    return rest.post("/connectors", data=body,
                     headers={"Content-Type": "application/json"})


def strict_json(response):
    """The body decoded as strict UTF-8 and parsed: fails on bytes a JSON
    client could not read."""
    return json.loads(response.content.decode("utf-8", errors="strict"))


def assert_no_connectors(rest):
    r = rest.get("/connectors")
    assert r.status_code == 200
    assert strict_json(r) == []


def test_invalid_text_in_names_refused(tmp_path, worker):
    configs = tmp_path / "connectors.json"
    w, rest = rest_worker(worker,
                          props={"connector.configs.file": str(configs)})
    rest.wait_healthy()
    config = json.dumps(file_source("x", tmp_path / "in.txt", "t")).encode()
    for name, needle in BAD_NAMES:
        r = post_raw(rest, b'{"name": ' + name + b', "config": ' +
                     config.replace(b'"name": "x", ', b"") + b"}")
        message = assert_error(r, 400)
        assert needle in message, (name, message)
        strict_json(r)
    # Nothing was created, not even "a" for "a\u0000b".
    assert_no_connectors(rest)
    assert_error(rest.get("/connectors/a"), 404)
    # ... nor written down: after a restart there is still none.
    assert w.stop() == 0
    rest = restart_worker(w)
    assert_no_connectors(rest)

    # Config keys and values are held to the same rule.
    for bad in (b'{"k\\u0000ey": "v"}', b'{"k": "v\\u0000"}',
                b'{"k\\udc00": "v"}', b'{"k": "\xed\xbf\xbf"}'):
        r = post_raw(rest, b'{"name": "y", "config": ' + bad + b"}")
        assert_error(r, 400)
    assert_no_connectors(rest)


def test_paths_checked_like_bodies(tmp_path, worker):
    _, rest = rest_worker(worker)
    rest.wait_healthy()
    for path in ("/connectors/%C0%AF/config", "/connectors/%ED%A0%80/config",
                 "/connectors/%F4%90%80%80/config", "/connectors/a%00b/config"):
        r = rest.put(path, json=file_source("n", tmp_path / "in.txt", "t"))
        assert "URL path" in assert_error(r, 400), path
    assert_no_connectors(rest)
    # A raw NUL in the request line does not answer for the prefix.
    create(rest, "a", file_source("a", tmp_path / "in.txt", "t"))
    status, headers, body = rest.raw(b"GET /connectors/a\x00b HTTP/1.1\r\n"
                                     b"Host: x\r\nConnection: close\r\n\r\n")
    assert status == 400, body
    assert headers["content-type"] == "application/json"
    assert json.loads(body)["error_code"] == 400
    assert "NUL" in json.loads(body)["message"]


def test_non_ascii_name_round_trip(tmp_path, worker):
    """Any name that is accepted can be listed, read and deleted again."""
    _, rest = rest_worker(worker)
    rest.wait_healthy()
    for name in ("caf\u00e9", "\U0001F600 smile", "a/b", "\ufffd"):
        create(rest, name, file_source(name, tmp_path / "in.txt", "t"))
        r = rest.get("/connectors")
        assert strict_json(r) == [name]
        quoted = "".join(c if c.isalnum() and c.isascii() else
                         "".join(f"%{b:02X}" for b in c.encode())
                         for c in name)
        r = rest.get(f"/connectors/{quoted}")
        assert r.status_code == 200 and strict_json(r)["name"] == name
        assert rest.delete(f"/connectors/{quoted}").status_code == 204
        assert_no_connectors(rest)
    # The pair escape of an emoji is the same name as its UTF-8.
    r = post_raw(rest, b'{"name": "\\ud83d\\ude00", "config": ' +
                 json.dumps(file_source("e", tmp_path / "in.txt", "t"))
                 .replace('"name": "e", ', "").encode() + b"}")
    assert r.status_code == 201, r.text
    assert strict_json(rest.get("/connectors")) == ["\U0001F600"]
    assert rest.delete("/connectors/%F0%9F%98%80").status_code == 204


def test_logger_flood_is_bounded(worker):
    """Distinct logger names are capped (1024); beyond it a JSON 409, and
    root, which lists and sets every logger, still answers."""
    _, rest = rest_worker(worker)
    assert_error(rest.put("/admin/loggers/" + "n" * 256,
                          json={"level": "DEBUG"}), 400,
                 "Logger name is longer than 255 bytes")
    before = len(rest.get("/admin/loggers").json()) - 1  # root
    accepted = 0
    for i in range(1100):
        r = rest.put(f"/admin/loggers/flood.{i:04d}", json={"level": "DEBUG"})
        if r.status_code != 200:
            break
        assert r.json() == [f"flood.{i:04d}"]
        accepted += 1
    message = assert_error(r, 409)
    assert "1024" in message and f"flood.{accepted:04d}" in message
    assert accepted == 1024 - before
    names = rest.get("/admin/loggers").json()
    assert len(names) == 1025 and "root" in names

    r = rest.put("/admin/loggers/root", json={"level": "WARN"})
    assert r.status_code == 200
    assert len(r.json()) == 1025 and "flood.0000" in r.json()
    assert rest.get("/admin/loggers/flood.0500").json() == {"level": "WARN"}
    # Known names still change; the worker still serves.
    r = rest.put("/admin/loggers/flood.0001", json={"level": "ERROR"})
    assert r.status_code == 200 and r.json() == ["flood.0001"]
    assert rest.get("/").status_code == 200
