"""pytest fixtures for the black-box tests.

ctest sets RDC_BUILD_DIR and RDC_SOURCE_DIR (see CMakeLists.txt). Fixtures:

  build_dir, source_dir   Paths of the build and source trees.
  mock_cluster_factory    f(brokers=1, clusters=1, topics=()) -> MockCluster
  mock_cluster            a MockCluster with one broker and no topics
  worker                  f(connectors=(), props=None, name="worker",
                            start=True) -> Worker (connect-standalone)
  mm_factory              f(args, name="mm") -> a started MirrorMaker
                            (connect-mirror-maker, mirror_helpers.py)
  cluster                 f(**kwargs) -> a distributed_helpers.Cluster
                            (mock Kafka + connect-distributed workers)

Every process a fixture starts is stopped at teardown, pass or fail; on
failure the tail of each log is printed with the test report.
"""

import pytest

import harness
from harness import STRING_CONVERTER, MockCluster, Worker


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keeps each phase's report on the item, for teardown to look at."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, "rep_" + report.when, report)


def _failed(request):
    return any(getattr(getattr(request.node, "rep_" + when, None),
                       "failed", False) for when in ("setup", "call"))


@pytest.fixture(scope="session")
def build_dir():
    return harness.BUILD_DIR


@pytest.fixture(scope="session")
def source_dir():
    return harness.SOURCE_DIR


@pytest.fixture
def mock_cluster_factory(tmp_path, request):
    started = []

    def start(brokers=1, clusters=1, topics=()):
        workdir = tmp_path / f"mock{len(started)}"
        workdir.mkdir()
        cluster = MockCluster(workdir, brokers, clusters, topics)
        started.append(cluster)
        return cluster

    yield start
    for cluster in started:
        cluster.stop()
        if _failed(request):
            print(f"--- {cluster.log_path}:\n"
                  f"{harness.tail(cluster.log_text())}")


@pytest.fixture
def mock_cluster(mock_cluster_factory):
    return mock_cluster_factory()


@pytest.fixture
def worker(tmp_path, request, mock_cluster):
    """Factory for connect-standalone workers.

    connectors: dicts (written as <name>.properties) or paths of files
    already written. props: worker settings over the defaults below; a None
    value removes a default. bootstrap.servers defaults to mock_cluster's
(requested here so that workers stop before any cluster does).
    """
    started = []

    def make(connectors=(), props=None, name="worker", start=True):
        props = dict(props or {})
        props.setdefault("bootstrap.servers", mock_cluster.bootstrap)
        merged = {
            "key.converter": STRING_CONVERTER,
            "value.converter": STRING_CONVERTER,
            "offset.storage.file.filename": str(tmp_path /
                                                f"{name}.offsets"),
            "offset.flush.interval.ms": "1000",
            # Every worker gets its own REST port: tests run in parallel.
            "listeners": f"http://127.0.0.1:{harness.free_port()}",
            # The mock (librdkafka 2.0.2) ignores LeaveGroup: a restarted
            # sink waits for its old member's session to expire (45 s by
            # default) before it gets partitions.
            "consumer.session.timeout.ms": "6000",
            "consumer.heartbeat.interval.ms": "1000",
        }
        merged.update(props)
        files = []
        for conn in connectors:
            if isinstance(conn, dict):
                conn = harness.write_properties(
                    tmp_path / f"{conn['name']}.properties", conn)
            files.append(conn)
        w = Worker(tmp_path, merged, files, name)
        started.append(w)
        return w.start() if start else w

    yield make
    for w in started:
        w.terminate()
        if _failed(request) and w.log_path is not None:
            print(f"--- {w.log_path}:\n"
                  f"{harness.tail(w.log_text(all_runs=True), 150)}")


@pytest.fixture
def mm_factory(tmp_path, request):
    from mirror_helpers import MirrorMaker
    started = []

    def make(args, name="mm"):
        mm = MirrorMaker(tmp_path, args, name)
        started.append(mm)
        return mm.start()

    yield make
    for mm in started:
        mm.terminate()
        if _failed(request):
            print(f"--- {mm.log_path}:\n{harness.tail(mm.log_text(), 150)}")


@pytest.fixture
def cluster(tmp_path, request):
    from distributed_helpers import Cluster
    clusters = []

    def make(**kwargs):
        c = Cluster(tmp_path, **kwargs)
        clusters.append(c)
        return c

    yield make
    for c in clusters:
        if _failed(request):
            print(c.logs())
        c.stop()
