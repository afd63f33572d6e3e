#!/usr/bin/python3
"""connect-distributed: failover times and a 200-task cluster.

    /usr/bin/python3 bench/bench_distributed.py [--runs K] [--only PARTS]
        [--connectors N] [--tasks T] [--build-dir DIR]

Runs on demand only (never from ctest). Loopback only: every run gets a
fresh rdc-mock-cluster (build/tests/rdc-mock-cluster) with Kafka Connect's
internal topics created first (connect-configs:1, connect-offsets:25,
connect-status:5) and three connect-distributed workers of one group
with session.timeout.ms=6000 and heartbeat.interval.ms=1000
(tests/blackbox/distributed_helpers.py: Cluster, DWorker).

failover  6 FileStreamSource connectors (one task each) whose files get
          10 lines every 50 ms. The worker that runs a chosen task is
          stopped: the runs alternate between the leader (the smallest
          worker id) and a follower. Timed from the signal (kill -9, or
          SIGTERM for the graceful case) until GET /connectors?expand=status
          on a survivor, polled every 100 ms, shows every connector and
          task RUNNING on a live worker. Then the lines go on for 1 s,
          stop, and each topic is read whole: lost = lines written that
          are not in it (must be 0), duplicates = records beyond one per
          line. K runs of each kind (default 5); median.
scale     N TestSink connectors (tests/plugins/test_sink.c, which really
          makes tasks.max tasks; rdconnect's FileStreamSink makes one task
          whatever tasks.max says) with tasks.max=T (defaults 50 x 4) on a
          4-partition topic, POSTed one after the other to the leader
          (followers do not forward writes yet) as fast as it answers.
          Timed from the first POST until the status lists N x T tasks
          RUNNING. Meanwhile 4 client threads read GET /connectors and
          GET /connectors/<name>/status of random workers and connectors
          in a closed loop (a new connection per call); their latencies
          give p50/p99/max. Peak RSS: VmHWM of each worker at the end.

Progress goes to stderr, the table to stdout. Worker logs are kept under
the printed work directory when a run fails.
"""

import argparse
import importlib
import os
import random
import shutil
import signal
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

SOURCE_DIR = Path(__file__).resolve().parents[1]
FAILOVER_CONNECTORS = 6
LINES_PER_TICK = 10
TICK_S = 0.05
POLL_S = 0.1
READER_THREADS = 4

harness = None  # tests/blackbox/harness.py, loaded by load_helpers()
dh = None  # tests/blackbox/distributed_helpers.py


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def load_helpers(build_dir):
    """Imports the black-box helpers with their paths set to build_dir."""
    global harness, dh
    os.environ["RDC_BUILD_DIR"] = str(build_dir)
    sys.path.insert(0, str(SOURCE_DIR / "tests" / "blackbox"))
    harness = importlib.import_module("harness")
    dh = importlib.import_module("distributed_helpers")
    for p in (harness.DISTRIBUTED_BIN, harness.MOCK_CLUSTER_BIN,
              harness.TEST_PLUGINS_GOOD_DIR):
        if not p.exists():
            sys.exit(f"{p} not found: build first (see bench/README.md)")


def all_status(worker):
    """{name: status} of every connector, as worker answers, or None."""
    try:
        r = worker.rest("GET", "/connectors?expand=status", timeout=5)
    except requests.RequestException:
        return None
    if r.status_code != 200:
        return None
    return {name: v["status"] for name, v in r.json().items()}


def all_running(statuses, names, tasks, live_ids):
    """Whether each of names runs with `tasks` RUNNING tasks, all of them
    (and the connector) on a worker of live_ids."""
    if statuses is None:
        return False
    for name in names:
        st = statuses.get(name)
        if not st or st["connector"]["state"] != "RUNNING" or \
                st["connector"]["worker_id"] not in live_ids:
            return False
        if len(st["tasks"]) != tasks or any(
                t["state"] != "RUNNING" or t["worker_id"] not in live_ids
                for t in st["tasks"]):
            return False
    return True


def wait_all_running(worker, names, tasks, live_ids, timeout):
    """Polls every POLL_S; returns (seconds, last statuses); seconds is
    None on timeout."""
    start = time.monotonic()
    while True:
        st = all_status(worker)
        now = time.monotonic()
        if all_running(st, names, tasks, live_ids):
            return now - start, st
        if now - start > timeout:
            return None, st
        time.sleep(POLL_S)


def summary(statuses):
    """Counts of connector and task states, and tasks per worker."""
    if statuses is None:
        return "no status"
    conn, task, per = {}, {}, {}
    for st in statuses.values():
        s = st["connector"]["state"]
        conn[s] = conn.get(s, 0) + 1
        for t in st["tasks"]:
            task[t["state"]] = task.get(t["state"], 0) + 1
            per[t["worker_id"]] = per.get(t["worker_id"], 0) + 1
    return f"connectors {conn}, tasks {task}, tasks per worker {per}"


