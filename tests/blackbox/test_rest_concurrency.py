"""50 concurrent REST clients creating, updating, pausing, stopping and
deleting connectors: every answer is one the contract allows, and the
worker ends in the state the last successful operations imply, with
GET /connectors, each connector's config, info and status agreeing."""

import random
import threading
import traceback

import requests

from harness import PLUGINS_DIR, TEST_PLUGINS_GOOD_DIR, wait_until
from rest_helpers import rest_worker, status, wait_state

CLIENTS = 50
SHARED = [f"shared-{k}" for k in range(5)]
PLUGIN_PATH = f"{PLUGINS_DIR},{TEST_PLUGINS_GOOD_DIR}"


def config(name, tasks=1, batch=10):
    """A cheap connector: TestSource that produces nothing."""
    return {"name": name, "connector.class": "TestSource",
            "tasks.max": str(tasks), "topic": "conc-topic",
            "test.records": "0", "test.batch.size": str(batch)}


class Client(threading.Thread):
    """Client t owns connector own-t (only it touches it, so its final
    state is known) and also hammers the shared names at random."""

    def __init__(self, rest, t):
        super().__init__(daemon=True)
        self.rest, self.t = rest, t
        self.name = f"own-{t}"
        self.rng = random.Random(t)
        self.problems = []
        self.expected = None  # (config, target) or None if deleted

    def call(self, method, path, allowed, **kwargs):
        try:
            r = self.rest.request(method, path, timeout=60, **kwargs)
        except requests.RequestException as e:
            self.problems.append(f"{method} {path}: {e!r}")
            return None
        if r.status_code not in allowed:
            self.problems.append(f"{method} {path}: {r.status_code} "
                                 f"(allowed {allowed}) {r.text[:300]}")
        return r

    def chaos(self):
        """One random operation on a shared name; checks the answer."""
        name = self.rng.choice(SHARED)
        base = f"/connectors/{name}"
        op = self.rng.randrange(9)
        cfg = config(name, tasks=1 + self.rng.randrange(2),
                     batch=1 + self.rng.randrange(100))
        if op == 0:
            r = self.call("POST", "/connectors", (201, 409),
                          json={"name": name, "config": cfg})
            if r is not None and r.status_code == 201 and \
                    r.json()["config"] != cfg:
                self.problems.append(f"POST {name} answered {r.text}")
        elif op == 1:
            r = self.call("PUT", base + "/config", (200, 201), json=cfg)
            if r is not None and r.status_code in (200, 201) and \
                    r.json()["config"] != cfg:
                self.problems.append(f"PUT {name} answered {r.text}")
        elif op == 2:
            self.call("DELETE", base, (204, 404))
        elif op == 3:
            self.call("PATCH", base + "/config", (200, 404),
                      json={"test.batch.size": str(self.t + 1)})
        elif op == 4:
            self.call("PUT", base + self.rng.choice(
                ["/pause", "/resume"]), (202, 404))
        elif op == 5:
            self.call("PUT", base + "/stop", (204, 404))
        elif op == 6:
            r = self.call("GET", base + "/status", (200, 404))
            if r is not None and r.status_code == 200 and \
                    r.json()["name"] != name:
                self.problems.append(f"status of {name}: {r.text}")
        elif op == 7:
            # 409: a STOPPED connector cannot be restarted.
            self.call("POST", base + self.rng.choice(
                ["/restart", "/restart?includeTasks=true",
                 "/restart?includeTasks=true&onlyFailed=true"]),
                (202, 204, 404, 409))
        else:
            self.call("GET", "/connectors", (200,))

    def own(self):
        t, name, base = self.t, self.name, f"/connectors/{self.name}"
        cfg = config(name)
        self.call("POST", "/connectors", (201,),
                  json={"name": name, "config": cfg})
        self.chaos()
        self.call("POST", "/connectors", (409,),
                  json={"name": name, "config": cfg})
        cfg = config(name, tasks=1 + t % 2, batch=1 + t)
        self.call("PUT", base + "/config", (200,), json=cfg)
        self.chaos()
        cfg["test.batch.size"] = str(2 + t)
        self.call("PATCH", base + "/config", (200,),
                  json={"test.batch.size": str(2 + t)})
        # Invalid: 400 and nothing changes.
        self.call("PUT", base + "/config", (400,),
                  json=dict(cfg, **{"tasks.max": "0"}))
        self.chaos()
        kind = t % 8
        target = "RUNNING"
        if kind in (1, 5):
            self.call("PUT", base + "/pause", (202,))
            target = "PAUSED"
        elif kind in (2, 6):
            self.call("PUT", base + "/stop", (204,))
            target = "STOPPED"
        elif kind == 3:
            self.call("DELETE", base, (204,))
            self.call("GET", base, (404,))
            self.expected = None
            return
        elif kind == 7:
            self.call("DELETE", base, (204,))
            cfg = config(name, tasks=2, batch=7)
            self.call("POST", "/connectors", (201,),
                      json={"name": name, "config": cfg})
        self.chaos()
        self.expected = (cfg, target)

    def run(self):
        try:
            self.own()
            for _ in range(10):
                self.chaos()
        except Exception:  # a bug in the test itself: report it
            self.problems.append(traceback.format_exc())


