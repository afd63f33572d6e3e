"""REST server of connect-standalone against hostile clients: text that is
not strict UTF-8 or holds NUL characters (in bodies and paths), requests
trickled in byte by byte to hold connections, requests libmicrohttpd
answers itself, and a flood of logger names. Every refusal is Kafka's JSON
error body, and the worker keeps serving everyone else."""

import json
import socket
import threading
import time
from urllib.parse import urlsplit

import pytest

from harness import file_source, wait_until
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


def test_invalid_text_in_connector_files_refused(tmp_path, worker):
    """Names and values that come from files (.properties on the command
    line, connector.configs.file) pass the same UTF-8 check as REST
    bodies: the connector is refused with a log line, GET /connectors
    stays valid JSON."""
    bad = tmp_path / "bad.properties"
    bad.write_bytes(b"name=bad\xc0\xafname\nconnector.class=FileStreamSource"
                    b"\nfile=/dev/null\ntopic=t\n")
    value = tmp_path / "value.properties"
    value.write_bytes(b"name=value\nconnector.class=FileStreamSource\n"
                      b"file=/dev/null\ntopic=t\xed\xa0\x80\n")
    configs = tmp_path / "connectors.json"
    configs.write_bytes(b'{"cf\xc0\xaf": {"config": {"connector.class": '
                        b'"FileStreamSource", "file": "/dev/null", '
                        b'"topic": "t"}}}')
    w, rest = rest_worker(worker, [bad, value],
                          {"connector.configs.file": str(configs)})
    rest.wait_healthy()
    assert_no_connectors(rest)
    assert w.wait_for_log(r"name: The value is not valid UTF-8: overlong")
    assert w.wait_for_log(r"topic: The value is not valid UTF-8: .*surrogate")
    assert w.stop() == 0


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
    # Every logger: the 1025 with a level and those that only exist.
    assert set(names) <= set(r.json()) and len(r.json()) <= 1025 + 1024
    assert rest.get("/admin/loggers/flood.0500").json()["level"] == "WARN"
    # Known names still change; the worker still serves.
    r = rest.put("/admin/loggers/flood.0001", json={"level": "ERROR"})
    assert r.status_code == 200 and r.json() == ["flood.0001"]
    assert rest.get("/").status_code == 200


# ------------------------------------------------------------ slowloris

ATTACKERS = 300


class Tricklers:
    """Half-open loopback connections, each holding a request that never
    completes: a request line sent a byte at a time."""

    PREFIX = b"GET /connectors HTTP/1.1\r\nHost: x\r\nX-Slow: "

    def __init__(self, port):
        self.port = port
        self.socks = []

    def open(self, count, sources):
        """Opens count connections, spread over the source addresses;
        returns how many were accepted well enough to take bytes."""
        for i in range(count):
            source = sources[i % len(sources)]
            try:
                s = socket.create_connection(("127.0.0.1", self.port),
                                             timeout=5,
                                             source_address=(source, 0))
            except OSError:
                continue
            self.socks.append(s)
            try:
                s.sendall(self.PREFIX[:8])
            except OSError:
                pass
        return self.trickle()

    def trickle(self):
        """One more byte on every connection still open; returns how many
        took it."""
        alive = []
        for s in self.socks:
            try:
                s.send(b"a")
                alive.append(s)
            except OSError:
                s.close()
        self.socks = alive
        return len(alive)

    def close(self):
        for s in self.socks:
            s.close()
        self.socks = []


@pytest.fixture
def tricklers():
    opened = []

    def make(port):
        t = Tricklers(port)
        opened.append(t)
        return t

    yield make
    for t in opened:
        t.close()


def fresh_get(rest, path, source):
    """GET on a new connection from source (a loopback address); returns
    (status, parsed JSON body). Bounded by the socket timeout."""
    status, _, body = rest.raw(f"GET {path} HTTP/1.1\r\nHost: x\r\n"
                               f"Connection: close\r\n\r\n".encode(),
                               timeout=30, source=source)
    return status, json.loads(body)


def assert_serves(rest, source):
    status, body = fresh_get(rest, "/", source)
    assert status == 200 and set(body) == {"version", "commit",
                                           "kafka_cluster_id"}, body
    assert fresh_get(rest, "/connectors", source) == (200, [])


def test_slowloris_from_one_host(worker, tricklers):
    """300 trickling connections from one address: others are served."""
    _, rest = rest_worker(worker)
    rest.wait_healthy()
    attack = tricklers(urlsplit(rest.url).port)
    attack.open(ATTACKERS, ["127.0.0.1"])
    for _ in range(3):
        attack.trickle()
        assert_serves(rest, "127.0.0.2")
        time.sleep(0.5)


def test_slowloris_from_many_hosts(worker, tricklers):
    """300 trickling connections from five addresses, each under the
    per-address limit: all are held, and a sixth address is served."""
    _, rest = rest_worker(worker)
    rest.wait_healthy()
    attack = tricklers(urlsplit(rest.url).port)
    sources = [f"127.0.0.{i}" for i in range(10, 15)]
    held = attack.open(ATTACKERS, sources)
    assert held == ATTACKERS
    for _ in range(3):
        assert attack.trickle() == ATTACKERS
        assert_serves(rest, "127.0.0.1")
        time.sleep(0.5)