def peak_rss_mib(worker):
    with open(f"/proc/{worker.pid}/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def pct(values, p):
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


class Run:
    """One fresh mock cluster with three workers in a work directory."""

    def __init__(self, work, label, props=None, topics=()):
        self.dir = Path(tempfile.mkdtemp(prefix=f"{label}-", dir=work))
        self.c = dh.Cluster(self.dir, props=props, topics=topics)
        self.ok = False

    def __enter__(self):
        self.c.start(3)
        return self.c

    def __exit__(self, *exc):
        self.c.stop()
        if self.ok and exc[0] is None:
            shutil.rmtree(self.dir, ignore_errors=True)
        else:
            log(f"  logs kept in {self.dir}")
        return False


class Writer(threading.Thread):
    """Appends LINES_PER_TICK numbered lines to each file every TICK_S."""

    def __init__(self, paths):
        super().__init__(daemon=True)
        self.paths = paths
        self.written = [0] * len(paths)
        self.halt = threading.Event()

    def run(self):
        while not self.halt.is_set():
            for i, path in enumerate(self.paths):
                n = self.written[i]
                with open(path, "a", encoding="ascii") as f:
                    f.write("".join(f"f{i}-{n + k:08d}\n"
                                    for k in range(LINES_PER_TICK)))
                self.written[i] = n + LINES_PER_TICK
            self.halt.wait(TICK_S)

    def stop(self):
        self.halt.set()
        self.join()


def failover_run(work, how, role):
    """One failover run; returns a dict of its figures."""
    n = FAILOVER_CONNECTORS
    topics = [f"fo-{i}" for i in range(n)]
    names = [f"src-{i}" for i in range(n)]
    run = Run(work, f"{how}-{role}", topics=tuple(f"{t}:1" for t in topics))
    with run as c:
        paths = [run.dir / f"in-{i}.txt" for i in range(n)]
        for p in paths:
            p.write_text("")
        for name, path, topic in zip(names, paths, topics):
            r = c.leader().rest("POST", "/connectors", json={
                "name": name,
                "config": harness.file_source(name, path, topic)})
            assert r.status_code == 201, r.text
        ids = {w.worker_id for w in c.live()}
        took, st = wait_all_running(c.leader(), names, 1, ids, 60)
        assert took is not None, summary(st)
        writer = Writer(paths)
        writer.start()
        assert harness.wait_until(lambda: all(
            harness.topic_record_count(c.bootstrap, t) > 0 for t in topics),
            timeout=30), "no data flows"
        time.sleep(1)
        victim = c.leader() if role == "leader" else c.followers()[0]
        chosen = next((name for name in names
                       if st[name]["tasks"][0]["worker_id"] ==
                       victim.worker_id), None)
        assert chosen, f"{victim.worker_id} runs no task: {summary(st)}"
        survivor = next(w for w in c.live() if w is not victim)
        live = ids - {victim.worker_id}
        start = time.monotonic()
        if how == "kill9":
            victim.kill9()
        else:
            victim.proc.send_signal(signal.SIGTERM)
        took, st = wait_all_running(survivor, names, 1, live, 120)
        assert took is not None, f"not all RUNNING again: {summary(st)}"
        took = time.monotonic() - start  # from the signal
        if how == "sigterm":
            victim.proc.wait(timeout=60)
        time.sleep(1)
        writer.stop()
        lost = dups = 0
        for i, topic in enumerate(topics):
            want = writer.written[i]
            harness.wait_until(lambda: harness.topic_record_count(
                c.bootstrap, topic) >= want, timeout=60)
            got = dh.values(c.bootstrap, topic)
            expect = {f"f{i}-{k:08d}" for k in range(want)}
            lost += len(expect - set(got))
            dups += len(got) - len(set(got))
        run.ok = True
    return {"secs": took, "lost": lost, "dups": dups, "lines":
            sum(writer.written), "victim": role, "task": chosen}


class Readers:
    """READER_THREADS closed-loop REST readers over the workers."""

    def __init__(self, workers, names):
        self.workers = workers
        self.names = names  # grows while connectors are created
        self.halt = threading.Event()
        self.lat = {"status": [], "list": []}
        self.codes = {}
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self.loop, args=(k,),
                                         daemon=True)
                        for k in range(READER_THREADS)]

    def loop(self, seed):
        rnd = random.Random(seed)
        while not self.halt.is_set():
            w = rnd.choice(self.workers)
            names = list(self.names)
            if names and rnd.random() < 0.5:
                kind, path = "status", \
                    f"/connectors/{rnd.choice(names)}/status"
            else:
                kind, path = "list", "/connectors"
            start = time.monotonic()
            try:
                code = requests.get(w.url + path, timeout=30).status_code
            except requests.RequestException as e:
                code = type(e).__name__
            secs = time.monotonic() - start
            with self.lock:
                self.lat[kind].append(secs)
                self.codes[code] = self.codes.get(code, 0) + 1

    def start(self):
        for t in self.threads:
            t.start()

    def stop(self):
        self.halt.set()
        for t in self.threads:
            t.join()


