"""Helpers for the REST black-box tests (test_rest_*.py).

A worker started through rest_worker() listens on 127.0.0.1 port 0 (the
kernel picks a free port: no race with other tests); its URL is read from
the "Advertised URI" line the REST server logs once it is serving.
"""

import json
import socket
import time
from urllib.parse import urlsplit

import requests

from harness import consume_all, wait_until

LISTENING_RE = r"REST server listening on (http://\S+?)/?\s"
TIMEOUT = 30


class Rest:
    """A small client bound to one worker's REST URL."""

    def __init__(self, url):
        self.url = url.rstrip("/")

    def request(self, method, path, **kwargs):
        kwargs.setdefault("timeout", TIMEOUT)
        return requests.request(method, self.url + path, **kwargs)

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path, **kwargs):
        return self.request("POST", path, **kwargs)

    def put(self, path, **kwargs):
        return self.request("PUT", path, **kwargs)

    def patch(self, path, **kwargs):
        return self.request("PATCH", path, **kwargs)

    def delete(self, path, **kwargs):
        return self.request("DELETE", path, **kwargs)

    def raw(self, data, timeout=TIMEOUT, source=None):
        """Sends raw bytes on a new connection (from address source, if
        given); returns (status, headers, body bytes) of the answer, read
        until the server closes."""
        parts = urlsplit(self.url)
        with socket.create_connection(
                (parts.hostname, parts.port), timeout=timeout,
                source_address=(source, 0) if source else None) as s:
            try:
                s.sendall(data)
                s.shutdown(socket.SHUT_WR)
            except OSError:
                pass  # the server may answer early and close
            chunks = []
            while True:
                try:
                    chunk = s.recv(65536)
                except ConnectionResetError:
                    break
                if not chunk:
                    break
                chunks.append(chunk)
        answer = b"".join(chunks)
        head, _, body = answer.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {}
        for line in lines[1:]:
            key, _, value = line.partition(":")
            headers[key.strip().lower()] = value.strip()
        return status, headers, body

    def wait_healthy(self, timeout=TIMEOUT):
        """Waits until GET /health answers 200 (the herder runs)."""
        def healthy():
            try:
                return self.get("/health", timeout=5).status_code == 200
            except requests.ConnectionError:
                return False
        assert wait_until(healthy, timeout=timeout), "worker never healthy"


def rest_worker(worker, connectors=(), props=None, name="worker"):
    """Starts a worker from conftest's factory on a kernel-picked port and
    returns (worker, Rest) once its REST server is serving."""
    merged = {"listeners": "http://127.0.0.1:0"}
    merged.update(props or {})
    w = worker(connectors, merged, name=name)
    match = w.wait_for_log(LISTENING_RE, timeout=TIMEOUT)
    return w, Rest(match.group(1))


