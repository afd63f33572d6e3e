"""A task that fails in poll() fails alone: the worker and the other
connectors keep running."""

from harness import (PLUGINS_DIR, TEST_PLUGINS_GOOD_DIR, connector,
                     file_source, topic_record_count, wait_until,
                     write_lines)


def test_failing_poll_fails_only_its_task(tmp_path, mock_cluster, worker):
    good_topic = "good-topic"
    mock_cluster.create_topic(good_topic, 1)
    mock_cluster.create_topic("fail-topic", 1)
    good_file = tmp_path / "good.txt"
    write_lines(good_file, [f"before {i}" for i in range(100)])
    failing = connector("failing-source", "TestSource",
                        {"topic": "fail-topic", "test.fail.on": "poll"})
    w = worker([failing, file_source("good-source", good_file, good_topic)],
               {"plugin.path": f"{PLUGINS_DIR},{TEST_PLUGINS_GOOD_DIR}"})

    def good_count():
        return topic_record_count(mock_cluster.bootstrap, good_topic)

    assert wait_until(lambda: good_count() >= 100, timeout=60)
    # The failure is logged at ERROR, naming the connector (its task).
    w.wait_for_log(r"\bERROR\b.*failing-source.*(?i:fail)"
                   r"|\bERROR\b.*(?i:fail).*failing-source", timeout=60)

    # After the failure the other connector still moves new data.
    write_lines(good_file, [f"after {i}" for i in range(100)], mode="a")
    assert wait_until(lambda: good_count() >= 200, timeout=60), \
        f"good connector stalled at {good_count()} records"
    assert w.running(), f"worker exited with {w.proc.returncode}"
    assert w.stop() == 0