def scale_run(work, connectors, tasks, timeout):
    props = {"plugin.path": str(harness.TEST_PLUGINS_GOOD_DIR)}
    run = Run(work, "scale", props=props, topics=("scale-in:4",))
    with run as c:
        leader = c.leader()
        ids = {w.worker_id for w in c.live()}
        names = []
        readers = Readers(c.live(), names)
        readers.start()
        post_lat = []
        start = time.monotonic()
        for i in range(connectors):
            name = f"scale-{i:03d}"
            t0 = time.monotonic()
            r = leader.rest("POST", "/connectors", json={
                "name": name, "config": {
                    "connector.class": "TestSink", "tasks.max": str(tasks),
                    "topics": "scale-in"}})
            post_lat.append(time.monotonic() - t0)
            assert r.status_code == 201, f"{name}: {r.status_code} {r.text}"
            names.append(name)
        posted = time.monotonic() - start
        log(f"  {connectors} POSTs answered in {posted:.1f} s")
        last = [None]

        def done():
            last[0] = all_status(leader)
            return all_running(last[0], names, tasks, ids)
        ok = harness.wait_until(done, timeout=timeout, interval=POLL_S)
        took = time.monotonic() - start
        readers.stop()
        if not ok:
            for w in c.workers:
                log(f"  {w.name} ({w.worker_id}) running={w.running()}")
            raise AssertionError(f"not all {connectors * tasks} tasks "
                                 f"RUNNING after {took:.0f} s: "
                                 f"{summary(last[0])}")
        rss = [peak_rss_mib(w) for w in c.live()]
        spread = summary(last[0])
        run.ok = True
    return {"secs": took, "posted": posted, "post_lat": post_lat,
            "rss": rss, "readers": readers, "spread": spread}


def main():
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--only", default="failover,scale")
    ap.add_argument("--connectors", type=int, default=50)
    ap.add_argument("--tasks", type=int, default=4)
    ap.add_argument("--scale-timeout", type=float, default=300)
    ap.add_argument("--build-dir", type=Path,
                    default=SOURCE_DIR / "build-bench")
    args = ap.parse_args()
    load_helpers(args.build_dir.resolve())
    parts = set(args.only.split(","))
    work = Path(tempfile.mkdtemp(prefix="rdc-bench-dist-"))
    log(f"work directory {work}; load average {os.getloadavg()}")
    rows = []
    if "failover" in parts:
        for how in ("kill9", "sigterm"):
            res = []
            for i in range(args.runs):
                role = ("leader", "follower")[i % 2]
                r = failover_run(work, how, role)
                log(f"{how} run {i + 1} ({role}, task of {r['task']}): "
                    f"all RUNNING again after {r['secs']:.2f} s; "
                    f"{r['lines']} lines, lost {r['lost']}, "
                    f"duplicates {r['dups']}")
                res.append(r)
            med = statistics.median(r["secs"] for r in res)
            log(f"{how}: median {med:.2f} s over {len(res)} runs")
            rows.append((f"failover, {how}", med, min(r["secs"] for r in res),
                         max(r["secs"] for r in res),
                         sum(r["lost"] for r in res),
                         "/".join(str(r["dups"]) for r in res)))
    scale = None
    if "scale" in parts:
        scale = scale_run(work, args.connectors, args.tasks,
                          args.scale_timeout)
        log(f"scale: {args.connectors * args.tasks} tasks RUNNING after "
            f"{scale['secs']:.1f} s; {scale['spread']}")
    print(f"\nconnect-distributed, 3 workers on rdc-mock-cluster, "
          f"session.timeout.ms=6000, heartbeat.interval.ms=1000")
    if rows:
        print(f"\n| failover ({args.runs} runs, leader and follower "
              f"alternating) | median s | min s | max s | lost | "
              f"duplicates per run |")
        print("|---|---:|---:|---:|---:|---|")
        for name, med, lo, hi, lost, dups in rows:
            print(f"| {name} | {med:.2f} | {lo:.2f} | {hi:.2f} | {lost} | "
                  f"{dups} |")
    if scale:
        rd = scale["readers"]
        n = args.connectors * args.tasks
        print(f"\n| scale: {args.connectors} connectors x {args.tasks} "
              f"tasks | value |")
        print("|---|---:|")
        print(f"| first POST -> all {n} tasks RUNNING | "
              f"{scale['secs']:.1f} s |")
        print(f"| {args.connectors} POSTs to the leader answered in | "
              f"{scale['posted']:.1f} s (p50 "
              f"{pct(scale['post_lat'], 50) * 1000:.0f} ms, max "
              f"{max(scale['post_lat']) * 1000:.0f} ms) |")
        print("| peak RSS per worker (VmHWM) | " +
              " / ".join(f"{m:.1f}" for m in scale["rss"]) + " MiB |")
        for kind, path in (("status", "GET /connectors/<name>/status"),
                           ("list", "GET /connectors")):
            lat = rd.lat[kind]
            if lat:
                print(f"| {path}: {len(lat)} reads, p50 / p99 / max | "
                      f"{pct(lat, 50) * 1000:.1f} / "
                      f"{pct(lat, 99) * 1000:.1f} / "
                      f"{max(lat) * 1000:.1f} ms |")
        print(f"| reader answers | {rd.codes} |")
        print(f"| tasks per worker | {scale['spread']} |")
    if any(work.iterdir()):
        log(f"work directory kept: {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