def test_clients_at_the_per_address_limit_are_served(worker):
    """As many clients as rest.connections.max.per.ip, each opening a new
    connection as soon as it has read its last answer: none is refused
    (a connection whose answer is complete no longer counts, though the
    server closes it a little later)."""
    _, rest = rest_worker(worker,
                          props={"rest.connections.max.per.ip": "8"})
    rest.wait_healthy()
    failures = []

    def client():
        for _ in range(100):
            try:
                got = fresh_get(rest, "/connectors", "127.0.0.1")
            except (OSError, IndexError, ValueError) as e:
                got = repr(e)
            if got != (200, []):
                failures.append(got)

    threads = [threading.Thread(target=client) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not [t for t in threads if t.is_alive()]
    assert failures == []


def test_connection_limit_per_listener(worker, tricklers):
    """rest.connections.max (counted by rdconnect, not libmicrohttpd):
    trickling connections beyond it are closed, and once they are gone
    the listener serves again."""
    _, rest = rest_worker(worker, props={"rest.connections.max": "20",
                                         "rest.connections.max.per.ip": "0"})
    rest.wait_healthy()
    attack = tricklers(urlsplit(rest.url).port)
    attack.open(30, ["127.0.0.1"])
    time.sleep(0.5)  # the refused ones are closed (reset) by now
    attack.trickle()
    held = attack.trickle()
    assert held == 20, held
    assert not _served(rest)
    attack.close()
    assert wait_until(lambda: _served(rest), timeout=10)


def _served(rest):
    try:
        return fresh_get(rest, "/", "127.0.0.1")[0] == 200
    except (OSError, IndexError, ValueError):
        return False


def test_request_deadline(worker, tricklers):
    """A request that does not arrive within rest.request.timeout.ms is
    cut (with a JSON 408 when the client still reads), however steadily
    its bytes trickle in."""
    _, rest = rest_worker(worker, props={"rest.request.timeout.ms": "1000"})
    port = urlsplit(rest.url).port
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.sendall(Tricklers.PREFIX)

        def cut():
            try:
                s.send(b"a")
            except OSError:
                return (b"",)
            s.settimeout(0.3)
            try:
                return (s.recv(65536),)
            except socket.timeout:
                return None
            except OSError:
                return (b"",)
        got = wait_until(cut, timeout=30, interval=0.2)
        assert got, "the trickled request was never cut"
        answer = got[0]
        if answer:
            head, _, body = answer.partition(b"\r\n\r\n")
            assert head.split()[1] == b"408", answer
            assert json.loads(body)["error_code"] == 408
    # A normal client is unaffected.
    assert_serves(rest, "127.0.0.1")


# ----------------------------------------- errors libmicrohttpd answers

H = b"Host: x\r\nConnection: close\r\n"
MALFORMED = [
    # (request, status, words of the message)
    (b"GET / XTTP/1.1\r\n" + H + b"\r\n", 400, "syntactically"),
    (b"GET / HTTP/1\r\n" + H + b"\r\n", 400, "syntactically"),
    (b"GET / HTTP/2.0\r\n" + H + b"\r\n", 505, "version"),
    (b"GET / HTTP/0.9\r\n" + H + b"\r\n", 505, "version"),
    (b"POST /connectors HTTP/1.1\r\n" + H + b"Content-Length: abc\r\n\r\n",
     400, "Content-Length"),
    (b"POST /connectors HTTP/1.1\r\n" + H +
     b"Content-Length: 99999999999999999999999\r\n\r\n", 413,
     "Content-Length"),
    (b"POST /connectors HTTP/1.1\r\n" + H +
     b"Transfer-Encoding: chunked\r\nContent-Type: application/json\r\n"
     b"\r\nzz\r\n{}\r\n0\r\n\r\n", 400, "chunked"),
    (b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\n" + H + b"\r\n", 414, "big"),
    (b"GET / HTTP/1.1\r\n" + H + b"X-Big: " + b"a" * 70000 + b"\r\n\r\n",
     431, "big"),
]


@pytest.mark.parametrize("request_bytes,status,words", MALFORMED,
                         ids=[f"{s}-{w}-{i}" for i, (_, s, w)
                              in enumerate(MALFORMED)])
def test_malformed_requests_get_json_errors(worker, request_bytes, status,
                                            words):
    """Requests libmicrohttpd refuses before rdconnect sees them still get
    Kafka's JSON error body."""
    _, rest = rest_worker(worker)
    got, headers, body = rest.raw(request_bytes)
    assert got == status, body[:300]
    assert headers.get("content-type") == "application/json", headers
    answer = json.loads(body)
    assert set(answer) == {"error_code", "message"}, answer
    assert answer["error_code"] == status
    assert words.lower() in answer["message"].lower(), answer
    assert "<" not in answer["message"], answer
    # The worker still serves.
    assert rest.get("/").status_code == 200


def test_request_line_without_target_is_closed(worker):
    """The one malformed request libmicrohttpd 0.9.75 closes without any
    answer (README: a request line with no space): nothing to make JSON,
    and the worker keeps serving."""
    _, rest = rest_worker(worker)
    port = urlsplit(rest.url).port
    for line in (b"GARBAGE\r\n\r\n", b"GET\r\n\r\n"):
        with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
            s.sendall(line)
            s.shutdown(socket.SHUT_WR)
            try:
                answer = s.recv(65536)
            except ConnectionResetError:
                answer = b""
        assert answer == b"", answer
    assert_serves(rest, "127.0.0.1")
