"""A plugin that crashes the worker (CrashSource, tests/plugins) takes the
process down, as it must: plugins share it. What follows is checked here:
one ERROR line names the signal, connector, task and plugin file, a
backtrace follows, the exit status is the signal's; the crash is recorded,
and after crash.task.limit crashes the restarted worker keeps that task
FAILED instead of crash-looping, while the other connectors run. A REST
restart of the task clears its record."""

import os
import re
import signal
import subprocess

import pytest
import requests

from harness import (PLUGINS_DIR, TEST_PLUGINS_GOOD_DIR, connector,
                     consume_all, file_source, numbered_lines, wait_until,
                     write_lines)
from rest_helpers import (LISTENING_RE, TIMEOUT, Rest, rest_worker, status,
                          stays, wait_state, wait_task)

PLUGIN_PATH = f"{PLUGINS_DIR},{TEST_PLUGINS_GOOD_DIR}"
CRASH_SO = os.path.realpath(TEST_PLUGINS_GOOD_DIR / "crash_source.so")
CRASH_LINE = re.compile(r"^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}\] ERROR "
                        r"\[(?P<scope>[^\]]*)\] Worker crashed: (?P<sig>SIG\w+)"
                        r".*$", re.MULTILINE)


def crasher(flag, extra=None):
    """CrashSource crashing on its 4th poll while flag exists."""
    return connector("crasher", "CrashSource", {
        "topic": "crash-topic", "test.crash.after": "3",
        "test.crash.while.file": str(flag), **(extra or {})})


def wait_exit(w, timeout=60):
    try:
        return w.proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        raise AssertionError(f"worker still running after {timeout}s; log:\n"
                             f"{w.log_text()[-3000:]}") from None


def assert_crash_reported(w, sig_name, connector_name="crasher"):
    """The run died of sig_name with one crash line and a backtrace."""
    rc = wait_exit(w)
    assert rc == -getattr(signal, sig_name), \
        f"exit status {rc}, expected death by {sig_name}"
    log = w.log_text()
    lines = CRASH_LINE.findall(log)
    assert len(lines) == 1, f"expected one crash line, got:\n{log[-3000:]}"
    match = CRASH_LINE.search(log)
    line = match.group(0)
    assert match.group("scope") == f"{connector_name}|task-0", line
    assert match.group("sig") == sig_name, line
    assert f"connector {connector_name} task 0" in line, line
    assert f"plugin {CRASH_SO}" in line, line
    assert line.endswith(" (crash)"), line
    # The backtrace: frames after the line, one of them in the plugin.
    after = log[match.end():].strip().splitlines()
    assert len(after) >= 3, f"no backtrace after the crash line:\n{log}"
    assert any("crash_source.so" in frame for frame in after), after
    return line


def restart(w):
    w.restart()
    match = w.wait_for_log(LISTENING_RE, timeout=TIMEOUT)
    return Rest(match.group(1))


def values_of(bootstrap, topic):
    return [v.decode() for _, v, _ in consume_all(bootstrap, topic)]


def test_crash_named_recorded_and_not_looped(tmp_path, mock_cluster, worker):
    mock_cluster.create_topic("healthy-topic", 1)
    mock_cluster.create_topic("crash-topic", 1)
    flag = tmp_path / "crash.flag"
    flag.write_text("crash while this file exists\n")
    healthy_file = tmp_path / "healthy.txt"
    lines = numbered_lines(0, 40)
    write_lines(healthy_file, lines[:20])
    w, _ = rest_worker(worker, [file_source("healthy", healthy_file,
                                            "healthy-topic"), crasher(flag)],
                       {"plugin.path": PLUGIN_PATH})

    # The default limit is 3: three runs die, each naming the culprit.
    assert_crash_reported(w, "SIGSEGV")
    records = tmp_path / "worker.offsets.crashes"  # the default location
    assert records.exists(), "no crash record file beside the offsets"
    for _ in range(2):
        restart(w)
        assert_crash_reported(w, "SIGSEGV")
    assert len(records.read_text().splitlines()) == 3

    # The fourth run stays up: the task is FAILED, the rest runs.
    rest = restart(w)
    rest.wait_healthy()
    task = wait_task(rest, "crasher", 0, lambda t: t["state"] == "FAILED",
                     "FAILED")
    assert task["trace"].startswith(
        f"crashed the worker 3 times (signal SIGSEGV in plugin {CRASH_SO}); "
        f"restart it over REST to try again"), task["trace"]
    wait_state(rest, "healthy", "RUNNING", ["RUNNING"])
    assert wait_until(lambda: set(lines[:20]) <= set(values_of(
        mock_cluster.bootstrap, "healthy-topic")), timeout=60)
    write_lines(healthy_file, lines[20:], mode="a")
    assert wait_until(lambda: set(lines) <= set(values_of(
        mock_cluster.bootstrap, "healthy-topic")), timeout=60), \
        "the healthy connector does not move new data"
    assert stays(lambda: w.running() and
                 status(rest, "crasher")["tasks"][0]["state"] == "FAILED",
                 3) is None, "the refused task did not stay FAILED"

    # A REST restart clears the record and starts the task: it crashes
    # again (the flag is still there).
    r = rest.post("/connectors/crasher/tasks/0/restart")
    assert r.status_code == 204, r.text
    assert_crash_reported(w, "SIGSEGV")

    # Cleared means cleared for good: with one crash on record (not four)
    # the next run starts the task, which now runs cleanly.
    flag.unlink()
    rest = restart(w)
    wait_state(rest, "crasher", "RUNNING", ["RUNNING"])
    assert wait_until(lambda: len(values_of(mock_cluster.bootstrap,
                                            "crash-topic")) >= 20,
                      timeout=60), "the restarted task does not produce"
    assert w.stop() == 0