def assert_error(response, status, message=None):
    """Kafka's error body: exactly error_code and message."""
    assert response.status_code == status, \
        f"{response.status_code} != {status}: {response.text}"
    assert response.headers["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"error_code", "message"}, body
    assert body["error_code"] == status
    assert isinstance(body["message"], str)
    if message is not None:
        assert body["message"] == message, body["message"]
    return body["message"]


def dumps(obj):
    return json.dumps(obj).encode("utf-8")


# ------------------------------------------------- connector lifecycle
# Shared by test_rest_lifecycle.py, test_rest_offsets.py, test_rest_restart.py,
# test_rest_persistence.py and test_rest_concurrency.py.

STATES = {"UNASSIGNED", "RUNNING", "PAUSED", "FAILED", "RESTARTING",
          "STOPPED"}


def create(rest, name, config, initial_state=None):
    """POST /connectors; fails unless 201. Returns the ConnectorInfo."""
    body = {"name": name, "config": dict(config)}
    if initial_state is not None:
        body["initial_state"] = initial_state
    r = rest.post("/connectors", json=body)
    assert r.status_code == 201, \
        f"creating {name}: {r.status_code} {r.text}"
    return r.json()


def status(rest, name):
    """GET /connectors/{name}/status as JSON, or None if not 200."""
    r = rest.get(f"/connectors/{name}/status")
    return r.json() if r.status_code == 200 else None


def states(rest, name):
    """(connector state, [task states]) or None."""
    body = status(rest, name)
    if body is None:
        return None
    return body["connector"]["state"], [t["state"] for t in body["tasks"]]


def wait_state(rest, name, connector, tasks=None, timeout=30):
    """Waits until the connector's state is connector and, if tasks is
    given, its task states are exactly tasks. Returns the status body."""
    def pick(body):
        if body["connector"]["state"] != connector:
            return None
        if tasks is not None and \
                [t["state"] for t in body["tasks"]] != list(tasks):
            return None
        return body
    return wait_status(rest, name, pick, f"reached {connector}/{tasks}",
                       timeout)


def wait_status(rest, name, pick, what, timeout, who=None):
    """Polls GET /connectors/{name}/status until pick(body) returns
    something, and returns that; fails naming who and what otherwise."""
    def reached():
        body = status(rest, name)
        return None if body is None else pick(body)
    got = wait_until(reached, timeout=timeout)
    assert got, (f"{who or name} never {what} within {timeout}s; "
                 f"status now: {status(rest, name)}")
    return got


def wait_task(rest, name, task, predicate, what, timeout=30):
    """Waits until predicate(task status JSON) is true for task id task of
    connector name (from GET .../status). Returns that task's JSON."""
    def pick(body):
        return next((t for t in body["tasks"]
                     if t["id"] == task and predicate(t)), None)
    return wait_status(rest, name, pick, what, timeout, f"task {name}-{task}")


def stays(predicate, seconds=3.0, interval=0.25):
    """Checks predicate repeatedly for seconds (a bounded wait, not a timing
    assertion): returns None if it held every time, else the first value
    that broke it (for the assertion message) wrapped in a 1-tuple."""
    deadline = time.monotonic() + seconds
    while True:
        value = predicate()
        if not value:
            return (value,)
        if time.monotonic() >= deadline:
            return None
        time.sleep(interval)


def worker_id_of(rest):
    """host:port of the worker's URL (its advertised id by default)."""
    return urlsplit(rest.url).netloc


def assert_state_shape(obj, worker_id, task_id=None):
    """A connector or task state object: exact keys and types."""
    keys = {"state", "worker_id"} | ({"id"} if task_id is not None else set())
    assert set(obj) in (keys, keys | {"trace"}), obj
    assert isinstance(obj["state"], str) and obj["state"] in STATES, obj
    assert isinstance(obj["worker_id"], str), obj
    assert obj["worker_id"] == worker_id, (obj, worker_id)
    if task_id is not None:
        assert isinstance(obj["id"], int) and not isinstance(obj["id"], bool)
        assert obj["id"] == task_id, obj
    if "trace" in obj:
        assert isinstance(obj["trace"], str) and obj["trace"], obj


def assert_status_shape(body, name, ctype, worker_id):
    """GET /connectors/{c}/status: exact keys and types."""
    assert set(body) == {"name", "connector", "tasks", "type"}, body
    assert body["name"] == name and body["type"] == ctype, body
    assert_state_shape(body["connector"], worker_id)
    assert isinstance(body["tasks"], list), body
    for i, task in enumerate(body["tasks"]):
        assert_state_shape(task, worker_id, task_id=i)


def restart_worker(w):
    """Restarts a stopped rest_worker() worker; returns its new Rest (the
    port is picked anew)."""
    w.restart()
    match = w.wait_for_log(LISTENING_RE, timeout=TIMEOUT)
    rest = Rest(match.group(1))
    rest.wait_healthy()
    return rest


def values(bootstrap, topic):
    """The values now in topic, as text, in order."""
    return [v.decode("utf-8") for _, v, _ in consume_all(bootstrap, topic)]


def wait_values(bootstrap, topic, expected, timeout=60):
    """Waits until the topic holds exactly expected (in order)."""
    got = wait_until(lambda: values(bootstrap, topic) == expected or None,
                     timeout=timeout)
    assert got, (f"{topic} should hold {len(expected)} records "
                 f"{expected[:3]}...; holds {len(values(bootstrap, topic))}: "
                 f"{values(bootstrap, topic)[:5]}...")