def test_fifty_concurrent_clients(tmp_path, worker):
    w, rest = rest_worker(worker, props={"plugin.path": PLUGIN_PATH})
    rest.wait_healthy()
    clients = [Client(rest, t) for t in range(CLIENTS)]
    for c in clients:
        c.start()
    for c in clients:
        c.join(timeout=150)
    assert not [c.t for c in clients if c.is_alive()], \
        "clients still waiting for answers after 150 s"
    problems = [p for c in clients for p in c.problems]
    assert not problems, "\n".join(problems[:20])
    assert w.running(), f"worker exited with {w.proc.returncode}"

    listed = rest.get("/connectors").json()
    assert len(listed) == len(set(listed)), listed
    own_expected = {c.name: c.expected for c in clients
                    if c.expected is not None}
    shared_listed = {n for n in listed if n in SHARED}
    assert set(listed) == set(own_expected) | shared_listed, \
        sorted(set(listed) ^ (set(own_expected) | shared_listed))

    # Every listed connector answers consistently; the others are 404.
    expanded = rest.get("/connectors?expand=info&expand=status").json()
    assert set(expanded) == set(listed)
    for name in listed:
        cfg = rest.get(f"/connectors/{name}/config").json()
        info = rest.get(f"/connectors/{name}").json()
        assert info["name"] == name and info["config"] == cfg, (name, info)
        assert expanded[name]["info"]["config"] == cfg, name
        assert cfg["name"] == name, cfg
    for name in SHARED:
        if name not in shared_listed:
            assert rest.get(f"/connectors/{name}").status_code == 404, name
    for c in clients:
        if c.expected is None:
            assert rest.get(f"/connectors/{c.name}").status_code == 404

    # Own connectors: exactly the last successful operations' result.
    for name, (cfg, target) in sorted(own_expected.items()):
        got = rest.get(f"/connectors/{name}/config").json()
        assert got == cfg, (name, got, cfg)
        tasks = int(cfg["tasks.max"])
        if target == "STOPPED":
            body = wait_state(rest, name, "STOPPED", [])
        else:
            body = wait_state(rest, name, target, [target] * tasks)
        info = rest.get(f"/connectors/{name}").json()
        assert len(info["tasks"]) == (0 if target == "STOPPED" else tasks), \
            (name, info)
        assert body["name"] == name
    # Shared ones: a status that matches their config.
    for name in shared_listed:
        body = status(rest, name)
        assert body is not None and body["name"] == name, (name, body)
        state = body["connector"]["state"]
        assert state in ("RUNNING", "PAUSED", "STOPPED"), (name, body)
        if state == "STOPPED":
            assert body["tasks"] == [], body

    # Everything deleted at once leaves an empty, healthy worker.
    errors = []

    def delete(name):
        try:
            code = rest.delete(f"/connectors/{name}", timeout=60).status_code
            if code != 204:
                errors.append((name, code))
        except requests.RequestException as e:
            errors.append((name, repr(e)))
    threads = [threading.Thread(target=delete, args=(n,), daemon=True)
               for n in listed]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    assert wait_until(lambda: rest.get("/connectors").json() == [], 10), \
        rest.get("/connectors").text
    assert rest.get("/health").json()["status"] == "healthy"
    assert w.stop() == 0
