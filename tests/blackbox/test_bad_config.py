"""A bad connector is reported in the log; the worker and the good
connector next to it keep going."""

import os
import re

import pytest

from harness import (connector, file_source, topic_record_count,
                     wait_until, write_lines)

GOOD_TOPIC = "good-topic"
ERROR_LINE = r"\b(ERROR|WARN)\b"


def start_with_good_connector(tmp_path, mock_cluster, worker, bad):
    """Starts a worker running `bad` next to a good file source; returns
    the worker once the good connector has delivered its lines."""
    mock_cluster.create_topic(GOOD_TOPIC, 1)
    good_file = tmp_path / "good.txt"
    write_lines(good_file, [f"good {i}" for i in range(50)])
    w = worker([bad, file_source("good-source", good_file, GOOD_TOPIC)])
    assert wait_until(lambda: topic_record_count(
        mock_cluster.bootstrap, GOOD_TOPIC) >= 50, timeout=60), \
        "the good connector did not deliver its data"
    return w


def assert_still_running(w):
    assert w.running(), f"worker exited with {w.proc.returncode}"
    assert w.stop() == 0


def test_missing_topic(tmp_path, mock_cluster, worker):
    input_file = tmp_path / "in.txt"
    write_lines(input_file, ["a", "b"])
    bad = connector("no-topic-source", "FileStreamSource",
                    {"file": str(input_file)})
    w = start_with_good_connector(tmp_path, mock_cluster, worker, bad)

    w.wait_for_log(r"(?i)(missing|required).*\btopic\b"
                   r"|\btopic\b.*(missing|required)")
    assert w.log_lines_matching(ERROR_LINE, r"no-topic-source"), \
        "no ERROR/WARN line names the connector"
    assert_still_running(w)


def test_unknown_connector_class(tmp_path, mock_cluster, worker):
    bad = connector("ghost", "com.example.NoSuchConnector",
                    {"topic": "ghost-topic"})
    w = start_with_good_connector(tmp_path, mock_cluster, worker, bad)

    w.wait_for_log(r"NoSuchConnector")
    log = w.log_text().splitlines()
    first = next(i for i, line in enumerate(log)
                 if "NoSuchConnector" in line)
    # The known classes are listed with the error (same line or right after).
    listing = "\n".join(log[first:first + 20])
    assert "FileStreamSource" in listing and "FileStreamSink" in listing, \
        listing
    assert_still_running(w)


def a_directory(tmp_path):
    path = tmp_path / "a-directory"
    path.mkdir()
    return path


def a_mode_000_file(tmp_path):
    path = tmp_path / "locked.txt"
    write_lines(path, ["secret"])
    path.chmod(0)
    if os.access(path, os.R_OK):
        pytest.skip("running as root: mode 000 does not stop reads")
    return path


@pytest.mark.parametrize("make_path", [a_directory, a_mode_000_file])
def test_unreadable_file(tmp_path, mock_cluster, worker, make_path):
    path = make_path(tmp_path)
    bad = file_source("unreadable-source", path, "unreadable-topic")
    w = start_with_good_connector(tmp_path, mock_cluster, worker, bad)

    w.wait_for_log(ERROR_LINE + r".*" + re.escape(str(path)))
    assert_still_running(w)
