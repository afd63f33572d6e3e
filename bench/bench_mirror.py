#!/usr/bin/python3
"""connect-mirror-maker (MirrorMaker 1 flags) against a kcat pipe, A -> B.

    /usr/bin/python3 bench/bench_mirror.py [--records N] [--runs K]
                                           [--build-dir DIR]

Runs on demand only (never from ctest). Each run gets a fresh
rdc-mock-cluster with two clusters (A and B, one broker each) and one
8-partition topic on A holding N records of 100 bytes (the mock keeps
about 5 MB per partition). Then either

  mm    connect-mirror-maker --consumer.config C --producer.config P
        --whitelist bench (consumer group, auto.offset.reset=earliest), or
  kcat  kcat -C -b A -t bench -e -q | kcat -P -b B -t bench (values only:
        kcat's text pipe cannot carry keys, headers or partitions; the
        producer with acks=all and idempotence, as rdconnect's)

copies them to B. Time: from the first record on B to the last (B's high
watermarks polled every 10 ms), so that a group join or a process start is
not counted as mirroring speed. Peak RSS: /usr/bin/time's maximum resident
size of each process (the two kcats summed). The kinds alternate; the
figures are medians. Only the ratio against kcat in the same run means
anything.
"""

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from confluent_kafka import Consumer, Producer, TopicPartition

SOURCE_DIR = Path(__file__).resolve().parents[1]
PARTITIONS = 8
TOPIC = "bench"
KCAT_SAFE = ["-X", "acks=all", "-X", "enable.idempotence=true"]


def log(msg):
    print(msg, file=sys.stderr, flush=True)


class Mock:
    def __init__(self, binary, workdir):
        self.err = open(workdir / "mock.log", "wb")
        self.proc = subprocess.Popen(
            [str(binary), "--clusters", "2",
             "--topic", f"0@{TOPIC}:{PARTITIONS}",
             "--topic", f"1@{TOPIC}:{PARTITIONS}"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.err)
        self.bootstraps = []
        for n in range(2):
            words = self.proc.stdout.readline().decode().split()
            assert words[:2] == ["BOOTSTRAP", str(n)], words
            self.bootstraps.append(words[2])

    def stop(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=30)
        self.err.close()


def fill(bootstrap, count):
    p = Producer({"bootstrap.servers": bootstrap, "linger.ms": 50,
                  "queue.buffering.max.messages": 1000000})
    value = b"x" * 100
    for i in range(count):
        while True:
            try:
                p.produce(TOPIC, value=value, key=b"k%07d" % i,
                          partition=i % PARTITIONS)
                break
            except BufferError:
                p.poll(0.1)
        if i % 10000 == 0:
            p.poll(0)
    assert p.flush(120) == 0


def high_sum(consumer):
    total = 0
    for part in range(PARTITIONS):
        _, high = consumer.get_watermark_offsets(
            TopicPartition(TOPIC, part), timeout=10, cached=False)
        total += high
    return total


def time_arrival(bootstrap, count, procs, timeout=300):
    """(seconds from the first record on B to the last) or None."""
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "bench-watch"})
    first = None
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            n = high_sum(c)
            now = time.monotonic()
            if n and first is None:
                first = now
            if n >= count:
                # Records written twice (a rebalance between streams)
                # would reach the count early: wait, then count them.
                time.sleep(2)
                dups = high_sum(c) - count
                if dups:
                    log(f"  {dups} record(s) written twice")
                return now - first
            if any(p.poll() is not None and p.returncode != 0
                   for p in procs):
                return None
            time.sleep(0.01)
    finally:
        c.close()
    return None


def timed(argv, out_path, **kw):
    """argv under /usr/bin/time writing max RSS (KB) to out_path."""
    return subprocess.Popen(["/usr/bin/time", "-f", "%M", "-o",
                             str(out_path), *map(str, argv)], **kw)


def max_rss_kb(path):
    return int(path.read_text().split()[-1])


