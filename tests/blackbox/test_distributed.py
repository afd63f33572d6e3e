"""connect-distributed: several workers of one group on the mock cluster.

The documents' example as written, statuses from any worker, the work
spread over the workers, a graceful stop that hands work over, a restart
of the whole cluster, and internal topics written by Apache Kafka Connect
(its exact bytes, produced by the test) taken over.
"""

import json

from confluent_kafka import Producer

import harness
from distributed_helpers import CONFIG_TOPIC, OFFSET_TOPIC, timed, values
from harness import (STRING_CONVERTER, file_source, numbered_lines,
                     topic_record_count, wait_until, write_lines)


def test_documents_example(cluster, tmp_path):
    """The distributed example Kafka users learn from, as written: a worker
    file with bootstrap.servers, group.id and the converters; the POST
    body with its converter.internal.* keys; lines appended reach the
    topic; DELETE removes the connector everywhere."""
    c = cluster(props={"session.timeout.ms": None,
                       "heartbeat.interval.ms": None,
                       "offset.flush.interval.ms": None,
                       "consumer.session.timeout.ms": None,
                       "consumer.heartbeat.interval.ms": None})
    workers = c.start(3)
    source = tmp_path / "distribute-source.txt"
    write_lines(source, [])
    body = ('{"name":"local-file-distribute-source","config":{"topic":'
            '"topic-distribute-source","connector.class":"FileStreamSource",'
            '"key.converter":"org.apache.kafka.connect.storage.'
            'StringConverter","value.converter":"org.apache.kafka.connect.'
            'storage.StringConverter","converter.internal.key.converter":'
            '"org.apache.kafka.connect.storage.StringConverter",'
            '"converter.internal.value.converter":"org.apache.kafka.'
            'connect.storage.StringConverter","file":"' + str(source) +
            '"}}')
    r = c.leader().rest("POST", "/connectors", data=body,
                        headers={"Content-Type": "application/json"})
    assert r.status_code == 201, r.text
    assert r.json()["name"] == "local-file-distribute-source"
    assert c.wait_running("local-file-distribute-source", 1), c.logs()
    lines = numbered_lines(0, 200)
    write_lines(source, lines)
    assert wait_until(lambda: topic_record_count(
        c.bootstrap, "topic-distribute-source") >= 200, timeout=60)
    assert sorted(values(c.bootstrap, "topic-distribute-source")) == lines
    # Every worker answers for it.
    for w in workers:
        assert w.rest("GET", "/connectors").json() == [
            "local-file-distribute-source"]
    r = c.leader().rest("DELETE",
                        "/connectors/local-file-distribute-source")
    assert r.status_code == 204, r.text
    for w in workers:
        assert wait_until(lambda: w.rest("GET", "/connectors").json() == [])
        assert w.rest("GET", "/connectors/local-file-distribute-source/"
                      "status").status_code == 404
    # Nothing runs it any more: new lines stay in the file.
    write_lines(source, numbered_lines(200, 10), mode="a")
    assert not wait_until(lambda: topic_record_count(
        c.bootstrap, "topic-distribute-source") > 200, timeout=4)


def test_work_is_spread_and_statuses_come_from_any_worker(cluster,
                                                           tmp_path):
    """Three connectors on three workers: one each (balanced); every
    worker's status answer names the worker that really runs each one."""
    c = cluster()
    workers = c.start(3)
    for i in range(3):
        path = tmp_path / f"in{i}.txt"
        write_lines(path, numbered_lines(0, 10, prefix=f"c{i}-"))
        r = c.leader().rest("POST", "/connectors", json={
            "name": f"src{i}",
            "config": file_source(f"src{i}", path, f"spread{i}")})
        assert r.status_code == 201, r.text
    owners = {}
    for i in range(3):
        st = c.wait_running(f"src{i}", 1)
        assert st, c.logs()
        owners[f"src{i}"] = st["tasks"][0]["worker_id"]
    ids = {w.worker_id for w in workers}
    assert set(owners.values()) <= ids
    # Connectors and tasks are balanced separately: 3 tasks, 3 workers.
    assert len(set(owners.values())) == 3, owners
    for w in workers:
        for name, owner in owners.items():
            st = w.rest("GET", f"/connectors/{name}/status").json()
            assert st["tasks"][0]["worker_id"] == owner
            assert st["tasks"][0]["state"] == "RUNNING"
    for i in range(3):
        assert wait_until(lambda: topic_record_count(
            c.bootstrap, f"spread{i}") == 10, timeout=30)


