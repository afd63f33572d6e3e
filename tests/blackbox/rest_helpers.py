"""Helpers for the REST black-box tests (test_rest_*.py).

A worker started through rest_worker() listens on 127.0.0.1 port 0 (the
kernel picks a free port: no race with other tests); its URL is read from
the "Advertised URI" line the REST server logs once it is serving.
"""

import json
import socket
from urllib.parse import urlsplit

import requests

from harness import wait_until

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

    def raw(self, data, timeout=TIMEOUT):
        """Sends raw bytes on a new connection; returns (status, headers,
        body bytes) of the answer, read until the server closes."""
        parts = urlsplit(self.url)
        with socket.create_connection((parts.hostname, parts.port),
                                      timeout=timeout) as s:
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
