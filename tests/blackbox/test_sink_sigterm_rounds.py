"""SIGTERM of a worker running a file sink, RDC_SINK_FAULT_ROUNDS times
(20 by default) at random moments while records flow in: every record
reaches the sink file exactly once (a graceful stop flushes the file and
commits what it flushed)."""

from sink_rounds import report_duplicates, restart_rounds


def test_sigterm_rounds_are_exactly_once(tmp_path, mock_cluster, worker):
    def graceful(w):
        assert w.stop() == 0

    sent, lines = restart_rounds(tmp_path, mock_cluster, worker, graceful)
    dups = report_duplicates("sink file after SIGTERM rounds", lines)
    assert set(lines) == set(sent)
    assert not dups, list(dups.items())[:5]
    assert len(lines) == len(sent)
