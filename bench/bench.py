#!/usr/bin/python3
"""rdconnect's file pipeline against kcat, on one librdkafka mock cluster.

    /usr/bin/python3 bench/bench.py [--lines N] [--runs K] [--build-dir DIR]

Runs on demand only (never from ctest). Needs a Release build
(cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release && cmake --build
build-bench -j2), kcat, and Debian's python3-confluent-kafka. See
bench/README.md for what each figure means and how it is measured.
"""

import argparse
import asyncio
import datetime
import http.client
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka import libversion
from confluent_kafka import version as ck_version

SOURCE_DIR = Path(__file__).resolve().parents[1]
STRING_CONVERTER = "org.apache.kafka.connect.storage.StringConverter"
JSON_CONVERTER = "org.apache.kafka.connect.json.JsonConverter"
# rdconnect's producer runs with Kafka Connect's no-loss settings
# (runtime/tasks/task_source.c); the main kcat rows get the same through -X.
KCAT_SAFE = ["-X", "acks=all", "-X", "enable.idempotence=true"]
# The mock keeps ~5 MB per partition (TESTING.md); aim well below.
PARTITION_BUDGET = 2 * 1024 * 1024
POLL_S = 0.01  # how often completion is checked
PARTS = ("source", "sink", "drain", "latency", "startup", "rest")


def log(msg):
    print(msg, file=sys.stderr, flush=True)


# ------------------------------------------------------------- processes


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def spawn(argv, cwd, stdin=subprocess.DEVNULL, stdout=None, stderr=None):
    return subprocess.Popen([str(a) for a in argv], cwd=str(cwd),
                            stdin=stdin, stdout=stdout, stderr=stderr,
                            start_new_session=True)


def wait_rusage(proc, timeout):
    """Waits for proc with wait4(): (exit code, CPU seconds, maxrss KiB)."""
    deadline = time.monotonic() + timeout
    while True:
        pid, status, ru = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            proc.returncode = os.waitstatus_to_exitcode(status)
            return proc.returncode, ru.ru_utime + ru.ru_stime, ru.ru_maxrss
        if time.monotonic() > deadline:
            proc.kill()
            proc.wait()
            raise RuntimeError(f"{proc.args[0]} did not end in {timeout}s")
        time.sleep(0.001)


def proc_usage(pid):
    """(CPU seconds, peak RSS KiB) of a running process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    hwm = 0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            hwm = int(line.split()[1])
    return cpu, hwm


def stop(proc, timeout=30):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def write_properties(path, props):
    path.write_text("".join(f"{k}={v}\n" for k, v in props.items()))
    return path


def rest_call(port, method, path, body=None, timeout=30):
    """One REST call on a new connection: (status, decoded body)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        headers = {}
        data = None
        if body is not None:
            data = json.dumps(body)
            headers["Content-Type"] = "application/json"
        conn.request(method, path, body=data, headers=headers)
        resp = conn.getresponse()
        raw = resp.read()
    finally:
        conn.close()
    try:
        return resp.status, json.loads(raw) if raw else None
    except ValueError:
        return resp.status, raw


def wait_state(port, name, state, proc, timeout=30):
    """Waits until the connector and all its tasks report state."""
    deadline = time.monotonic() + timeout
    while True:
        status, body = rest_call(port, "GET", f"/connectors/{name}/status")
        if (status == 200 and body["connector"]["state"] == state and
                body["tasks"] and
                all(t["state"] == state for t in body["tasks"])):
            return
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"{name} never became {state}: {body}")
        time.sleep(0.01)


class BusyLoad:
    """One busy loop per CPU, each ending by itself after at most limit
    seconds (and stopped by stop()): the machine is fully loaded."""

    CODE = ("import time\nend = time.monotonic() + {limit}\n"
            "while time.monotonic() < end:\n    pass\n")

    def __init__(self, limit):
        self.procs = [subprocess.Popen(
            [sys.executable, "-c", self.CODE.format(limit=limit)],
            start_new_session=True) for _ in range(os.cpu_count() or 1)]
        time.sleep(0.3)  # running before the clock starts

    def stop(self):
        for p in self.procs:
            p.kill()
        for p in self.procs:
            p.wait()


# ------------------------------------------------------------ the cluster


class MockCluster:
    """tests/fixture's rdc-mock-cluster, one broker, driven over stdin."""

    def __init__(self, binary, workdir):
        self.err = open(workdir / "mock.stderr.log", "wb")
        self.proc = spawn([binary, "--brokers", "1"], workdir,
                          stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                          stderr=self.err)
        words = self.proc.stdout.readline().decode().split()
        if words[:2] != ["BOOTSTRAP", "0"]:
            raise RuntimeError(f"mock cluster said {words}")
        self.bootstrap = words[2]
        self.meta = Consumer({"bootstrap.servers": self.bootstrap,
                              "group.id": f"bench-{uuid.uuid4()}",
                              "enable.auto.commit": False})

    def create_topic(self, name, partitions):
        self.command(f"create-topic 0 {name} {partitions}")

    def command(self, line):
        self.proc.stdin.write(f"{line}\n".encode())
        self.proc.stdin.flush()
        answer = self.proc.stdout.readline().decode().strip()
        if answer != "OK":
            raise RuntimeError(f"{line}: {answer}")

    def set_rtt(self, ms):
        """Every request to broker 1 is answered ms later (emulates a
        broker on the network; the plain mock answers at once)."""
        self.command(f"rtt 0 1 {ms}")

    def high_watermarks(self, topic, partitions):
        """Sum of the high watermarks, in one ListOffsets(latest) request."""
        tps = [TopicPartition(topic, p, -1) for p in range(partitions)]
        res = self.meta.offsets_for_times(tps, timeout=10)
        return sum(max(tp.offset, 0) for tp in res)

    def low_watermarks(self, topic, partitions):
        return [self.meta.get_watermark_offsets(TopicPartition(topic, p),
                                                timeout=10)[0]
                for p in range(partitions)]

    def close(self):
        self.meta.close()
        try:
            self.proc.stdin.close()
            self.proc.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            stop(self.proc)
        self.err.close()