def run_mm(build, workdir, a, b, count, streams):
    (workdir / "c.properties").write_text(
        f"bootstrap.servers={a}\ngroup.id=bench\n"
        "auto.offset.reset=earliest\n"
        "partition.assignment.strategy="
        "org.apache.kafka.clients.consumer.RoundRobinAssignor\n")
    (workdir / "p.properties").write_text(f"bootstrap.servers={b}\n")
    log_file = open(workdir / "mm.log", "wb")
    proc = timed([build / "bin" / "connect-mirror-maker", "--consumer.config",
                  workdir / "c.properties", "--producer.config",
                  workdir / "p.properties", "--whitelist", TOPIC,
                  "--num.streams", streams],
                 workdir / "mm.rss", stdout=log_file, stderr=log_file)
    secs = time_arrival(b, count, [proc])
    # /usr/bin/time ignores SIGINT while it waits: signal its child.
    children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text()
    for pid in children.split():
        subprocess.run(["kill", "-TERM", pid])
    proc.wait(timeout=60)
    log_file.close()
    return secs, max_rss_kb(workdir / "mm.rss")


def run_kcat(workdir, a, b, count):
    cons = timed(["kcat", "-C", "-b", a, "-t", TOPIC, "-e", "-q", "-o",
                  "beginning"], workdir / "kc.rss", stdout=subprocess.PIPE,
                 stderr=subprocess.DEVNULL)
    prod = timed(["kcat", "-P", "-b", b, "-t", TOPIC, *KCAT_SAFE],
                 workdir / "kp.rss", stdin=cons.stdout,
                 stderr=subprocess.DEVNULL)
    cons.stdout.close()
    secs = time_arrival(b, count, [cons, prod])
    cons.wait(timeout=60)
    prod.wait(timeout=60)
    return secs, max_rss_kb(workdir / "kc.rss") + \
        max_rss_kb(workdir / "kp.rss")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=300000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--streams", type=int, default=1,
                    help="connect-mirror-maker --num.streams (MM1: 1)")
    ap.add_argument("--build-dir", type=Path,
                    default=SOURCE_DIR / "build-bench")
    args = ap.parse_args()
    mock_bin = args.build_dir / "tests" / "rdc-mock-cluster"
    results = {"mm": [], "kcat": []}
    for i in range(args.runs):
        for kind in ("mm", "kcat") if i % 2 == 0 else ("kcat", "mm"):
            with tempfile.TemporaryDirectory() as d:
                workdir = Path(d)
                mock = Mock(mock_bin, workdir)
                a, b = mock.bootstraps
                try:
                    fill(a, args.records)
                    secs, rss = (run_mm(args.build_dir, workdir, a, b,
                                        args.records, args.streams)
                                 if kind == "mm"
                                 else run_kcat(workdir, a, b, args.records))
                finally:
                    mock.stop()
            if secs is None:
                sys.exit(f"{kind} run {i} did not finish")
            rate = args.records / secs if secs else float("inf")
            log(f"run {i} {kind}: {secs:.3f} s ({rate:,.0f} rec/s), "
                f"peak RSS {rss / 1024:.1f} MB")
            results[kind].append((rate, rss))
    med = {k: (statistics.median(r for r, _ in v),
               statistics.median(m for _, m in v)) for k, v in results.items()}
    print(f"records {args.records} x 100 B, {PARTITIONS} partitions, "
          f"{args.runs} runs each, --num.streams {args.streams}, medians")
    for kind, (rate, rss) in med.items():
        print(f"  {kind:5s} {rate:12,.0f} rec/s   peak RSS {rss / 1024:6.1f} MB")
    print(f"  throughput mm/kcat {med['mm'][0] / med['kcat'][0]:.2f}x "
          f"(target >= 1.5x); RSS mm/kcat "
          f"{med['mm'][1] / med['kcat'][1]:.2f}x (target <= 2x)")


if __name__ == "__main__":
    main()
