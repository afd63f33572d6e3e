"""kill -9 of a worker running a file sink, RDC_SINK_FAULT_ROUNDS times
(20 by default) at random moments while records flow in: every record
reaches the sink file (duplicates allowed and counted: at-least-once)."""

from sink_rounds import report_duplicates, restart_rounds


def test_kill9_rounds_lose_nothing(tmp_path, mock_cluster, worker):
    sent, lines = restart_rounds(tmp_path, mock_cluster, worker,
                                 lambda w: w.kill9())
    report_duplicates("sink file after kill -9 rounds", lines)
    assert set(lines) == set(sent)