def test_graceful_stop_hands_work_over(cluster, tmp_path):
    """SIGTERM of the worker that runs a source: a survivor runs it next
    (the leaving worker says so: no wait for the group), and every line
    arrives, none lost."""
    c = cluster()
    c.start(2)
    path = tmp_path / "in.txt"
    write_lines(path, numbered_lines(0, 100))
    r = c.leader().rest("POST", "/connectors", json={
        "name": "src", "config": file_source("src", path, "handover")})
    assert r.status_code == 201, r.text
    st = c.wait_running("src", 1)
    assert st, c.logs()
    owner = next(w for w in c.workers
                 if w.worker_id == st["tasks"][0]["worker_id"])
    other = next(w for w in c.workers if w is not owner)
    assert wait_until(lambda: topic_record_count(c.bootstrap,
                                                 "handover") == 100)
    write_lines(path, numbered_lines(100, 50), mode="a")
    assert owner.stop() == 0
    _, took = timed(lambda: c.wait_running("src", 1, via=other,
                                           on=[other.worker_id]))
    print(f"graceful handover: {took:.2f} s")
    assert c.wait_running("src", 1, via=other, on=[other.worker_id])
    write_lines(path, numbered_lines(150, 50), mode="a")
    assert wait_until(lambda: topic_record_count(c.bootstrap,
                                                 "handover") >= 200,
                      timeout=30)
    got = values(c.bootstrap, "handover")
    assert set(got) == set(numbered_lines(0, 200))
    print(f"duplicates: {len(got) - 200}")


def test_whole_cluster_restart_keeps_connectors_states_and_offsets(
        cluster, tmp_path):
    """Every worker stops; when they come back, the connectors, a PAUSED
    target state and the source offsets are back: lines already sent are
    not sent again."""
    c = cluster()
    workers = c.start(2)
    run, paused = tmp_path / "run.txt", tmp_path / "paused.txt"
    write_lines(run, numbered_lines(0, 50))
    write_lines(paused, numbered_lines(0, 5))
    lead = c.leader()
    for name, path in (("run", run), ("paused", paused)):
        r = lead.rest("POST", "/connectors", json={
            "name": name, "config": file_source(name, path, f"t-{name}")})
        assert r.status_code == 201, r.text
    assert c.wait_running("run", 1) and c.wait_running("paused", 1)
    assert wait_until(lambda: topic_record_count(c.bootstrap,
                                                 "t-run") == 50)
    assert lead.rest("PUT", "/connectors/paused/pause").status_code == 202
    assert wait_until(lambda: c.status("paused")["connector"]["state"] ==
                      "PAUSED")
    for w in workers:
        assert w.stop() == 0
    write_lines(run, numbered_lines(50, 20), mode="a")
    for w in workers:
        w.start()
    for w in workers:
        w.in_group()
    c.settled()
    assert c.wait_running("run", 1, timeout=60), c.logs()
    assert wait_until(lambda: topic_record_count(c.bootstrap,
                                                 "t-run") >= 70, timeout=30)
    assert sorted(values(c.bootstrap, "t-run")) == numbered_lines(0, 70)
    st = wait_until(lambda: (s := c.status("paused")) and
                    s["connector"]["state"] == "PAUSED" and s)
    assert st, c.status("paused")
    assert sorted(workers[0].rest("GET", "/connectors").json()) == [
        "paused", "run"]


def produce_raw(bootstrap, topic, records):
    p = Producer({"bootstrap.servers": bootstrap})
    for key, value in records:
        p.produce(topic, key=key, value=value)
    assert p.flush(10) == 0