def test_limit_key_and_connector_restart(tmp_path, mock_cluster, worker):
    """crash.task.limit and crash.record.file are honoured; restarting the
    connector with includeTasks&onlyFailed clears the record as well."""
    mock_cluster.create_topic("crash-topic", 1)
    flag = tmp_path / "crash.flag"
    flag.write_text("x\n")
    records = tmp_path / "elsewhere" / "crashes.log"
    records.parent.mkdir()
    w, _ = rest_worker(worker, [crasher(flag)], {
        "plugin.path": PLUGIN_PATH, "crash.task.limit": "1",
        "crash.record.file": str(records)})
    assert_crash_reported(w, "SIGSEGV")
    assert records.read_text().startswith("RDC-CRASH 1 ")
    assert not (tmp_path / "worker.offsets.crashes").exists()

    rest = restart(w)
    task = wait_task(rest, "crasher", 0, lambda t: t["state"] == "FAILED",
                     "FAILED")
    assert task["trace"].startswith("crashed the worker 1 times"), task
    assert w.log_lines_matching(r"ERROR", r"crasher",
                                r"Task 0 not started: crashed the worker")

    flag.unlink()
    r = rest.post("/connectors/crasher/restart",
                  params={"includeTasks": "true", "onlyFailed": "true"})
    assert r.status_code == 202, r.text
    wait_state(rest, "crasher", "RUNNING", ["RUNNING"])
    assert w.stop() == 0
    rest = restart(w)
    wait_state(rest, "crasher", "RUNNING", ["RUNNING"])
    assert w.stop() == 0


@pytest.mark.parametrize("kind,sig_name", [("abort", "SIGABRT"),
                                           ("bus", "SIGBUS"),
                                           ("overflow", "SIGSEGV")])
def test_other_crash_kinds(tmp_path, mock_cluster, worker, kind, sig_name):
    """abort(), a bus error, and a stack overflow on the task thread (the
    handler runs on the thread's alternate stack) are all reported."""
    mock_cluster.create_topic("crash-topic", 1)
    flag = tmp_path / "crash.flag"
    flag.write_text("x\n")
    w, _ = rest_worker(worker, [crasher(flag, {"test.crash.kind": kind})],
                       {"plugin.path": PLUGIN_PATH})
    assert_crash_reported(w, sig_name)
    record = (tmp_path / "worker.offsets.crashes").read_text()
    assert f" {getattr(signal, sig_name).value} 0 7 crasher " in record, \
        record


def test_crash_while_loading_names_the_plugin(tmp_path, worker, monkeypatch):
    """A plugin whose constructor crashes kills the worker inside dlopen,
    before any connector exists: the line names the file being loaded."""
    monkeypatch.setenv("RDC_TEST_CRASH_ON_LOAD", "segv")
    w = worker([], {"plugin.path": PLUGIN_PATH})
    assert wait_exit(w) == -signal.SIGSEGV
    lines = [line for line in w.log_text().splitlines()
             if "Worker crashed" in line]
    assert len(lines) == 1, w.log_text()[-3000:]
    assert re.match(r"^\[[-\d :,]+\] ERROR Worker crashed: SIGSEGV \(.*\) "
                    r"while loading plugin " + re.escape(CRASH_SO) + ";",
                    lines[0]), lines[0]


def test_connector_instance_crash_is_named_and_not_looped(tmp_path, worker):
    """A connector instance crashing on the herder's thread (in create):
    the line names the connector, the crash is recorded, and after
    crash.task.limit crashes the worker keeps that connector FAILED
    instead of crash-looping; a REST restart of it tries again."""
    flag = tmp_path / "crash.flag"
    flag.write_text("x\n")
    w = worker([crasher(flag, {"test.crash.in": "connector"})],
               {"plugin.path": PLUGIN_PATH, "listeners": "http://127.0.0.1:0"})
    for run in range(3):
        if run:
            w.restart()
        assert wait_exit(w) == -signal.SIGSEGV
        lines = [line for line in w.log_text().splitlines()
                 if "Worker crashed" in line]
        assert len(lines) == 1, w.log_text()[-3000:]
        assert re.match(r"^\[[-\d :,]+\] ERROR \[crasher\] Worker crashed: "
                        r"SIGSEGV \(.*\) in connector crasher \(the "
                        r"connector instance\), plugin " +
                        re.escape(CRASH_SO) + ";", lines[0]), lines[0]
    rest = restart(w)
    rest.wait_healthy()
    body = wait_state(rest, "crasher", "FAILED")
    assert "crashed the worker 3 times" in body["connector"]["trace"], body
    assert stays(lambda: w.running(), seconds=2) is None
    # Restarted over REST it runs again, and crashes again (before the
    # answer goes out).
    try:
        rest.post("/connectors/crasher/restart")
    except requests.ConnectionError:
        pass
    assert wait_exit(w) == -signal.SIGSEGV