# ------------------------------------------------------------- the bench


class Bench:
    def __init__(self, args):
        self.args = args
        build = Path(args.build_dir).resolve()
        self.standalone = build / "bin" / "connect-standalone"
        self.plugins = build / "plugins"
        self.mock_bin = mock_bin = build / "tests" / "rdc-mock-cluster"
        for p in (self.standalone, mock_bin, self.plugins):
            if not p.exists():
                sys.exit(f"{p} not found: build first (see bench/README.md)")
        self.kcat = shutil.which("kcat")
        if not self.kcat:
            sys.exit("kcat not found (apt-get install kcat)")
        self.work = Path(tempfile.mkdtemp(prefix="rdc-bench-"))
        self.mock = MockCluster(mock_bin, self.work)
        self.n = args.lines
        self.line_bytes = args.line_bytes
        per_record = self.line_bytes + 70  # JSON envelope + record header
        self.partitions = args.partitions or max(
            1, -(-self.n * per_record // PARTITION_BUDGET))
        self.seq = 0
        self.results = {}
        self.load_before = os.getloadavg()

    def fresh_cluster(self):
        """Replaces the mock cluster by a new, empty one.

        The mock keeps every record in memory (up to ~5 MB per partition),
        and past about a dozen topics of this size its CPU time per run
        tripled (0.1 -> 0.35 s) for every contender. Each source round
        therefore starts from an empty cluster."""
        self.mock.close()
        self.mock = MockCluster(self.mock_bin, self.work)

    def name(self, what):
        self.seq += 1
        return f"{what}-{self.seq}"

    # ------------------------------------------------------------ workers

    def worker_props(self, name, converter):
        port = free_port()
        props = {
            "bootstrap.servers": self.mock.bootstrap,
            "plugin.path": self.plugins,
            "key.converter": converter,
            "value.converter": converter,
            "offset.storage.file.filename": self.work / f"{name}.offsets",
            "offset.flush.interval.ms": "60000",
            "listeners": f"http://127.0.0.1:{port}",
        }
        if converter == JSON_CONVERTER:
            props["key.converter.schemas.enable"] = "true"
            props["value.converter.schemas.enable"] = "true"
        path = write_properties(self.work / f"{name}.worker.properties",
                                props)
        return path, port

    def start_worker(self, name, converter, connector=None):
        props, port = self.worker_props(name, converter)
        files = [props]
        if connector:
            connector = {"name": name, "tasks.max": "1", **connector}
            files.append(write_properties(
                self.work / f"{name}.connector.properties", connector))
        with open(self.work / f"{name}.stderr.log", "wb") as err:
            proc = spawn([self.standalone, *files], self.work, stderr=err,
                         stdout=err)
        return proc, port

    def worker_log_tail(self, name):
        path = self.work / f"{name}.stderr.log"
        return path.read_text(errors="replace")[-3000:]

    # -------------------------------------------------------------- input

    def make_input(self):
        path = self.work / "input.txt"
        body = self.line_bytes - 11
        filler = ("abcdefghijklmnopqrstuvwxyz" * (body // 26 + 1))[:body]
        with open(path, "w") as f:
            for start in range(0, self.n, 10000):
                f.write("".join(f"{i:010d} {filler}\n" for i in
                                range(start, min(self.n, start + 10000))))
        self.input = path
        self.input_bytes = path.stat().st_size

    # ------------------------------------------------------ file -> Kafka

    def wait_topic_full(self, topic, proc, timeout):
        """Polls the high watermarks until they sum to N."""
        deadline = time.monotonic() + timeout
        while True:
            got = self.mock.high_watermarks(topic, self.partitions)
            if got >= self.n:
                return time.monotonic()
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{topic}: {got} of {self.n} records")
            time.sleep(POLL_S)

    def source_rdconnect(self, converter):
        name = self.name("src")
        topic = f"{name}-topic"
        self.mock.create_topic(topic, self.partitions)
        t0 = time.monotonic()
        proc, _ = self.start_worker(name, converter, {
            "connector.class": "FileStreamSource", "file": self.input,
            "topic": topic})
        try:
            t1 = self.wait_topic_full(topic, proc, self.args.timeout)
            cpu, rss = proc_usage(proc.pid)
        except RuntimeError:
            log(self.worker_log_tail(name))
            raise
        finally:
            stop(proc)
        return {"wall": t1 - t0, "cpu": cpu, "rss_kib": rss}

    def source_kcat(self, safe):
        topic = self.name("kcat-p")
        self.mock.create_topic(topic, self.partitions)
        argv = [self.kcat, "-P", "-q", "-b", self.mock.bootstrap, "-t",
                topic, *(KCAT_SAFE if safe else []), "-l", self.input]
        t0 = time.monotonic()
        proc = spawn(argv, self.work)
        rc, cpu, rss = wait_rusage(proc, self.args.timeout)
        t1 = time.monotonic()
        got = self.mock.high_watermarks(topic, self.partitions)
        if rc != 0 or got != self.n:
            raise RuntimeError(f"kcat -P: exit {rc}, {got} of {self.n}")
        return {"wall": t1 - t0, "cpu": cpu, "rss_kib": rss}

    # ------------------------------------------------------ Kafka -> file

    def fill_sink_topic(self):
        """The sink input: N lines spread evenly, all kept by the mock."""
        topic = self.name("sink-in")
        self.mock.create_topic(topic, self.partitions)
        producer = Producer({"bootstrap.servers": self.mock.bootstrap,
                             "linger.ms": 20})
        with open(self.input, "rb") as f:
            for i, line in enumerate(f):
                while True:
                    try:
                        producer.produce(topic, line[:-1],
                                         partition=i % self.partitions)
                        break
                    except BufferError:
                        producer.poll(0.05)
        left = producer.flush(120)
        lows = self.mock.low_watermarks(topic, self.partitions)
        high = self.mock.high_watermarks(topic, self.partitions)
        if left or any(lows) or high != self.n:
            raise RuntimeError(
                f"sink input incomplete ({left} not delivered, highest low "
                f"watermark {max(lows)}, {high} records): raise --partitions")
        self.sink_topic = topic

    def wait_file(self, path, proc, timeout, full=None, base=0):
        """Polls path's size: (time it first exceeds base bytes, time it
        holds full bytes, by default the whole input).

        Checks proc without reaping it, so wait4() still gets its usage."""
        full = full or self.input_bytes
        deadline = time.monotonic() + timeout
        first = None
        while True:
            gone = os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOHANG |
                             os.WNOWAIT) is not None
            try:
                size = path.stat().st_size
            except FileNotFoundError:
                size = 0
            now = time.monotonic()
            if size > base and first is None:
                first = now
            if size >= full:
                return first, now
            if gone or now > deadline:
                raise RuntimeError(f"{path}: {size} of {full} bytes")
            time.sleep(POLL_S / 5)

    def check_output(self, path):
        size = path.stat().st_size
        with open(path, "rb") as f:
            lines = sum(chunk.count(b"\n")
                        for chunk in iter(lambda: f.read(1 << 20), b""))
        if lines != self.n or size != self.input_bytes:
            raise RuntimeError(f"{path}: {lines} lines, {size} bytes")
        path.unlink()

    def sink_rdconnect(self):
        name = self.name("sink")
        out = self.work / f"{name}.out"
        t0 = time.monotonic()
        proc, _ = self.start_worker(name, STRING_CONVERTER, {
            "connector.class": "FileStreamSink", "file": out,
            "topics": self.sink_topic})
        try:
            first, t1 = self.wait_file(out, proc, self.args.timeout)
            cpu, rss = proc_usage(proc.pid)
        except RuntimeError:
            log(self.worker_log_tail(name))
            raise
        finally:
            stop(proc)
        self.check_output(out)
        return {"wall": t1 - t0, "cpu": cpu, "rss_kib": rss,
                "first": first - t0}

    def sink_kcat(self, group=False):
        out = self.work / f"{self.name('kcat-c')}.out"
        if group:
            mode = ["-G", f"bench-{uuid.uuid4()}", self.sink_topic]
        else:
            mode = ["-C", "-t", self.sink_topic]
        argv = [self.kcat, *mode, "-q", "-e", "-o", "beginning", "-b",
                self.mock.bootstrap]
        with open(out, "wb") as f:
            t0 = time.monotonic()
            proc = spawn(argv, self.work, stdout=f)
            try:
                first, t1 = self.wait_file(out, proc, self.args.timeout)
                rc, cpu, rss = wait_rusage(proc, self.args.timeout)
            finally:
                stop(proc)
        if rc != 0:
            raise RuntimeError(f"kcat: exit {rc}")
        self.check_output(out)
        return {"wall": t1 - t0, "cpu": cpu, "rss_kib": rss,
                "first": first - t0}

    # ---------------------------------------------- paused sink, resumed

    def drain_round(self, r, loaded):
        """A sink whose group is joined is paused while the topic fills,
        then resumed: resume -> last line, against `kcat -C -e` on the
        same topic. loaded: both cores busy (BusyLoad) while timed."""
        name = self.name("drain")
        topic = f"{name}-topic"
        parts = self.args.drain_partitions
        self.mock.create_topic(topic, parts)
        out = self.work / f"{name}.out"
        proc, port = self.start_worker(name, STRING_CONVERTER, {
            "connector.class": "FileStreamSink", "file": out,
            "topics": topic})
        producer = Producer({"bootstrap.servers": self.mock.bootstrap,
                             "linger.ms": 20})
        try:
            # The marker line shows that the group is joined and consuming.
            producer.produce(topic, b"marker", partition=0)
            producer.flush(30)
            marker = len(b"marker\n")
            deadline = time.monotonic() + 60
            while not out.exists() or out.stat().st_size < marker:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("drain: the marker never came")
                time.sleep(0.01)
            rest_call(port, "PUT", f"/connectors/{name}/pause")
            wait_state(port, name, "PAUSED", proc)
            size = marker
            with open(self.input, "rb") as f:
                for i in range(self.args.drain_lines):
                    line = f.readline()
                    size += len(line)
                    while True:
                        try:
                            producer.produce(topic, line[:-1],
                                             partition=i % parts)
                            break
                        except BufferError:
                            producer.poll(0.05)
            if producer.flush(120):
                raise RuntimeError("drain: input not delivered")
            high = self.mock.high_watermarks(topic, parts)
            if high != self.args.drain_lines + 1:
                raise RuntimeError(f"drain: {high} records in {topic}")
            time.sleep(0.2)  # the sink is idle, paused
            if out.stat().st_size != marker:
                raise RuntimeError("drain: records came while paused")
            suffix = "_loaded" if loaded else ""
            order = [("drain_sink", lambda: self.drain_resume(
                         name, proc, port, out, size)),
                     ("drain_kcat_c", lambda: self.drain_kcat(topic, size))]
            for key, fn in order if r % 2 == 0 else reversed(order):
                load = BusyLoad(self.args.timeout) if loaded else None
                try:
                    result = fn()
                finally:
                    if load:
                        load.stop()
                self.results.setdefault(key + suffix, []).append(result)
                log(f"run {r + 1} {key + suffix}: " + ", ".join(
                    f"{k} {v:.2f}" for k, v in result.items()))
        except RuntimeError:
            log(self.worker_log_tail(name))
            raise
        finally:
            stop(proc)
        out.unlink()

    def drain_resume(self, name, proc, port, out, size):
        cpu0 = proc_usage(proc.pid)[0]
        t0 = time.monotonic()
        rest_call(port, "PUT", f"/connectors/{name}/resume")
        first, t1 = self.wait_file(out, proc, self.args.timeout, size,
                                   base=len(b"marker\n"))
        cpu, rss = proc_usage(proc.pid)
        return {"wall": t1 - t0, "cpu": cpu - cpu0, "rss_kib": rss,
                "first": first - t0}

    def drain_kcat(self, topic, size):
        out = self.work / f"{self.name('kcat-d')}.out"
        argv = [self.kcat, "-C", "-t", topic, "-q", "-e", "-o", "beginning",
                "-b", self.mock.bootstrap]
        with open(out, "wb") as f:
            t0 = time.monotonic()
            proc = spawn(argv, self.work, stdout=f)
            try:
                first, t1 = self.wait_file(out, proc, self.args.timeout,
                                           size)
                rc, cpu, rss = wait_rusage(proc, self.args.timeout)
            finally:
                stop(proc)
        if rc != 0 or out.stat().st_size != size:
            raise RuntimeError(f"kcat -C: exit {rc}")
        out.unlink()
        return {"wall": t1 - t0, "cpu": cpu, "rss_kib": rss,
                "first": first - t0}

    def run_drain(self):
        for r in range(self.args.runs):
            self.fresh_cluster()
            for loaded in (False, True) if r % 2 == 0 else (True, False):
                self.drain_round(r, loaded)

    # ------------------------------------------------------------ latency

    def latency(self):
        """Appends lines to a tailed file; times each until consumed."""
        name = self.name("lat")
        topic = f"{name}-topic"
        path = self.work / f"{name}.txt"
        path.write_bytes(b"")
        self.mock.create_topic(topic, 1)
        consumer = Consumer({"bootstrap.servers": self.mock.bootstrap,
                             "group.id": f"bench-{uuid.uuid4()}",
                             "enable.auto.commit": False,
                             "fetch.wait.max.ms": 5})
        consumer.assign([TopicPartition(topic, 0, 0)])
        proc, _ = self.start_worker(name, STRING_CONVERTER, {
            "connector.class": "FileStreamSource", "file": path,
            "topic": topic})
        pad = "x" * (self.line_bytes - 9)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND)
        count, gap = self.args.latency_lines, self.args.latency_gap_ms / 1e3
        sent, lat = {}, []

        def receive(timeout):
            msg = consumer.poll(timeout)
            while msg is not None:
                now = time.monotonic_ns()
                if not msg.error():
                    seq = int(msg.value()[:8])
                    if seq in sent:
                        lat.append((now - sent.pop(seq)) / 1e6)
                msg = consumer.poll(0)

        try:
            # Warm-up: the pipeline is up once this line came through.
            sent[0] = time.monotonic_ns()
            os.write(fd, f"{0:08d} {pad}\n".encode())
            deadline = time.monotonic() + 30
            while not lat:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("latency: warm-up line never came")
                receive(0.1)
            lat.clear()
            next_at = time.monotonic()
            for seq in range(1, count + 1):
                while time.monotonic() < next_at:
                    receive(max(0.0, next_at - time.monotonic()))
                sent[seq] = time.monotonic_ns()
                os.write(fd, f"{seq:08d} {pad}\n".encode())
                next_at += gap
            deadline = time.monotonic() + 10
            while len(lat) < count and time.monotonic() < deadline:
                receive(0.05)
        finally:
            os.close(fd)
            stop(proc)
            consumer.close()
        if len(lat) < count:
            raise RuntimeError(f"latency: {len(lat)} of {count} lines came")
        lat.sort()
        return {"p50_ms": lat[len(lat) // 2],
                "p99_ms": lat[min(len(lat) - 1, int(len(lat) * 0.99))],
                "max_ms": lat[-1], "count": len(lat)}

    # ----------------------------------------------------------- start-up

    def startup_once(self):
        """exec() to the first 200 answer of GET /, in milliseconds."""
        name = self.name("start")
        t0 = time.monotonic()
        proc, port = self.start_worker(name, STRING_CONVERTER)
        try:
            while True:
                if proc.poll() is not None or time.monotonic() - t0 > 30:
                    raise RuntimeError("start-up: REST never answered")
                try:
                    conn = http.client.HTTPConnection("127.0.0.1", port,
                                                      timeout=5)
                    conn.request("GET", "/")
                    status = conn.getresponse().status
                    conn.close()
                    if status == 200:
                        return (time.monotonic() - t0) * 1000
                except OSError:
                    time.sleep(0.0005)
        finally:
            stop(proc)

    # --------------------------------------------------------------- runs

    def run(self):
        a = self.args
        log(f"workdir {self.work}; {self.n} lines of {self.line_bytes} "
            f"bytes; {self.partitions} partitions; {a.runs} runs")
        self.make_input()
        parts = set(a.only.split(",")) if a.only else set(PARTS)
        if "source" in parts:
            for rtt in a.rtt:
                sfx = rtt_suffix(rtt)
                pairings = {
                    "source_string" + sfx:
                        lambda: self.source_rdconnect(STRING_CONVERTER),
                    "kcat_p" + sfx: lambda: self.source_kcat(True),
                    "source_json" + sfx:
                        lambda: self.source_rdconnect(JSON_CONVERTER),
                }
                if not rtt:
                    pairings["kcat_p_default"] = \
                        lambda: self.source_kcat(False)
                self.run_pairings(fresh=True, rtt=rtt, pairings=pairings)
        if "sink" in parts:
            self.fresh_cluster()
            self.fill_sink_topic()
            self.run_pairings(pairings={
                "sink": self.sink_rdconnect,
                "kcat_c": self.sink_kcat,
                "kcat_g": lambda: self.sink_kcat(True),
            })
        if "drain" in parts:
            self.run_drain()
        if "rest" in parts:
            runs = [RestLoad(self).run() for _ in range(a.runs)]
            self.results["rest_runs"] = runs
            self.results["rest"] = RestLoad.median(runs)
        if "latency" in parts:
            self.results["latency"] = self.latency()
            log(f"latency: {self.results['latency']}")
        if "startup" in parts:
            self.results["startup_ms"] = [
                self.startup_once() for _ in range(max(5, a.runs * 2))]
            log(f"start-up: {self.results['startup_ms']}")

    def run_pairings(self, pairings, fresh=False, rtt=0):
        """One run of each contender per round, K rounds, the order
        reversed every other round; fresh: each round on a new cluster
        whose broker answers rtt ms late.

        The mock broker's CPU time is recorded too: it shares the machine
        and explains why a faster client does not always mean a shorter
        run."""
        for key in pairings:
            self.results[key] = []
        for r in range(self.args.runs):
            if fresh:
                self.fresh_cluster()
                if rtt:
                    self.mock.set_rtt(rtt)
            order = list(pairings.items())
            for key, fn in order if r % 2 == 0 else reversed(order):
                mock_cpu = proc_usage(self.mock.proc.pid)[0]
                result = fn()
                result["mock_cpu"] = (proc_usage(self.mock.proc.pid)[0] -
                                      mock_cpu)
                self.results[key].append(result)
                log(f"run {r + 1} {key}: " + ", ".join(
                    f"{k} {v:.2f}" for k, v in result.items()))

    def close(self):
        self.mock.close()
        if not self.args.keep:
            shutil.rmtree(self.work, ignore_errors=True)


# ------------------------------------------------------------ REST load


class RestLoad:
    """Concurrent clients (loopback) share a fixed, shuffled list of calls:
    W writes (create, delete, config put, pause, restart) on M connectors
    whose tasks really start and stop, and as many reads (status, config,
    list). Every call's latency is kept; any answer counts (404 and 409
    are expected when a delete races a pause), but a 5xx or a dropped
    connection is reported."""

    WRITES = ("create", "delete", "put", "pause", "restart")
    READS = ("status", "config", "list")

    def __init__(self, bench):
        self.bench = bench
        a = bench.args
        self.clients, self.calls, self.conns = (a.rest_clients, a.rest_calls,
                                                a.rest_connectors)

    def config(self, i):
        b = self.bench
        return {"connector.class": "FileStreamSource", "tasks.max": "1",
                "file": str(b.work / f"rest-{i % 3}.txt"),
                "topic": "rest-topic", "batch.size": str(100 + i)}

    def request(self, op, i):
        name = f"rest-{i}"
        if op == "create":
            return "POST", "/connectors", {"name": name,
                                           "config": self.config(i)}
        if op == "delete":
            return "DELETE", f"/connectors/{name}", None
        if op == "put":
            return "PUT", f"/connectors/{name}/config", self.config(i)
        if op == "pause":
            return "PUT", f"/connectors/{name}/pause", None
        if op == "restart":
            return "POST", f"/connectors/{name}/restart?includeTasks=true", \
                None
        if op == "status":
            return "GET", f"/connectors/{name}/status", None
        if op == "config":
            return "GET", f"/connectors/{name}/config", None
        return "GET", "/connectors", None

    async def call(self, port, method, path, body):
        """One HTTP/1.1 call on a new connection: the status code."""
        data = json.dumps(body).encode() if body is not None else b""
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            head = (f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    f"Connection: close\r\nContent-Length: {len(data)}\r\n")
            if data:
                head += "Content-Type: application/json\r\n"
            writer.write(head.encode() + b"\r\n" + data)
            answer = await reader.read()  # until the server closes
        finally:
            writer.close()
        return int(answer.split(b" ", 2)[1])

    async def clients_run(self, port, it, samples):
        """self.clients concurrent clients in one event loop (threads
        would time Python's GIL hand-offs as much as the server)."""
        async def client():
            for op, i in it:
                method, path, body = self.request(op, i)
                t0 = time.monotonic()
                try:
                    status = await asyncio.wait_for(
                        self.call(port, method, path, body), 60)
                except (OSError, ValueError, IndexError,
                        asyncio.TimeoutError) as e:
                    status = type(e).__name__  # dropped: counted
                samples.append((op, time.monotonic() - t0, status))
        await asyncio.gather(*(client() for _ in range(self.clients)))

    def run(self):
        import random
        b = self.bench
        b.fresh_cluster()
        b.mock.create_topic("rest-topic", 4)
        for i in range(3):
            (b.work / f"rest-{i}.txt").write_text("a line\n" * 100)
        name = b.name("rest")
        props, port = b.worker_props(name, STRING_CONVERTER)
        with open(props, "a") as f:
            f.write(f"rest.connections.max.per.ip={self.clients + 16}\n")
        with open(b.work / f"{name}.stderr.log", "wb") as err:
            proc = spawn([b.standalone, props], b.work, stderr=err,
                         stdout=err)
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    if rest_call(port, "GET", "/")[0] == 200:
                        break
                except OSError:
                    pass
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("rest: worker never answered")
                time.sleep(0.01)
            for i in range(self.conns):
                method, path, body = self.request("put", i)
                status, _ = rest_call(port, method, path, body)
                if status not in (200, 201):
                    raise RuntimeError(f"rest: PUT {path}: {status}")
            rnd = random.Random(13)
            plan = ([(op, rnd.randrange(self.conns)) for op in
                     (rnd.choice(self.WRITES) for _ in range(self.calls))] +
                    [(op, rnd.randrange(self.conns)) for op in
                     (rnd.choice(self.READS) for _ in range(self.calls))])
            rnd.shuffle(plan)
            it = iter(plan)
            samples = []  # (op, seconds, status)
            cpu0 = proc_usage(proc.pid)[0]
            t0 = time.monotonic()
            asyncio.run(self.clients_run(port, it, samples))
            wall = time.monotonic() - t0
            cpu, rss = proc_usage(proc.pid)
        finally:
            stop(proc)
        statuses = {}
        for op, _, st in samples:
            statuses[f"{op} {st}"] = statuses.get(f"{op} {st}", 0) + 1
        res = {"wall": wall, "cpu": cpu - cpu0, "rss_kib": rss,
               "clients": self.clients, "statuses": statuses}
        for kind, ops in (("reads", self.READS), ("writes", self.WRITES)):
            lat = sorted(dt for op, dt, _ in samples if op in ops)
            res[kind] = {"count": len(lat),
                         "p50_ms": lat[len(lat) // 2] * 1e3,
                         "p99_ms": lat[min(len(lat) - 1,
                                           int(len(lat) * 0.99))] * 1e3,
                         "max_ms": lat[-1] * 1e3}
        res["errors"] = sum(1 for _, _, st in samples
                            if isinstance(st, str) or st >= 500)
        log(f"rest: {res}")
        return res

    @staticmethod
    def median(runs):
        """The median of each figure over the runs (each a fresh worker);
        errors are summed, and each p99's range is kept."""
        med = lambda xs: statistics.median(xs)  # noqa: E731
        res = {"runs": len(runs), "clients": runs[0]["clients"],
               "wall": med([r["wall"] for r in runs]),
               "cpu": med([r["cpu"] for r in runs]),
               "errors": sum(r["errors"] for r in runs)}
        for kind in ("reads", "writes"):
            res[kind] = {"count": runs[0][kind]["count"]}
            for f in ("p50_ms", "p99_ms", "max_ms"):
                res[kind][f] = med([r[kind][f] for r in runs])
            p99 = [r[kind]["p99_ms"] for r in runs]
            res[kind]["p99_range_ms"] = (min(p99), max(p99))
        return res


# ---------------------------------------------------------------- report


def machine():
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kib = int(Path("/proc/meminfo").read_text().split()[1])
    try:
        debian = Path("/etc/debian_version").read_text().strip()
    except OSError:
        debian = "?"
    kcat = subprocess.run(["kcat", "-V"], capture_output=True, text=True)
    kcat_v = (kcat.stdout + kcat.stderr).split("Version ")[-1].split()[0]
    return {"nproc": os.cpu_count(), "cpu": cpu,
            "memory_gib": round(mem_kib / 1024 / 1024, 1),
            "debian": debian, "kernel": platform.release(),
            "librdkafka": libversion()[0], "kcat": kcat_v,
            "python_confluent_kafka": ck_version()[0]}


def rtt_suffix(rtt):
    return f"_rtt{rtt}" if rtt else ""


def rows_spec(rtts):
    """label, result key, peer key, phase ("all": whole run; "data": first
    line written -> last line written, i.e. without the group join)."""
    rows = []
    for rtt in rtts:
        sfx = rtt_suffix(rtt)
        at = f", broker RTT {rtt} ms" if rtt else ", plain mock"
        rows += [
            (f"file→Kafka{at}: rdconnect FileStreamSource + StringConverter",
             "source_string" + sfx, "kcat_p" + sfx, "all"),
            (f"file→Kafka{at}: rdconnect FileStreamSource + JsonConverter "
             "(schemas)", "source_json" + sfx, "kcat_p" + sfx, "all"),
            (f"file→Kafka{at}: `kcat -P -l` (acks=all, idempotence)",
             "kcat_p" + sfx, None, "all")]
        if not rtt:
            rows.append((f"file→Kafka{at}: `kcat -P -l` (librdkafka "
                         "defaults, no idempotence)", "kcat_p_default", None,
                         "all"))
    rows += [
        ("Kafka→file, cold start: rdconnect FileStreamSink (joins its "
         "group), whole run", "sink", "kcat_g", "all"),
        ("Kafka→file, cold start: `kcat -G` (joins a group), whole run",
         "kcat_g", None, "all"),
        ("Kafka→file: `kcat -C -e` (no group), whole run", "kcat_c", None,
         "all"),
        ("Kafka→file: rdconnect FileStreamSink, data phase", "sink",
         "kcat_c", "data"),
        ("Kafka→file: `kcat -C -e`, data phase", "kcat_c", None, "data"),
        ("paused sink resumed, idle machine: rdconnect FileStreamSink, "
         "resume → last line", "drain_sink", "drain_kcat_c", "all"),
        ("paused sink resumed, idle machine: `kcat -C -e`", "drain_kcat_c",
         None, "all"),
        ("paused sink resumed, both cores busy: rdconnect FileStreamSink",
         "drain_sink_loaded", "drain_kcat_c_loaded", "all"),
        ("paused sink resumed, both cores busy: `kcat -C -e`",
         "drain_kcat_c_loaded", None, "all"),
    ]
    return rows


def run_time(r, phase):
    return r["wall"] - r["first"] if phase == "data" else r["wall"]


def table_rows(res, bench):
    rows = []
    for label, key, peer, phase in rows_spec(bench.args.rtt):
        if key not in res:
            continue
        n, mb = bench.n, bench.input_bytes / 1e6
        if key.startswith("drain"):
            n = bench.args.drain_lines
            mb = n * (bench.line_bytes + 1) / 1e6
        wall = statistics.median(run_time(r, phase) for r in res[key])
        cpu, rss = (statistics.median(r[k] for r in res[key])
                    for k in ("cpu", "rss_kib"))
        row = {"label": label, "wall_s": wall, "rec_s": n / wall,
               "mb_s": mb / wall, "cpu_s": cpu, "rss_mib": rss / 1024,
               "phase": phase}
        if peer in res:
            row["thr_ratio"] = statistics.median(
                run_time(r, phase) for r in res[peer]) / wall
            row["rss_ratio"] = rss / statistics.median(
                r["rss_kib"] for r in res[peer])
        rows.append(row)
    return rows


def report(bench, elapsed):
    res, n, mb = bench.results, bench.n, bench.input_bytes / 1e6
    rows = table_rows(res, bench)
    m = machine()
    command = " ".join(["/usr/bin/python3", "bench/bench.py", *sys.argv[1:]])
    load = " / ".join(f"{x:.2f}" for x in bench.load_before)
    out = [f"{n:,} lines of {bench.line_bytes} bytes ({mb:.0f} MB), "
           f"{bench.partitions} partitions per topic, one mock broker; "
           f"medians of {bench.args.runs} alternating runs. Load average "
           f"before the run: {load}. Drain: {bench.args.drain_lines:,} "
           f"records in {bench.args.drain_partitions} partitions.", ""]
    if rows:
        out += ["| pipeline | wall s | records/s | MB/s | CPU s | "
                "peak RSS MiB | throughput ÷ kcat | peak RSS ÷ kcat |",
                "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        whole = r["phase"] == "all"  # CPU and RSS are whole-run figures
        thr = f"{r['thr_ratio']:.2f}×" if "thr_ratio" in r else ""
        rss = f"{r['rss_ratio']:.2f}×" if "rss_ratio" in r and whole else ""
        cpu = f"{r['cpu_s']:.2f}" if whole else ""
        mib = f"{r['rss_mib']:.1f}" if whole else ""
        out.append(f"| {r['label']} | {r['wall_s']:.2f} | "
                   f"{r['rec_s']:,.0f} | {r['mb_s']:.1f} | {cpu} | {mib} | "
                   f"{thr} | {rss} |")
    out.append("")
    if "latency" in res:
        lat = res["latency"]
        out.append(f"Tail latency (line appended → record consumed), "
                   f"{lat['count']} lines {bench.args.latency_gap_ms:g} ms "
                   f"apart: p50 {lat['p50_ms']:.1f} ms, p99 "
                   f"{lat['p99_ms']:.1f} ms, max {lat['max_ms']:.1f} ms.")
    if "startup_ms" in res:
        st = res["startup_ms"]
        out.append(f"Start-up (exec → REST `GET /` answers 200), {len(st)} "
                   f"starts: median {statistics.median(st):.1f} ms, max "
                   f"{max(st):.1f} ms.")
    if "rest" in res:
        rr = res["rest"]
        out.append(
            f"REST, {rr['clients']} concurrent clients, "
            f"{rr['writes']['count']} writes (create/delete/config/pause/"
            f"restart) and {rr['reads']['count']} reads (status/config/list) "
            f"on {bench.args.rest_connectors} connectors, medians of "
            f"{rr['runs']} runs: "
            f"{rr['wall']:.1f} s; reads p50 {rr['reads']['p50_ms']:.1f} ms, "
            f"p99 {rr['reads']['p99_ms']:.1f} ms (runs "
            f"{rr['reads']['p99_range_ms'][0]:.0f}–"
            f"{rr['reads']['p99_range_ms'][1]:.0f}), max "
            f"{rr['reads']['max_ms']:.1f} ms; writes p50 "
            f"{rr['writes']['p50_ms']:.1f} ms, p99 "
            f"{rr['writes']['p99_ms']:.1f} ms (runs "
            f"{rr['writes']['p99_range_ms'][0]:.0f}–"
            f"{rr['writes']['p99_range_ms'][1]:.0f}), max "
            f"{rr['writes']['max_ms']:.1f} ms; {rr['errors']} 5xx or "
            f"dropped; worker CPU {rr['cpu']:.2f} s.")
    out += ["",
            f"Machine: {m['nproc']} CPUs ({m['cpu']}), {m['memory_gib']} "
            f"GiB RAM, Debian {m['debian']} (kernel {m['kernel']}), "
            f"librdkafka {m['librdkafka']}, kcat {m['kcat']}.",
            f"Command: `{command}` ({elapsed:.0f} s)."]
    text = "\n".join(out) + "\n"
    print(text)
    outdir = Path(bench.args.out)
    outdir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    (outdir / f"results-{stamp}.md").write_text(text)
    (outdir / f"results-{stamp}.json").write_text(json.dumps(
        {"machine": m, "lines": n, "line_bytes": bench.line_bytes,
         "partitions": bench.partitions, "runs": bench.args.runs,
         "argv": sys.argv[1:], "rows": rows, "raw": res}, indent=1) + "\n")
    log(f"wrote {outdir}/results-{stamp}.md and .json")


def main():
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--lines", type=int, default=1_000_000)
    p.add_argument("--line-bytes", type=int, default=100,
                   help="bytes per line, newline excluded (>= 20)")
    p.add_argument("--runs", type=int, default=5,
                   help="alternating runs per pairing")
    p.add_argument("--partitions", type=int, default=0,
                   help="partitions per topic (default: enough that the "
                        "mock keeps every record)")
    p.add_argument("--rtt", default="0,1,5",
                   help="broker round-trip times (ms) of the source runs")
    p.add_argument("--drain-lines", type=int, default=300_000)
    p.add_argument("--drain-partitions", type=int, default=16)
    p.add_argument("--rest-clients", type=int, default=200)
    p.add_argument("--rest-calls", type=int, default=3000,
                   help="writes (and as many reads) of the REST load")
    p.add_argument("--rest-connectors", type=int, default=30)
    p.add_argument("--latency-lines", type=int, default=1000)
    p.add_argument("--latency-gap-ms", type=float, default=5.0)
    p.add_argument("--only", help="comma-separated subset of: " +
                   ", ".join(PARTS))
    p.add_argument("--build-dir", default=str(SOURCE_DIR / "build-bench"))
    p.add_argument("--out", default=str(SOURCE_DIR / "bench" / "results"))
    p.add_argument("--timeout", type=float, default=300,
                   help="seconds one run may take")
    p.add_argument("--keep", action="store_true",
                   help="keep the work directory (configs, logs)")
    args = p.parse_args()
    args.rtt = [int(x) for x in args.rtt.split(",") if x != ""]
    if args.drain_lines > args.lines:
        args.lines = args.drain_lines  # the drain input comes from it
    if args.line_bytes < 20 or args.lines < 1 or args.runs < 1:
        p.error("needs --line-bytes >= 20, --lines >= 1, --runs >= 1")
    if args.only and not set(args.only.split(",")) <= set(PARTS):
        p.error(f"--only takes: {', '.join(PARTS)}")
    t0 = time.monotonic()
    bench = Bench(args)
    try:
        bench.run()
        report(bench, time.monotonic() - t0)
    finally:
        bench.close()


if __name__ == "__main__":
    main()