def murmur2_partition(key, partitions):
    """Kafka's default partitioner (Utils.murmur2, toPositive)."""
    data = key.encode()
    length = len(data)
    seed, m, r = 0x9747b28c, 0x5bd1e995, 24
    h = (seed ^ length) & 0xffffffff
    for i in range(length // 4):
        k = int.from_bytes(data[4 * i:4 * i + 4], "little")
        k = (k * m) & 0xffffffff
        k ^= k >> r
        k = (k * m) & 0xffffffff
        h = (h * m) & 0xffffffff
        h ^= k
    rest = length % 4
    tail = data[length - rest:]
    if rest == 3:
        h ^= tail[2] << 16
    if rest >= 2:
        h ^= tail[1] << 8
    if rest >= 1:
        h ^= tail[0]
        h = (h * m) & 0xffffffff
    h ^= h >> 13
    h = (h * m) & 0xffffffff
    h ^= h >> 15
    return (h & 0x7fffffff) % partitions


def test_topics_written_by_apache_kafka_connect_are_taken_over(cluster,
                                                               tmp_path):
    """Internal topics pre-filled with Apache Kafka Connect's own bytes
    (a connector, its task, the commit, a target state, a source offset):
    rdconnect workers run the connector from the stored position, so only
    the lines after it are sent."""
    c = cluster()
    path = tmp_path / "java.txt"
    lines = numbered_lines(0, 30)
    write_lines(path, lines)
    done = sum(len(x.encode()) + 1 for x in lines[:20])  # bytes of 20 lines
    conf = {"connector.class": "FileStreamSource", "file": str(path),
            "topic": "java-topic", "tasks.max": "1", "name": "java-src",
            "key.converter": STRING_CONVERTER,
            "value.converter": STRING_CONVERTER}
    task = dict(conf, **{
        "task.class": "org.apache.kafka.connect.file.FileStreamSourceTask"})
    produce_raw(c.bootstrap, CONFIG_TOPIC, [
        ("connector-java-src", json.dumps({"properties": conf})),
        ("task-java-src-0", json.dumps({"properties": task})),
        ("commit-java-src", '{"tasks":1}'),
        ("target-state-java-src",
         '{"state":"STARTED","state.v2":"STARTED"}'),
    ])
    key = json.dumps(["java-src", {"filename": str(path)}],
                     separators=(",", ":"))
    p = Producer({"bootstrap.servers": c.bootstrap})
    p.produce(OFFSET_TOPIC, key=key, value=json.dumps({"position": done}),
              partition=murmur2_partition(key, 25))
    assert p.flush(10) == 0
    c.start(2)
    st = c.wait_running("java-src", 1, timeout=60)
    assert st, c.logs()
    assert wait_until(lambda: topic_record_count(c.bootstrap,
                                                 "java-topic") >= 10)
    assert sorted(values(c.bootstrap, "java-topic")) == lines[20:]
    got = c.workers[0].rest("GET", "/connectors/java-src/config").json()
    assert got == conf


def test_writes_on_any_worker(cluster, tmp_path):
    """Every write may go to any worker: a follower forwards it to the
    leader (Kafka's forwarding) and answers with the leader's answer;
    create, pause, resume, stop, the offsets API and delete on a follower,
    then the same reads on every worker."""
    c = cluster()
    c.start(3)
    follower = c.followers()[0]
    path = tmp_path / "in.txt"
    write_lines(path, numbered_lines(0, 20))
    r = follower.rest("POST", "/connectors", json={
        "name": "fwd", "config": file_source("fwd", path, "fwd-topic")})
    assert r.status_code == 201, r.text
    assert r.json()["name"] == "fwd"
    assert r.headers["Location"] == f"{follower.url}/connectors/fwd"
    assert c.wait_running("fwd", 1)
    assert wait_until(lambda: topic_record_count(c.bootstrap,
                                                 "fwd-topic") == 20)
    r = follower.rest("POST", "/connectors", json={
        "name": "fwd", "config": file_source("fwd", path, "fwd-topic")})
    assert r.status_code == 409, r.text
    assert r.json() == {"error_code": 409,
                        "message": "Connector fwd already exists"}
    assert follower.rest("PUT", "/connectors/fwd/pause").status_code == 202
    for w in c.workers:
        assert wait_until(lambda: w.rest("GET", "/connectors/fwd/status")
                          .json()["connector"]["state"] == "PAUSED")
    assert follower.rest("PUT", "/connectors/fwd/stop").status_code == 204
    assert wait_until(lambda: c.status("fwd")["connector"]["state"] ==
                      "STOPPED")
    # Offsets: read on any worker, altered through a follower.
    key = {"filename": str(path)}
    got = follower.rest("GET", "/connectors/fwd/offsets").json()
    assert got == {"offsets": [{"partition": key, "offset": {
        "position": sum(len(x.encode()) + 1 for x in
                        numbered_lines(0, 20))}}]}, got
    r = follower.rest("PATCH", "/connectors/fwd/offsets", json={
        "offsets": [{"partition": key, "offset": {"position": 0}}]})
    assert r.status_code == 200, r.text
    for w in c.workers:
        assert wait_until(lambda: w.rest("GET", "/connectors/fwd/offsets")
                          .json()["offsets"][0]["offset"] == {"position": 0})
    assert follower.rest("PUT", "/connectors/fwd/resume").status_code == 202
    assert c.wait_running("fwd", 1)
    # Read from position 0 again: every line a second time.
    assert wait_until(lambda: topic_record_count(c.bootstrap,
                                                 "fwd-topic") == 40)
    assert follower.rest("DELETE", "/connectors/fwd").status_code == 204
    for w in c.workers:
        assert wait_until(lambda: w.rest("GET", "/connectors").json() == [])


def test_restart_plan_across_workers(cluster, tmp_path):
    """POST .../restart?includeTasks=true&onlyFailed=true on any worker:
    the leader answers with the plan (the failed task RESTARTING) and the
    worker that runs the failed task restarts it; the others keep
    running."""
    fail = tmp_path / "fail-now"
    fail.write_text("")
    c = cluster(props={
        "plugin.path": f"{harness.PLUGINS_DIR},{harness.TEST_PLUGINS_GOOD_DIR}",
        "task.restart.enable": "false"})
    c.start(3)
    r = c.followers()[0].rest("POST", "/connectors", json={
        "name": "ts", "config": {
            "connector.class": "TestSource", "tasks.max": "3",
            "topic": "ts-topic", "test.records": "5",
            "test.fail.while.file": str(fail), "test.fail.task": "1"}})
    assert r.status_code == 201, r.text

    def states():
        st = c.status("ts")
        return st and [t["state"] for t in sorted(st["tasks"],
                                                   key=lambda t: t["id"])]
    assert wait_until(lambda: states() == ["RUNNING", "FAILED", "RUNNING"],
                      timeout=60), c.status("ts")
    owners = {t["id"]: t["worker_id"] for t in c.status("ts")["tasks"]}
    assert len(set(owners.values())) == 3, owners
    fail.unlink()
    asker = next(w for w in c.workers if w.worker_id != owners[1])
    r = asker.rest("POST",
                   "/connectors/ts/restart?includeTasks=true&onlyFailed=true")
    assert r.status_code == 202, r.text
    body = r.json()
    assert body["connector"]["state"] == "RUNNING"
    assert [(t["id"], t["state"], t["worker_id"]) for t in
            sorted(body["tasks"], key=lambda t: t["id"])] == [
        (0, "RUNNING", owners[0]), (1, "RESTARTING", owners[1]),
        (2, "RUNNING", owners[2])]
    assert wait_until(lambda: states() == ["RUNNING"] * 3, timeout=60), \
        c.status("ts")
    assert {t["id"]: t["worker_id"] for t in c.status("ts")["tasks"]} == \
        owners
    runner = next(w for w in c.workers if w.worker_id == owners[1])
    assert runner.log_lines_matching(r"\[ts\] Restarting what this worker")
    assert wait_until(lambda: topic_record_count(c.bootstrap,
                                                 "ts-topic") >= 15)
